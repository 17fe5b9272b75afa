import { Elysia, t, type Static } from 'elysia'
import { RouteOrderItem, isoNow, stamped, wireReady, type PluginContext, type SettingsSnapshot } from 'hatchery'
import { LANGUAGES } from '../users'

const CaptchaPublic = t.Union([
  t.Object({ type: t.Literal('none') }),
  t.Object({ type: t.Literal('turnstile'), site_key: t.String() }),
  t.Object({ type: t.Literal('recaptcha'), v3: t.Boolean(), site_key: t.String() }),
  t.Object({ type: t.Literal('hcaptcha'), site_key: t.String() }),
  t.Object({ type: t.Literal('friendly_captcha'), site_key: t.String() }),
])

/** The public settings document (spec 01 §1.13); the web frontend refuses to load without every field. */
export const PublicSettings = t.Object({
  time: t.String({ description: 'Server time, RFC 3339' }),
  oobe_step: t.Nullable(t.String()),
  disabled_extensions: t.Array(t.String()),
  captcha_provider: CaptchaPublic,
  app: t.Object({
    url: t.String(),
    icon: t.String(),
    icon_light: t.Nullable(t.String()),
    banner: t.Nullable(t.String()),
    banner_light: t.Nullable(t.String()),
    name: t.String(),
    language: t.String(),
    registration_enabled: t.Boolean(),
    debug: t.Boolean(),
  }),
  webauthn: t.Object({ enabled: t.Boolean(), allow_discoverable: t.Boolean() }),
  server: t.Object({
    max_file_manager_view_size: t.Integer(),
    max_file_manager_content_search_size: t.Integer(),
    max_file_manager_search_results: t.Integer(),
    max_subuser_count: t.Integer(),
    max_schedule_step_count: t.Integer(),
    max_backup_group_count: t.Integer(),
    max_database_instance_database_count: t.Integer(),
    max_database_instance_user_count: t.Integer(),
    allow_overwriting_custom_docker_image: t.Boolean(),
    allow_acknowledging_installation_failure: t.Boolean(),
    container_prelude: t.String(),
  }),
  user: t.Object({
    max_server_group_count: t.Integer(),
    max_api_key_count: t.Integer(),
    max_command_snippet_count: t.Integer(),
    max_security_key_count: t.Integer(),
    max_ssh_key_count: t.Integer(),
    allow_changing_language: t.Boolean(),
    route_order: t.Nullable(t.Array(RouteOrderItem)),
  }),
})

function publicCaptcha(provider: Record<string, unknown>) {
  switch (provider.type) {
    case 'recaptcha':
      return { type: 'recaptcha', v3: provider.v3, site_key: provider.site_key }
    case 'none':
      return { type: 'none' }
    default:
      return { type: provider.type, site_key: provider.site_key }
  }
}

const pick = (s: SettingsSnapshot, section: string, keys: string[]) => Object.fromEntries(keys.map((k) => [k, s.value(`${section}.${k}`)]))

/**
 * Builds the public document. `oobe_step` is the stored step (an empty one reads null); with
 * none stored it is `register` while no user exists.
 */
export function publicSettings(s: SettingsSnapshot, debug: boolean, hasUsers: boolean): Static<typeof PublicSettings> {
  const step = s.isSet('oobe_step') ? s.get('oobe_step') || null : hasUsers ? null : 'register'
  return {
    time: new Date().toISOString(),
    oobe_step: step,
    disabled_extensions: [...s.get('extensions.disabled')],
    captcha_provider: publicCaptcha(s.get('captcha_provider')),
    app: { ...pick(s, 'app', ['url', 'icon', 'icon_light', 'banner', 'banner_light', 'name', 'language', 'registration_enabled']), debug },
    webauthn: pick(s, 'webauthn', ['enabled', 'allow_discoverable']),
    server: pick(s, 'server', [
      'max_file_manager_view_size',
      'max_file_manager_content_search_size',
      'max_file_manager_search_results',
      'max_subuser_count',
      'max_schedule_step_count',
      'max_backup_group_count',
      'max_database_instance_database_count',
      'max_database_instance_user_count',
      'allow_overwriting_custom_docker_image',
      'allow_acknowledging_installation_failure',
      'container_prelude',
    ]),
    user: pick(s, 'user', [
      'max_server_group_count',
      'max_api_key_count',
      'max_command_snippet_count',
      'max_security_key_count',
      'max_ssh_key_count',
      'allow_changing_language',
      'route_order',
    ]),
  } as Static<typeof PublicSettings>
}

/** `GET /api/settings`, `/api/languages`: no authentication (`/api/announcements` is the announcements plugin's). */
export function publicRoutes(ctx: PluginContext, hasUsers: () => boolean | Promise<boolean>) {
  const languages = { languages: [...LANGUAGES] }
  // The document changes only with the settings snapshot (and the first user): build it once per snapshot.
  let cached: { snapshot: SettingsSnapshot; users: boolean; doc: Omit<Static<typeof PublicSettings>, 'time'> } | undefined
  // The document is encoded once per snapshot and format; only `time` is new on each answer.
  const answer = (doc: object) => stamped(doc, { time: isoNow() })
  // The answer when the document of the cached snapshot is built already (the ready lane's).
  const ready = () => {
    const snapshot = ctx.settings.cached()
    if (!snapshot || cached?.snapshot !== snapshot || cached.users !== hasUsers()) return undefined
    return answer(cached.doc)
  }
  const current = async () => {
    const now = ready()
    if (now) return now
    const snapshot = ctx.settings.cached() ?? (await ctx.settings.snapshot())
    const users = await hasUsers()
    if (cached?.snapshot !== snapshot || cached.users !== users) {
      // The debug switch is a setting too (POST /api/admin/system/debug), so it changes only with the snapshot.
      const { time: _built, ...doc } = publicSettings(snapshot, await ctx.kernel.debugMode.enabled(), users)
      cached = { snapshot, users, doc: wireReady(doc) }
    }
    return answer(cached.doc)
  }
  return new Elysia({ tags: ['public'] })
    .use(ctx.guard)
    .get('/settings', current, {
      ready,
      documents: PublicSettings,
      detail: { summary: 'Public panel settings', description: 'What the web frontend needs before login; secrets are never part of it.' },
    })
    .get('/languages', () => languages, {
      response: { 200: t.Object({ languages: t.Array(t.String()) }) },
      detail: { summary: 'Languages accepted by `language` fields' },
    })
}

import { actorOf } from 'hatchery'
import { Elysia, t, type TSchema } from 'elysia'
import type { PluginContext, SettingsService } from 'hatchery'

/** TypeBox schema of the whole settings document as GET returns it (every key present). */
function documentSchema(settings: SettingsService): TSchema {
  const tree: Record<string, any> = {}
  for (const key of settings.keys()) {
    const parts = key.split('.')
    let node = tree
    for (const p of parts.slice(0, -1)) node = node[p] ??= {}
    node[parts[parts.length - 1]] = { schema: settings.definition(key)!.schema }
  }
  const build = (node: Record<string, any>): TSchema =>
    t.Object(
      Object.fromEntries(Object.entries(node).map(([k, v]) => [k, 'schema' in v && Object.keys(v).length === 1 ? v.schema : build(v)])),
    )
  return build(tree)
}

/**
 * `GET|PUT /api/admin/settings`. Secret fields (SMTP password, captcha secrets, S3 keys) are
 * write-only: they read null; on PUT, absent or null keeps the stored secret and '' clears it.
 */
export function adminSettingsRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/settings', tags: ['admin settings'] })
    .use(ctx.guard)
    .get('', async () => ({ settings: (await ctx.settings.snapshot()).document({ censor: true }) }), {
      permission: 'admin:settings.read',
      response: { 200: t.Object({ settings: documentSchema(ctx.settings) }) },
      detail: { summary: 'The panel settings, defaults included', description: 'Secret fields read null.' },
    })
    .put(
      '',
      async ({ principal, body, request }) => {
        const changes = ctx.settings.flatten(body as Record<string, unknown>)
        if (Object.keys(changes).length === 0) return {}
        await ctx.settings.update(changes, {
          within: (tx, after) => ctx.activity.admin(tx, actorOf(principal, request), 'settings:update', after.document({ censor: true })),
        })
        return {}
      },
      {
        permission: 'admin:settings.update',
        body: ctx.settings.updateSchema(),
        response: { 200: t.Object({}) },
        detail: {
          summary: 'Change some settings',
          description:
            'Only the keys sent change; a section object (`mail_mode`, `storage_driver`, `captcha_provider`, each rate limit) is replaced whole. Secret fields: absent or null keeps the stored value, an empty string clears it. Read-only keys (`telemetry_*`) are refused. Seen at once by this process and within 2 s by every other panel process.',
        },
      },
    )
}

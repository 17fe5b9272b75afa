import { t, type TSchema } from 'elysia'
import type { SettingDef, SettingsOf } from './types'

const RateLimit = t.Object({
  hits: t.Integer({ minimum: 1 }),
  window_seconds: t.Integer({ minimum: 1 }),
})
const rl = (hits: number, window_seconds: number) => ({ schema: RateLimit, default: { hits, window_seconds } })

const Url = t.String({ minLength: 1, maxLength: 255, format: 'uri' })
const Text = (max: number, min = 1) => t.String({ minLength: min, maxLength: max })
const Nullable = <T extends TSchema>(s: T) => t.Union([s, t.Null()])
const Language = t.String({ minLength: 2, maxLength: 15 })
/** A write-only secret: null or absent keeps the stored one, '' clears it. */
const Secret = (max: number) => t.Optional(Nullable(t.String({ maxLength: max })))

export const StorageDriver = t.Union([
  t.Object({ type: t.Literal('filesystem'), path: Text(255) }),
  t.Object({
    type: t.Literal('s3'),
    public_url: Url,
    access_key: Secret(512),
    secret_key: Secret(512),
    bucket: Text(63),
    region: Text(63),
    endpoint: Text(255),
    path_style: t.Boolean(),
  }),
])

const FromFields = {
  from_address: t.String({ minLength: 1, maxLength: 255, format: 'email' }),
  from_name: t.Optional(Nullable(Text(255))),
}

export const MailMode = t.Union([
  t.Object({ type: t.Literal('none') }),
  t.Object({
    type: t.Literal('smtp'),
    host: Text(255),
    port: t.Integer({ minimum: 1, maximum: 65535 }),
    username: t.Optional(Nullable(Text(255))),
    password: Secret(255),
    tls_mode: t.Union([t.Literal('none'), t.Literal('starttls'), t.Literal('implicit_tls')]),
    skip_cert_validation: t.Optional(t.Boolean({ default: false })),
    ...FromFields,
  }),
  t.Object({ type: t.Literal('sendmail'), command: Text(255), ...FromFields }),
  t.Object({ type: t.Literal('filesystem'), path: Text(255), ...FromFields }),
])

export const CaptchaProvider = t.Union([
  t.Object({ type: t.Literal('none') }),
  t.Object({ type: t.Literal('turnstile'), site_key: Text(255), secret_key: Secret(255) }),
  t.Object({ type: t.Literal('recaptcha'), v3: t.Boolean(), site_key: Text(255), secret_key: Secret(255) }),
  t.Object({ type: t.Literal('hcaptcha'), site_key: Text(255), secret_key: Secret(255) }),
  t.Object({ type: t.Literal('friendly_captcha'), site_key: Text(255), api_key: Secret(255) }),
])

const Translations = t.Record(t.String(), t.String())
export const RouteOrderItem = t.Union([
  t.Object({ type: t.Literal('route'), path: Text(255) }),
  t.Object({ type: t.Literal('divider'), name: Nullable(Text(255)), name_translations: Translations }),
  t.Object({ type: t.Literal('redirect'), name: Text(255), name_translations: Translations, destination: Text(255) }),
])

const Steps = ['register', 'configuration', 'repositories', 'location', 'node', 'nodeconfiguration', 'server', 'finished'] as const

/**
 * The settings document of the admin API (every key of the reference's `AppSettings`), plus
 * `ratelimits.admin`. Defaults that depend on the environment are functions of it.
 */
export function coreSettings(env: { dataDir: string; appUrl: string }) {
  return {
    telemetry_uuid: { schema: Nullable(t.String({ format: 'uuid' })), default: null, readOnly: true },
    telemetry_cron_schedule: { schema: Nullable(t.String()), default: null, readOnly: true },
    oobe_step: { schema: Nullable(t.Union(Steps.map((s) => t.Literal(s)))), default: null },
    storage_driver: {
      schema: StorageDriver,
      default: { type: 'filesystem', path: `${env.dataDir}/storage` },
      secrets: ['access_key', 'secret_key'],
    },
    mail_mode: { schema: MailMode, default: { type: 'none' }, secrets: ['password'] },
    captcha_provider: { schema: CaptchaProvider, default: { type: 'none' }, secrets: ['secret_key', 'api_key'] },

    'app.name': { schema: Text(64), default: 'Hatchery' },
    'app.icon': { schema: Text(255), default: '/icon.svg' },
    'app.icon_light': { schema: Nullable(Text(255)), default: null },
    'app.banner': { schema: Nullable(Text(255)), default: null },
    'app.banner_light': { schema: Nullable(Text(255)), default: null },
    'app.url': { schema: t.String({ minLength: 1, maxLength: 255, format: 'uri' }), default: env.appUrl },
    'app.language': { schema: Language, default: 'en' },
    'app.two_factor_requirement': { schema: t.Union([t.Literal('admins'), t.Literal('all_users'), t.Literal('none')]), default: 'none' },
    'app.session_cookie': {
      schema: t.String({ minLength: 1, maxLength: 255, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }),
      default: 'hatchery_session',
    },
    'app.session_duration_seconds': { schema: t.Integer({ minimum: 60, maximum: 31536000 }), default: 604800 },
    'app.telemetry_enabled': { schema: t.Boolean(), default: false },
    'app.registration_enabled': { schema: t.Boolean(), default: true },

    // Plugins switched off at run time (PATCH /api/admin/extensions/{extension}; read-only for PUT /api/admin/settings).
    'extensions.disabled': {
      schema: t.Array(t.String({ minLength: 1, maxLength: 255 }), { maxItems: 1000 }),
      default: [] as string[],
      readOnly: true,
    },

    // Lets fetchOutbound reach private/loopback addresses and plain http (a LAN identity provider, tests).
    'outbound.allow_private_addresses': { schema: t.Boolean(), default: false },

    'webauthn.enabled': { schema: t.Boolean(), default: true },
    'webauthn.allow_discoverable': { schema: t.Boolean(), default: true },
    'webauthn.rp_id': { schema: Text(255), default: 'localhost' },
    'webauthn.rp_origin': { schema: t.String({ minLength: 1, maxLength: 255, format: 'uri' }), default: 'http://localhost' },
    'webauthn.authentication_timeout_seconds': { schema: t.Integer({ minimum: 30, maximum: 600 }), default: 300 },
    'webauthn.registration_timeout_seconds': { schema: t.Integer({ minimum: 30, maximum: 600 }), default: 300 },

    'server.max_file_manager_view_size': { schema: t.Integer({ minimum: 0 }), default: 10485760 },
    'server.max_file_manager_content_search_size': { schema: t.Integer({ minimum: 0 }), default: 5242880 },
    'server.max_file_manager_search_results': { schema: t.Integer({ minimum: 0 }), default: 100 },
    'server.max_subuser_count': { schema: t.Integer({ minimum: 0 }), default: 25 },
    'server.max_schedule_step_count': { schema: t.Integer({ minimum: 0 }), default: 50 },
    'server.max_backup_group_count': { schema: t.Integer({ minimum: 0 }), default: 10 },
    'server.max_database_instance_database_count': { schema: t.Integer({ minimum: 0 }), default: 10 },
    'server.max_database_instance_user_count': { schema: t.Integer({ minimum: 0 }), default: 10 },
    'server.allow_overwriting_custom_docker_image': { schema: t.Boolean(), default: true },
    'server.allow_viewing_installation_logs': { schema: t.Boolean(), default: true },
    'server.allow_acknowledging_installation_failure': { schema: t.Boolean(), default: true },
    'server.allow_viewing_transfer_progress': { schema: t.Boolean(), default: true },
    'server.container_prelude': { schema: Text(255), default: 'container@hatchery~' },

    'user.max_server_group_count': { schema: t.Integer({ minimum: 0 }), default: 25 },
    'user.max_api_key_count': { schema: t.Integer({ minimum: 0 }), default: 50 },
    'user.max_command_snippet_count': { schema: t.Integer({ minimum: 0 }), default: 100 },
    'user.max_security_key_count': { schema: t.Integer({ minimum: 0 }), default: 50 },
    'user.max_ssh_key_count': { schema: t.Integer({ minimum: 0 }), default: 50 },
    'user.allow_changing_language': { schema: t.Boolean(), default: true },
    'user.route_order': { schema: Nullable(t.Array(RouteOrderItem, { maxItems: 100 })), default: null },

    'activity.admin_log_retention_days': { schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 180 },
    'activity.admin_log_retention_count': { schema: Nullable(t.Integer({ minimum: 1 })), default: null },
    'activity.user_log_retention_days': { schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 180 },
    'activity.user_log_retention_count': { schema: Nullable(t.Integer({ minimum: 1 })), default: null },
    'activity.server_log_retention_days': { schema: t.Integer({ minimum: 1, maximum: 3650 }), default: 90 },
    'activity.server_log_retention_count': { schema: Nullable(t.Integer({ minimum: 1 })), default: null },
    'activity.server_log_admin_activity': { schema: t.Boolean(), default: true },
    'activity.server_log_schedule_activity': { schema: t.Boolean(), default: true },

    'ratelimits.auth_register': rl(10, 3600),
    'ratelimits.auth_login': rl(20, 300),
    'ratelimits.auth_login_checkpoint': rl(10, 300),
    'ratelimits.auth_login_security_key': rl(10, 300),
    'ratelimits.auth_password_forgot': rl(10, 3600),
    'ratelimits.auth_password_reset': rl(10, 300),
    'ratelimits.client': rl(360, 30),
    'ratelimits.admin': rl(360, 30),
    'ratelimits.client_servers_backups_create': rl(4, 300),
    'ratelimits.client_servers_files_pull': rl(5, 60),
    'ratelimits.client_servers_files_pull_query': rl(10, 60),
    'ratelimits.remote': rl(720, 30),
    'ratelimits.remote_sftp_auth': rl(60, 30),
  } satisfies Record<string, SettingDef>
}

declare module './types' {
  interface Settings extends SettingsOf<ReturnType<typeof coreSettings>> {}
}

export { RateLimit as RateLimitSchema }

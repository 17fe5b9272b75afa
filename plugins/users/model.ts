import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { roles, userApiKeys, users } from './tables'

const U = createSelectSchema(users).properties
const K = createSelectSchema(userApiKeys).properties

/** `AdminApiRole` (spec 01 §5.3). */
export const Role = createSelectSchema(roles)

/** Short user (`ApiUser`): checkpoint responses, activity impersonators. */
export const ShortUser = t.Object({
  uuid: U.uuid,
  username: U.username,
  avatar: t.Nullable(t.String({ description: 'Absolute URL of the avatar' })),
  totp_enabled: U.totp_enabled,
  created: U.created,
})

const fullUserFields = {
  username: U.username,
  role: t.Nullable(Role),
  avatar: t.Nullable(t.String({ description: 'Absolute URL of the avatar' })),
  email: U.email,
  name_first: U.name_first,
  name_last: U.name_last,
  admin: U.admin,
  frozen: U.frozen,
  suspended: U.suspended,
  totp_enabled: U.totp_enabled,
  totp_last_used: U.totp_last_used,
  require_two_factor: t.Boolean({ description: 'From the role, else the app.two_factor_requirement setting' }),
  language: U.language,
  toast_position: U.toast_position,
  start_on_grouped_servers: U.start_on_grouped_servers,
  has_password: t.Boolean(),
  created: U.created,
}

/** The account object (`ApiFullUser`, spec 01 §5.2). */
export const FullUser = t.Object({ uuid: U.uuid, ...fullUserFields })

/** `AdminUser` (spec 02 §2.2): the full user plus `external_id`. */
export const AdminUser = t.Object({ uuid: U.uuid, external_id: U.external_id, ...fullUserFields })

/** `ApiUserApiKey` (spec 01 §5.4); the secret key itself never appears here. */
export const ApiKey = t.Object({
  uuid: K.uuid,
  name: K.name,
  key_start: K.key_start,
  allowed_ips: K.allowed_ips,
  user_permissions: K.user_permissions,
  admin_permissions: K.admin_permissions,
  server_permissions: K.server_permissions,
  last_used: K.last_used,
  expires: K.expires,
  created: K.created,
})

export const Session = t.Object({
  uuid: t.String({ format: 'uuid' }),
  ip: t.String(),
  user_agent: t.String(),
  is_using: t.Boolean(),
  last_used: t.Date(),
  created: t.Date(),
})

/** `ApiUserActivity` (spec 01 §5.6). */
export const UserActivity = t.Object({
  impersonator: t.Nullable(ShortUser),
  event: t.String(),
  ip: t.Nullable(t.String()),
  data: t.Any(),
  is_api: t.Boolean(),
  created: t.Date(),
})

/** `AdminActivity` (spec 02 §2.16): the acting user, then the user activity fields. */
export const AdminActivity = t.Object({ user: t.Nullable(ShortUser), ...UserActivity.properties })

export { Empty } from 'hatchery'

// ---------------------------------------------------------------- request fields

export const Username = t.String({ minLength: 3, maxLength: 15, pattern: '^[a-zA-Z0-9_]+$' })
export const Email = t.String({ format: 'email', maxLength: 255 })
export const Name = t.String({ minLength: 1, maxLength: 255 })
export const Password = t.String({ minLength: 8, maxLength: 512 })
/** The current password, checked against the stored one (so no minimum). */
export const CurrentPassword = t.String({ maxLength: 512 })
export const ToastPosition = t.Union(
  ['top_left', 'top_center', 'top_right', 'bottom_left', 'bottom_center', 'bottom_right'].map((p) => t.Literal(p)),
)
export const Captcha = t.Optional(t.Nullable(t.String({ maxLength: 4096 })))
export { Uuid } from 'hatchery'

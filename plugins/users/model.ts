import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { roles, userApiKeys, userSecurityKeys, users } from './tables'

const U = createSelectSchema(users).properties
const K = createSelectSchema(userApiKeys).properties
const SK = createSelectSchema(userSecurityKeys).properties

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

/** `ApiUserSecurityKey` (spec 01 §5.8). */
export const SecurityKey = t.Object({
  uuid: SK.uuid,
  name: SK.name,
  credential_id: t.String({ description: 'base64url without padding; "" while registration is pending' }),
  last_used: SK.last_used,
  created: SK.created,
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

// ---------------------------------------------------------------- WebAuthn

const B64 = t.String({ maxLength: 65536, pattern: '^[A-Za-z0-9+/_-]*={0,2}$', description: 'base64url or base64' })
const Transports = t.Array(t.String({ maxLength: 32 }), { maxItems: 10 })
const CredentialDescriptor = t.Object({ id: t.String(), type: t.Literal('public-key'), transports: t.Optional(Transports) })
const Extensions = t.Optional(t.Record(t.String(), t.Unknown()))

/** `PublicKeyCredentialCreationOptionsJSON` under `publicKey` (what `navigator.credentials.create` needs, buffers base64url). */
export const CreationOptions = t.Object({
  publicKey: t.Object({
    rp: t.Object({ name: t.String(), id: t.Optional(t.String()) }),
    user: t.Object({ id: t.String(), name: t.String(), displayName: t.String() }),
    challenge: t.String(),
    pubKeyCredParams: t.Array(t.Object({ alg: t.Number(), type: t.Literal('public-key') })),
    timeout: t.Optional(t.Number()),
    excludeCredentials: t.Optional(t.Array(CredentialDescriptor)),
    authenticatorSelection: t.Optional(
      t.Object({
        authenticatorAttachment: t.Optional(t.String()),
        requireResidentKey: t.Optional(t.Boolean()),
        residentKey: t.Optional(t.String()),
        userVerification: t.Optional(t.String()),
      }),
    ),
    hints: t.Optional(t.Array(t.String())),
    attestation: t.Optional(t.String()),
    extensions: Extensions,
  }),
})

/** `PublicKeyCredentialRequestOptionsJSON` under `publicKey` (for `navigator.credentials.get`). */
export const RequestOptions = t.Object({
  publicKey: t.Object({
    challenge: t.String(),
    timeout: t.Optional(t.Number()),
    rpId: t.Optional(t.String()),
    allowCredentials: t.Array(CredentialDescriptor, {
      description: 'Empty for a discoverable login, and for a user without keys (or none at all): then ask for the password',
    }),
    userVerification: t.Optional(t.String()),
    hints: t.Optional(t.Array(t.String())),
    extensions: Extensions,
  }),
})

const CredentialFields = {
  id: t.String({ minLength: 1, maxLength: 1400 }),
  rawId: t.String({ minLength: 1, maxLength: 1400, pattern: '^[A-Za-z0-9+/_-]*={0,2}$' }),
  type: t.Literal('public-key'),
  clientExtensionResults: Extensions,
  authenticatorAttachment: t.Optional(t.Nullable(t.String({ maxLength: 32 }))),
}

/** The browser's attestation (`navigator.credentials.create`), buffers in base64url or base64. */
export const RegistrationCredential = t.Object({
  ...CredentialFields,
  response: t.Object({ clientDataJSON: B64, attestationObject: B64, transports: t.Optional(Transports) }),
})

/** The browser's assertion (`navigator.credentials.get`), buffers in base64url or base64. */
export const AssertionCredential = t.Object({
  ...CredentialFields,
  response: t.Object({ clientDataJSON: B64, authenticatorData: B64, signature: B64, userHandle: t.Optional(t.Nullable(B64)) }),
})

import { t, type TSchema } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { SECRET_MASK } from 'hatchery'
import { model as userModel } from '../users'
import { oauthProviders, userOauthLinks } from './tables'

const P = createSelectSchema(oauthProviders).properties
const L = createSelectSchema(userOauthLinks).properties

/**
 * What `client_secret` reads as (the kernel's mask). The official frontend requires a secret of 3+
 * characters and sends the form back whole on edit; a PATCH carrying the mask keeps the stored secret.
 */
export { SECRET_MASK }

/** `AdminApiOAuthProvider` (spec 02 §13), with the secret masked. */
export const AdminOAuthProvider = t.Object({
  uuid: P.uuid,
  name: P.name,
  description: t.Nullable(t.String()),
  client_id: P.client_id,
  client_secret: t.String({ description: `Always \`${SECRET_MASK}\`: the secret is write-only` }),
  auth_url: P.auth_url,
  token_url: P.token_url,
  info_url: P.info_url,
  scopes: t.Array(t.String()),
  identifier_path: P.identifier_path,
  email_path: t.Nullable(t.String()),
  username_path: t.Nullable(t.String()),
  name_first_path: t.Nullable(t.String()),
  name_last_path: t.Nullable(t.String()),
  enabled: P.enabled,
  login_only: P.login_only,
  login_bypass_2fa: P.login_bypass_2fa,
  link_viewable: P.link_viewable,
  user_manageable: P.user_manageable,
  basic_auth: P.basic_auth,
  created: P.created,
})

/** `ApiOAuthProvider` (spec 01 §5.9): what anyone may see of an enabled provider. */
export const PublicOAuthProvider = t.Object({
  uuid: P.uuid,
  name: P.name,
  link_viewable: P.link_viewable,
  user_manageable: P.user_manageable,
})

/** `ApiUserOAuthLink` (spec 01 §5.9). */
export const OAuthLink = t.Object({
  uuid: L.uuid,
  oauth_provider: PublicOAuthProvider,
  identifier: L.identifier,
  last_used: L.last_used,
  created: L.created,
})

/** `AdminApiUserOAuthLink`: a provider's linked user. */
export const ProviderUserLink = t.Object({
  uuid: L.uuid,
  user: userModel.AdminUser,
  identifier: L.identifier,
  last_used: L.last_used,
  created: L.created,
})

// ------------------------------------------------------------------ request fields

const Text = (min: number, max: number) => t.String({ minLength: min, maxLength: max })
const JsonPath = (min: number) =>
  t.String({ minLength: min, maxLength: 255, description: 'JSONPath (RFC 9535 subset: no filter or script expressions), e.g. `$.sub`' })
const Url = t.String({
  minLength: 3,
  maxLength: 255,
  description: 'An http(s) URL; the login uses https unless `outbound.allow_private_addresses` is on',
})
const Scope = t.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' })

const providerFields = {
  name: Text(1, 255),
  description: t.Optional(t.Nullable(Text(1, 1024))),
  enabled: t.Boolean(),
  login_only: t.Boolean(),
  login_bypass_2fa: t.Boolean(),
  link_viewable: t.Boolean(),
  user_manageable: t.Boolean(),
  basic_auth: t.Boolean({ description: 'Send the client secret with HTTP Basic (client_secret_basic) instead of in the body' }),
  client_id: Text(3, 255),
  client_secret: Text(3, 255),
  auth_url: Url,
  token_url: Url,
  info_url: Url,
  scopes: t.Array(Scope, { maxItems: 255 }),
  identifier_path: JsonPath(3),
  email_path: t.Optional(t.Nullable(JsonPath(1))),
  username_path: t.Optional(t.Nullable(JsonPath(1))),
  name_first_path: t.Optional(t.Nullable(JsonPath(1))),
  name_last_path: t.Optional(t.Nullable(JsonPath(1))),
}

export const CreateProvider = t.Object(providerFields)
export const UpdateProvider = t.Partial(t.Object(providerFields))

// ------------------------------------------------------------------ mappings

const MatcherPath = t.String({ minLength: 1, maxLength: 255 })
const MatcherText = t.String({ maxLength: 255 })

const leafMatchers = [
  t.Object({ type: t.Literal('none') }),
  t.Object({ type: t.Literal('scopes'), scopes: t.Array(t.String({ maxLength: 255 }), { maxItems: 255 }) }),
  t.Object({ type: t.Literal('field_exists'), path: MatcherPath }),
  t.Object({ type: t.Literal('field_equals'), path: MatcherPath, equals: MatcherText }),
  t.Object({ type: t.Literal('field_contains'), path: MatcherPath, contains: MatcherText }),
  t.Object({ type: t.Literal('field_starts_with'), path: MatcherPath, starts_with: MatcherText }),
  t.Object({ type: t.Literal('field_ends_with'), path: MatcherPath, ends_with: MatcherText }),
]

/** Groups nest at most 3 levels deep (the reference's limit), spelled out so no recursive schema is needed. */
export const MAX_MATCHER_DEPTH = 3
function matcherAt(depth: number): TSchema {
  if (depth >= MAX_MATCHER_DEPTH) return t.Union(leafMatchers)
  const inner = matcherAt(depth + 1)
  return t.Union([
    ...leafMatchers,
    t.Object({ type: t.Literal('and'), matchers: t.Array(inner, { maxItems: 64 }) }),
    t.Object({ type: t.Literal('or'), matchers: t.Array(inner, { maxItems: 64 }) }),
    t.Object({ type: t.Literal('not'), matcher: inner }),
  ])
}

/** Decides whether a mapping applies, from the granted scopes and the user-info document. */
export const Matcher = matcherAt(0)

/** The `role` mapping; other types (e.g. `server_subuser`) are registered by their plugins. */
export const RoleMapping = t.Object({
  type: t.Literal('role'),
  role_uuid: t.String({ format: 'uuid' }),
  revoke_unmatched: t.Optional(t.Boolean({ default: false })),
})

export const mappingModel = (types: TSchema[]) =>
  t.Object({ uuid: t.String({ format: 'uuid' }), matcher: Matcher, mapping: t.Union(types) as TSchema, created: t.Date() })

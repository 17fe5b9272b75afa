import { Elysia, t } from 'elysia'
import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm'
import {
  BadRequest,
  LimitExceeded,
  loadOr404,
  NotFound,
  PageOf,
  PaginationQuery,
  Validation,
  pageParams,
  paginate,
  parseCidr,
  type PluginContext,
  type Principal,
  type Tx,
} from 'hatchery'
import { ApiKey, Empty, Uuid } from './model'
import { userApiKeys } from './tables'
import { userTransaction } from './service/users'
import type { UsersApi } from './api'
import type { ApiKeyRow } from './service/credentials'
import { actorOf, logUserActivity } from './service/activity'

const Permissions = t.Array(t.String({ maxLength: 64 }), { maxItems: 500 })
const KeyFields = {
  name: t.String({ minLength: 3, maxLength: 31 }),
  allowed_ips: t.Array(t.String({ maxLength: 64 }), { maxItems: 100, description: 'IP addresses or CIDR networks; empty allows any' }),
  user_permissions: Permissions,
  admin_permissions: Permissions,
  server_permissions: Permissions,
}
const Expires = t.Nullable(t.String({ format: 'date-time', description: 'RFC 3339; must be in the future; null never expires' }))

const live = () => or(isNull(userApiKeys.expires), gt(userApiKeys.expires, sql`now()`))

export function toApiKey(row: ApiKeyRow) {
  const { user_uuid: _u, key_hash: _h, ...rest } = row
  return rest
}

type Lists = { user_permissions?: string[]; admin_permissions?: string[]; server_permissions?: string[] }

/** Checks catalogs, CIDRs and expiry; returns normalised values. */
function checkFields(ctx: PluginContext, body: Lists & { allowed_ips?: string[]; expires?: string | null }) {
  const errors: string[] = []
  for (const [field, catalog] of [['user_permissions', 'user'], ['admin_permissions', 'admin'], ['server_permissions', 'server']] as const) {
    const bad = body[field] ? ctx.permissions.firstInvalid(catalog, body[field]!) : null
    if (bad) errors.push(`${field}: invalid permission: ${bad}`)
  }
  const allowed_ips = body.allowed_ips?.map((ip, i) => {
    const cidr = parseCidr(ip)
    if (!cidr) errors.push(`allowed_ips[${i}]: not an IP address or CIDR network`)
    return cidr?.text ?? ip
  })
  let expires: Date | null | undefined = body.expires === undefined ? undefined : body.expires === null ? null : new Date(body.expires)
  if (expires && !(expires.getTime() > Date.now())) errors.push('expires: time must be in the future')
  if (errors.length) throw new Validation(errors)
  return { allowed_ips: allowed_ips ? [...new Set(allowed_ips)] : undefined, expires }
}

/** A key may only hand out what it holds itself (sessions are not limited here). */
function withinScope(principal: Principal, lists: Lists): boolean {
  const key = principal.apiKey
  if (!key) return true
  const sub = (asked: string[] | undefined, held: string[]) => !asked || asked.every((p) => held.includes(p))
  return sub(lists.user_permissions, key.userPermissions) && sub(lists.admin_permissions, key.adminPermissions) && sub(lists.server_permissions, key.serverPermissions)
}

const auditOf = (row: ApiKeyRow) => ({
  uuid: row.uuid,
  identifier: row.key_start,
  name: row.name,
  allowed_ips: row.allowed_ips,
  user_permissions: row.user_permissions,
  admin_permissions: row.admin_permissions,
  server_permissions: row.server_permissions,
  expires: row.expires,
})

const ownedKey = (db: PluginContext['db'] | Tx, userUuid: string, uuid: string): Promise<ApiKeyRow> =>
  loadOr404(db, userApiKeys, userApiKeys.uuid, uuid, 'api key', { where: and(eq(userApiKeys.user_uuid, userUuid), live()) })

/** `/api/client/account/api-keys`: list, create, look up, update, delete, recreate. */
export function apiKeyRoutes(ctx: PluginContext, api: UsersApi) {
  const Params = t.Object({ api_key: Uuid })
  return new Elysia({ prefix: '/account/api-keys', tags: ['api keys'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ principal, query }) => {
        const where = and(eq(userApiKeys.user_uuid, principal.user.uuid), live())
        const list = { from: userApiKeys, where, search: [userApiKeys.name], orderBy: [asc(userApiKeys.created), asc(userApiKeys.uuid)], map: toApiKey }
        return { api_keys: await paginate(ctx.db, list, pageParams(query)) }
      },
      { permission: 'user:api-keys.read', query: PaginationQuery, response: { 200: t.Object({ api_keys: PageOf(ApiKey) }) }, detail: { summary: 'List API keys (search: name)' } },
    )
    .post(
      '',
      async ({ principal, body, request }) => {
        if (!withinScope(principal, body)) throw new BadRequest('permissions: more permissions than self')
        const { allowed_ips, expires } = checkFields(ctx, body)
        const fresh = api.credentials.newApiKey()
        const max = await ctx.settings.get('user.max_api_key_count')
        const row = await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          if ((await tx.$count(userApiKeys, eq(userApiKeys.user_uuid, principal.user.uuid))) >= max) {
            throw new LimitExceeded('maximum number of api keys reached')
          }
          const [row] = await tx
            .insert(userApiKeys)
            .values({
              user_uuid: principal.user.uuid,
              name: body.name,
              key_start: fresh.key_start,
              key_hash: fresh.key_hash,
              allowed_ips: allowed_ips ?? [],
              user_permissions: body.user_permissions,
              admin_permissions: body.admin_permissions,
              server_permissions: body.server_permissions,
              expires: expires ?? null,
            })
            .returning()
          await logUserActivity(tx, actorOf(principal, request), 'api-key:create', auditOf(row))
          return row
        })
        return { api_key: toApiKey(row), key: fresh.key }
      },
      {
        permission: 'user:api-keys.create',
        body: t.Object({ ...KeyFields, expires: t.Optional(Expires) }),
        response: { 200: t.Object({ api_key: ApiKey, key: t.String({ description: 'The full key, shown only here' }) }) },
        detail: { summary: 'Create an API key', description: 'Limited by `user.max_api_key_count` (417). With API-key authentication, the new key cannot hold permissions the calling key lacks.' },
      },
    )
    .get(
      '/identifier/:identifier',
      async ({ principal, params }) => {
        const [row] = await ctx.db
          .select()
          .from(userApiKeys)
          .where(and(eq(userApiKeys.key_start, params.identifier), eq(userApiKeys.user_uuid, principal.user.uuid), live()))
          .limit(1)
        if (!row) throw new NotFound('api key not found')
        return { api_key: toApiKey(row) }
      },
      {
        permission: 'user:api-keys.read',
        params: t.Object({ identifier: t.String({ minLength: 16, maxLength: 16, pattern: '^c7sp_[A-Za-z0-9]{11}$' }) }),
        response: { 200: t.Object({ api_key: ApiKey }) },
        detail: { summary: 'Find an API key by its identifier (key_start)' },
      },
    )
    .patch(
      '/:api_key',
      async ({ principal, params, body, request }) => {
        if (!withinScope(principal, body)) throw new BadRequest('permissions: more permissions than self')
        const { allowed_ips, expires } = checkFields(ctx, body)
        await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const current = await ownedKey(tx, principal.user.uuid, params.api_key)
          const changes = Object.fromEntries(
            Object.entries({
              name: body.name,
              allowed_ips,
              user_permissions: body.user_permissions,
              admin_permissions: body.admin_permissions,
              server_permissions: body.server_permissions,
              expires,
            }).filter(([, v]) => v !== undefined),
          )
          // Drizzle refuses an update without values; an empty body changes nothing.
          const [row] =
            Object.keys(changes).length === 0
              ? [current]
              : await tx
                  .update(userApiKeys)
                  .set(changes)
                  .where(eq(userApiKeys.uuid, params.api_key))
                  .returning()
          await logUserActivity(tx, actorOf(principal, request), 'user:api-key.update', auditOf(row))
        })
        api.credentials.invalidate()
        return {}
      },
      {
        permission: 'user:api-keys.update',
        params: Params,
        body: t.Object({
          name: t.Optional(KeyFields.name),
          allowed_ips: t.Optional(KeyFields.allowed_ips),
          user_permissions: t.Optional(Permissions),
          admin_permissions: t.Optional(Permissions),
          server_permissions: t.Optional(Permissions),
          expires: t.Optional(Expires),
        }),
        response: { 200: Empty },
        detail: { summary: 'Update an API key', description: 'Absent fields stay; `expires: null` removes the expiry.' },
      },
    )
    .delete(
      '/:api_key',
      async ({ principal, params, request }) => {
        await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const row = await ownedKey(tx, principal.user.uuid, params.api_key)
          await tx.delete(userApiKeys).where(eq(userApiKeys.uuid, row.uuid))
          await logUserActivity(tx, { ...actorOf(principal, request), apiKeyUuid: principal.apiKey?.uuid === row.uuid ? null : principal.apiKey?.uuid ?? null }, 'api-key:delete', {
            uuid: row.uuid,
            identifier: row.key_start,
            name: row.name,
          })
        })
        api.credentials.invalidate()
        return {}
      },
      { permission: 'user:api-keys.delete', params: Params, response: { 200: Empty }, detail: { summary: 'Delete an API key' } },
    )
    .post(
      '/:api_key/recreate',
      async ({ principal, params, request }) => {
        const fresh = api.credentials.newApiKey()
        await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const row = await ownedKey(tx, principal.user.uuid, params.api_key)
          if (!withinScope(principal, row)) throw new BadRequest('unable to recreate api key with more permissions than self')
          await tx.update(userApiKeys).set({ key_start: fresh.key_start, key_hash: fresh.key_hash }).where(eq(userApiKeys.uuid, row.uuid))
          await logUserActivity(tx, actorOf(principal, request), 'api-key:recreate', { uuid: row.uuid, identifier: fresh.key_start, name: row.name })
        })
        api.credentials.invalidate()
        return { key: fresh.key }
      },
      {
        permission: 'user:api-keys.recreate',
        params: Params,
        response: { 200: t.Object({ key: t.String() }) },
        detail: { summary: 'Replace an API key secret', description: 'Name, permissions and expiry stay; the old key stops working at once.' },
      },
    )
}

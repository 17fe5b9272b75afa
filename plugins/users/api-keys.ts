import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, actorOf, pageParams, type PluginContext, type Principal } from 'hatchery'
import { ApiKey, Empty, Uuid } from './model'
import type { UsersApi } from './api'
import {
  createApiKey,
  deleteApiKey,
  findApiKeyByIdentifier,
  listApiKeys,
  recreateApiKey,
  toApiKey,
  updateApiKey,
  type KeyCaller,
} from './service/api-keys'

const Permissions = t.Array(t.String({ maxLength: 64 }), { maxItems: 500 })
const KeyFields = {
  name: t.String({ minLength: 3, maxLength: 31 }),
  allowed_ips: t.Array(t.String({ maxLength: 64 }), { maxItems: 100, description: 'IP addresses or CIDR networks; empty allows any' }),
  user_permissions: Permissions,
  admin_permissions: Permissions,
  server_permissions: Permissions,
}
const Expires = t.Nullable(t.String({ format: 'date-time', description: 'RFC 3339; must be in the future; null never expires' }))

/** `/api/client/account/api-keys`: list, create, look up, update, delete, recreate. */
export function apiKeyRoutes(ctx: PluginContext, api: UsersApi) {
  const Params = t.Object({ api_key: Uuid })
  const caller = (principal: Principal, request: Request): KeyCaller => ({
    catalog: ctx.permissions,
    log: ctx.activity,
    principal,
    actor: actorOf(principal, request),
  })
  return new Elysia({ prefix: '/account/api-keys', tags: ['api keys'] })
    .use(ctx.guard)
    .get('', async ({ principal, query }) => ({ api_keys: await listApiKeys(ctx.db, principal.user.uuid, pageParams(query)) }), {
      permission: 'user:api-keys.read',
      query: PaginationQuery,
      response: { 200: t.Object({ api_keys: PageOf(ApiKey) }) },
      detail: { summary: 'List API keys (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const fresh = api.credentials.newApiKey()
        const row = await createApiKey(ctx.db, caller(principal, request), body, fresh, await ctx.settings.get('user.max_api_key_count'))
        return { api_key: toApiKey(row), key: fresh.key }
      },
      {
        permission: 'user:api-keys.create',
        body: t.Object({ ...KeyFields, expires: t.Optional(Expires) }),
        response: { 200: t.Object({ api_key: ApiKey, key: t.String({ description: 'The full key, shown only here' }) }) },
        detail: {
          summary: 'Create an API key',
          description:
            'Limited by `user.max_api_key_count` (417). With API-key authentication, the new key cannot hold permissions the calling key lacks.',
        },
      },
    )
    .get(
      '/identifier/:identifier',
      async ({ principal, params }) => ({
        api_key: toApiKey(await findApiKeyByIdentifier(ctx.db, principal.user.uuid, params.identifier)),
      }),
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
        await updateApiKey(ctx.db, caller(principal, request), params.api_key, body)
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
        await deleteApiKey(ctx.db, caller(principal, request), params.api_key)
        return {}
      },
      { permission: 'user:api-keys.delete', params: Params, response: { 200: Empty }, detail: { summary: 'Delete an API key' } },
    )
    .post(
      '/:api_key/recreate',
      async ({ principal, params, request }) => {
        const fresh = api.credentials.newApiKey()
        await recreateApiKey(ctx.db, caller(principal, request), params.api_key, fresh)
        return { key: fresh.key }
      },
      {
        permission: 'user:api-keys.recreate',
        params: Params,
        response: { 200: t.Object({ key: t.String() }) },
        detail: {
          summary: 'Replace an API key secret',
          description: 'Name, permissions and expiry stay; the old key stops working at once.',
        },
      },
    )
}

import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { AdminOAuthProvider, CreateProvider, ProviderUserLink, UpdateProvider } from './model'
import {
  createProvider,
  deleteProvider,
  duplicateProvider,
  getProvider,
  listProviders,
  providerAudit,
  toAdminProvider,
  updateProvider,
} from './service/providers'
import { listProviderUsers, providerUserByIdentifier } from './service/links'

const Params = uuidParam('oauth_provider', 'oauth provider')
const One = t.Object({ oauth_provider: AdminOAuthProvider })
const SECRET = 'The client secret is stored encrypted and reads as `********`; sending that mask back keeps the stored secret.'

/** `/api/admin/oauth-providers`: providers (CRUD, duplicate) and their linked users. */
export function adminProviderRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/oauth-providers', tags: ['admin oauth providers'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ oauth_providers: await listProviders(ctx.db, pageParams(query)) }), {
      permission: 'admin:oauth-providers.read',
      query: PaginationQuery,
      response: { 200: t.Object({ oauth_providers: PageOf(AdminOAuthProvider) }) },
      detail: { summary: 'List OAuth providers (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createProvider(tx, ctx.secrets, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:create', providerAudit(row))
          return row
        })
        return { oauth_provider: toAdminProvider(row) }
      },
      {
        permission: 'admin:oauth-providers.create',
        body: CreateProvider,
        response: { 200: One },
        detail: {
          summary: 'Create an OAuth provider',
          description: `URLs must be http(s), paths valid JSONPath (400); a taken name is a 409. ${SECRET}`,
        },
      },
    )
    .get(
      '/:oauth_provider',
      async ({ params }) => ({ oauth_provider: toAdminProvider(await getProvider(ctx.db, params.oauth_provider)) }),
      {
        permission: 'admin:oauth-providers.read',
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get an OAuth provider' },
      },
    )
    .patch(
      '/:oauth_provider',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateProvider(tx, ctx.secrets, params.oauth_provider, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:update', providerAudit(row))
        })
        return {}
      },
      {
        permission: 'admin:oauth-providers.update',
        params: Params,
        body: UpdateProvider,
        response: { 200: Empty },
        detail: { summary: 'Update an OAuth provider', description: `Absent fields stay; null clears a nullable field. ${SECRET}` },
      },
    )
    .delete(
      '/:oauth_provider',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteProvider(tx, params.oauth_provider)
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: 'admin:oauth-providers.delete',
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete an OAuth provider (its mappings and links go with it)' },
      },
    )
    .post(
      '/:oauth_provider/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateProvider(tx, params.oauth_provider, body.name)
          const data = { source_uuid: source.uuid, source_name: source.name, uuid: copy.uuid, name: copy.name }
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth_provider:duplicate', data)
          return copy
        })
        return { oauth_provider: toAdminProvider(copy) }
      },
      {
        permission: 'admin:oauth-providers.create',
        params: Params,
        body: t.Object({ name: t.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: One },
        detail: {
          summary: 'Copy an OAuth provider under a new name',
          description: 'The secret is copied; mappings and links are not. The event is `oauth_provider:duplicate` (sic, as the reference).',
        },
      },
    )
    .get(
      '/:oauth_provider/users',
      async ({ params, query }) => {
        const provider = await getProvider(ctx.db, params.oauth_provider)
        return { user_oauth_links: await listProviderUsers(ctx.db, provider.uuid, await ctx.settings.snapshot(), pageParams(query)) }
      },
      {
        permission: 'admin:oauth-providers.read',
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ user_oauth_links: PageOf(ProviderUserLink) }) },
        detail: { summary: "A provider's linked users (search: identifier, username)" },
      },
    )
    .get(
      '/:oauth_provider/users/identifier/:identifier',
      async ({ params }) => {
        const provider = await getProvider(ctx.db, params.oauth_provider)
        return { user_oauth_link: await providerUserByIdentifier(ctx.db, provider.uuid, params.identifier, await ctx.settings.snapshot()) }
      },
      {
        permission: 'admin:oauth-providers.read',
        params: t.Object({ ...Params.properties, identifier: t.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: t.Object({ user_oauth_link: ProviderUserLink }) },
        detail: { summary: 'The user linked under an identifier', description: '404 `user oauth link not found`.' },
      },
    )
}

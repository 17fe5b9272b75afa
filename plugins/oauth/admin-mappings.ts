import { Elysia, t, type TSchema } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQueryNoSearch, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { Matcher, mappingModel } from './model'
import { getProvider } from './service/providers'
import {
  createMapping,
  deleteMapping,
  getMapping,
  listMappings,
  toMapping,
  updateMapping,
  type Mapping,
  type MappingRow,
  type MappingTypes,
  type Matcher as MatcherT,
} from './service/mappings'

const Params = uuidParam('oauth_provider', 'oauth provider')
const MappingParams = t.Object({ ...Params.properties, ...uuidParam('mapping', 'oauth mapping').properties })
const audit = (r: MappingRow) => ({ uuid: r.uuid, oauth_provider_uuid: r.oauth_provider_uuid, matcher: r.matcher, mapping: r.mapping })

/**
 * `/api/admin/oauth-providers/{oauth_provider}/mappings`: rules applied at each login through the
 * provider. The mapping types are those registered when the routes are built (`role`, plus any a
 * plugin added, e.g. `server_subuser`).
 */
export function adminMappingRoutes(ctx: PluginContext, types: MappingTypes) {
  const MappingType = t.Union(types.schemas()) as TSchema
  const OAuthMapping = mappingModel(types.schemas())
  const One = t.Object({ oauth_mapping: OAuthMapping })
  const bodyOf = (b: { matcher?: unknown; mapping?: unknown }) => b as { matcher: MatcherT; mapping: Mapping }
  return new Elysia({ prefix: '/oauth-providers/:oauth_provider/mappings', tags: ['admin oauth providers'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const provider = await getProvider(ctx.db, params.oauth_provider)
        return { oauth_mappings: await listMappings(ctx.db, provider.uuid, pageParams(query)) }
      },
      {
        permission: 'admin:oauth-providers.read',
        params: Params,
        query: PaginationQueryNoSearch,
        response: { 200: t.Object({ oauth_mappings: PageOf(OAuthMapping) }) },
        detail: { summary: "List a provider's mappings (oldest first)" },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const provider = await getProvider(tx, params.oauth_provider)
          const row = await createMapping(tx, types, provider.uuid, bodyOf(body))
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:mapping.create', audit(row))
          return row
        })
        return { oauth_mapping: toMapping(row) }
      },
      {
        permission: 'admin:oauth-providers.update',
        params: Params,
        body: t.Object({ matcher: Matcher, mapping: MappingType }),
        response: { 200: One },
        detail: {
          summary: 'Create a mapping',
          description:
            'Matcher paths must be valid JSONPath; groups nest at most 3 deep; a `role` mapping needs an existing role, a `server_subuser` one an existing server and permissions from the server catalog (400).',
        },
      },
    )
    .get(
      '/:mapping',
      async ({ params }) => {
        const provider = await getProvider(ctx.db, params.oauth_provider)
        return { oauth_mapping: toMapping(await getMapping(ctx.db, provider.uuid, params.mapping)) }
      },
      { permission: 'admin:oauth-providers.read', params: MappingParams, response: { 200: One }, detail: { summary: 'Get a mapping' } },
    )
    .patch(
      '/:mapping',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const provider = await getProvider(tx, params.oauth_provider)
          const row = await updateMapping(tx, types, provider.uuid, params.mapping, bodyOf(body))
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:mapping.update', audit(row))
        })
        return {}
      },
      {
        permission: 'admin:oauth-providers.update',
        params: MappingParams,
        body: t.Object({ matcher: t.Optional(Matcher), mapping: t.Optional(MappingType) }),
        response: { 200: Empty },
        detail: { summary: 'Update a mapping', description: 'Absent fields stay.' },
      },
    )
    .delete(
      '/:mapping',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const provider = await getProvider(tx, params.oauth_provider)
          const row = await deleteMapping(tx, provider.uuid, params.mapping)
          await ctx.activity.admin(tx, actorOf(principal, request), 'oauth-provider:mapping.delete', {
            uuid: row.uuid,
            oauth_provider_uuid: row.oauth_provider_uuid,
          })
        })
        return {}
      },
      {
        permission: 'admin:oauth-providers.update',
        params: MappingParams,
        response: { 200: Empty },
        detail: { summary: 'Delete a mapping' },
      },
    )
}

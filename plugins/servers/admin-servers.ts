import { and, eq } from 'drizzle-orm'
import { Elysia, t } from 'elysia'
import { loadOr404, PageOf, PaginationQuery, pageParams, searchFilter, uuidParam, type PluginContext } from 'hatchery'
import { tables as userTables } from '../users'
import { getNode } from '../nodes'
import type { ServersApi } from './api'
import { AdminServer } from './model'
import { adminServer, getServer, listServers, serverByExternalId } from './service/admin-servers'
import { servers } from './tables'
import { heldBy, ownerColumns } from './client/servers'

const READ = 'admin:servers.read' as const
const One = t.Object({ server: AdminServer })
const Page = t.Object({ servers: PageOf(AdminServer) })

const UserServersQuery = t.Object({
  ...PaginationQuery.properties,
  owned: t.Optional(t.Boolean({ default: false, description: 'Only servers the user owns (else also those they are a subuser of)' })),
})

/** The read side of `/api/admin/servers` (spec 02 §8.1, §8.4, §8.14), `/api/admin/nodes/{node}/servers` (§6.11), `/api/admin/users/{user}/servers` (§3.7). */
export function adminServerReadRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] })
    .use(ctx.guard)
    .get('/servers', async ({ query }) => ({ servers: await listServers(ctx.db, await api.views(), pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: Page },
      detail: { summary: 'List servers (search: name)', description: 'Oldest first.' },
    })
    .get(
      '/servers/external/:external_id',
      async ({ params }) => ({
        server: await adminServer(ctx.db, await api.views(), await serverByExternalId(ctx.db, params.external_id)),
      }),
      {
        permission: READ,
        params: t.Object({ external_id: t.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: One },
        detail: {
          summary: 'The first server with an external id',
          description: 'External ids are not unique: the oldest match. 404 `server not found`.',
        },
      },
    )
    .get(
      '/servers/:server',
      async ({ params }) => ({ server: await adminServer(ctx.db, await api.views(), await getServer(ctx.db, params.server)) }),
      {
        permission: READ,
        params: uuidParam('server'),
        response: { 200: One },
        detail: { summary: 'Get a server', description: '400 `invalid server uuid`, 404 `server not found`.' },
      },
    )
    .get(
      '/nodes/:node/servers',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        return { servers: await listServers(ctx.db, await api.views(), pageParams(query), eq(servers.node_uuid, node.uuid)) }
      },
      {
        permission: READ,
        params: uuidParam('node'),
        query: PaginationQuery,
        response: { 200: Page },
        detail: { summary: "A node's servers (search: name)" },
      },
    )
    .get(
      '/users/:user/servers',
      async ({ params, query }) => {
        const { users } = userTables
        const user = await loadOr404(ctx.db, users, users.uuid, params.user, 'user')
        const page = pageParams(query)
        if (query.owned) return { servers: await listServers(ctx.db, await api.views(), page, eq(servers.owner_uuid, user.uuid)) }
        // Without `owned`: also the servers they are a subuser of, and the search also matches each owner's username and email.
        const where = and(heldBy(user.uuid), searchFilter(page.search, [servers.name, ...ownerColumns()]))
        return { servers: await listServers(ctx.db, await api.views(), { ...page, search: undefined }, where) }
      },
      {
        permission: ['admin:users.read', READ],
        params: uuidParam('user'),
        query: UserServersQuery,
        response: { 200: Page },
        detail: {
          summary: "A user's servers (search: name; without `owned` also the owner's username and email)",
          description: '400 `invalid user uuid`, 404 `user not found`. Without `owned`, also the servers the user is a subuser of.',
        },
      },
    )
}

import { Elysia, t } from 'elysia'
import { eq } from 'drizzle-orm'
import { PageOf, PaginationQuery, pageParams, parseUuid, uuidParam, type PluginContext } from 'hatchery'
import { getUser } from '../users'
import type { ServersApi } from './api'
import { AdminServer } from './model'
import { listServers } from './service/admin-servers'
import { servers } from './tables'

const Query = t.Object({
  ...PaginationQuery.properties,
  owned: t.Optional(
    t.Boolean({ description: 'Only the servers the user owns (default false: also those they are a subuser of, once subusers exist)' }),
  ),
})

/** `GET /api/admin/users/{user}/servers` (spec 02 §3.7). */
export function adminUserServerRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ prefix: '/users', tags: ['admin users'] }).use(ctx.guard).get(
    '/:user/servers',
    async ({ params, query }) => {
      const { user } = await getUser(ctx.db, parseUuid(params.user, 'user'))
      const page = pageParams(query)
      // The owner's username or email matches every one of their servers; otherwise the name must.
      const ownerMatches =
        !query.owned &&
        page.search !== undefined &&
        [user.username, user.email].some((v) => v.toLowerCase().includes(page.search!.toLowerCase()))
      const where = eq(servers.owner_uuid, user.uuid)
      return { servers: await listServers(ctx.db, await api.views(), ownerMatches ? { ...page, search: undefined } : page, where) }
    },
    {
      permission: ['admin:users.read', 'admin:servers.read'],
      params: uuidParam('user'),
      query: Query,
      response: { 200: t.Object({ servers: PageOf(AdminServer) }) },
      detail: {
        summary: "A user's servers",
        description:
          "Oldest first. `search` matches the server name, and without `owned` also the owner's username or email. Subusers' servers join with the subusers of the client area.",
      },
    },
  )
}

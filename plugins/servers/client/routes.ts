import { eq } from 'drizzle-orm'
import { Elysia, t, type Static } from 'elysia'
import {
  hasAdminPermission,
  NotFound,
  PageOf,
  pageParams,
  watch,
  wireReady,
  type Page,
  type PageParams,
  type PluginContext,
  type Principal,
  type ReadyContext,
} from 'hatchery'
import { servers } from '../tables'
import { ClientServer, ServersQuery } from './model'
import { VersionedCache } from './page-cache'
import { CLIENT_SERVER_TABLES, listClientServers, toClientServers } from './servers'
import type { ClientServerAccess } from './scope'
import type { ServerRow } from '../service/admin-servers'

type ListQuery = Static<typeof ServersQuery>

/** Server objects kept in cached list pages, at most (a page weighs its length). */
const CACHED_SERVERS = 20_000
const CACHE_MAX_AGE_MS = 60_000

/**
 * `GET /api/client/servers` (spec 03 §1.6). A page is kept per caller and query until a table it
 * is read from changes (`CLIENT_SERVER_TABLES`): a repeated request runs no SQL. The key holds
 * everything of the caller the page depends on: the user, the admin flag (`permissions` of
 * subuser servers) and whether `other` applies (the admin permission `servers.read`).
 */
export function clientServerListRoutes(ctx: PluginContext) {
  const pages = new VersionedCache<{ servers: Page<Static<typeof ClientServer>> }>(watch(ctx.db, CLIENT_SERVER_TABLES), {
    maxWeight: CACHED_SERVERS,
    maxAgeMs: CACHE_MAX_AGE_MS,
    weigh: (v) => v.servers.data.length + 1,
  })
  // Everything of the caller and the query a page depends on.
  const keyOf = (principal: Principal, page: PageParams, other: boolean) =>
    `${principal.user.uuid} ${principal.user.admin ? 1 : 0}${other ? 1 : 0} ${page.page} ${page.perPage} ${page.search ?? ''}`
  const otherOf = (principal: Principal, query: ListQuery) => (query.other ?? false) && hasAdminPermission(principal, 'servers.read')
  return new Elysia({ tags: ['client servers'] }).use(ctx.guard).get(
    '/servers',
    ({ principal, query }) => {
      const page = pageParams(query)
      const other = otherOf(principal, query)
      return pages.get(keyOf(principal, page, other), async () =>
        wireReady({ servers: await listClientServers(ctx.db, principal, page, other) }),
      )
    },
    {
      permission: 'user:servers.read',
      query: ServersQuery,
      // A page already loaded and current is answered by the kernel's ready lane.
      ready: ({ principal, query }: ReadyContext) => {
        const q = query as ListQuery
        return pages.peek(keyOf(principal!, pageParams(q), otherOf(principal!, q)))
      },
      // Hot, and toClientServers names every field: documented, not checked per answer (the
      // cached page is wire data, frozen once by wireReady).
      documents: t.Object({ servers: PageOf(ClientServer) }),
      detail: {
        summary: 'List your servers',
        description:
          'The servers you own or are a subuser of, oldest first; `search` matches the name or the owner username or email. With `other=true` and the admin permission `servers.read`: the servers you neither own nor are a subuser of (without the permission, `other` is ignored).',
      },
    },
  )
}

/**
 * Routes under the `client:server` scope: `GET /api/client/servers/{server}` (spec 03 §1.7). The
 * object is cached like the list's pages, keyed by the caller, the admin flag, the server and the
 * access the scope found; the scope read the row before the version is taken, so a miss reads the
 * row again rather than build the object from it.
 */
export function clientServerRoutes(ctx: PluginContext) {
  const objects = new VersionedCache<{ server: Static<typeof ClientServer> } | null>(watch(ctx.db, CLIENT_SERVER_TABLES), {
    maxWeight: CACHED_SERVERS,
    maxAgeMs: CACHE_MAX_AGE_MS,
  })
  // Everything of the caller and their access the object depends on.
  const keyOf = (principal: Principal, server: ServerRow, access: ClientServerAccess) =>
    `${principal.user.uuid} ${principal.user.admin ? 1 : 0} ${server.uuid} ${access.owner ? 1 : 0} ${access.subuser?.permissions.join(',')}`
  return ctx.scope('client:server').get(
    '',
    async ({ principal, resource, access }) => {
      const found = await objects.get(keyOf(principal, resource, access), async () => {
        const [row] = await ctx.db.select().from(servers).where(eq(servers.uuid, resource.uuid))
        return row ? wireReady({ server: (await toClientServers(ctx.db, principal, [row], () => access))[0] }) : null
      })
      if (!found) throw new NotFound('server not found')
      return found
    },
    {
      authenticated: true,
      scope: { stateGate: false },
      // A loaded, current object is answered by the kernel's ready lane (a missing one is the pipeline's 404).
      ready: ({ principal, resource, access }: ReadyContext) =>
        objects.peek(keyOf(principal!, resource as ServerRow, access as ClientServerAccess)) ?? undefined,
      // As the list: cached wire data, documented rather than checked per answer.
      documents: t.Object({ server: ClientServer }),
      detail: {
        tags: ['client servers'],
        summary: 'A server',
        description:
          'By uuid or 8-hex short id; 404 `server not found` unless you own it, are its subuser, or read every server (admin `servers.read`). Answers for a suspended, installing or transferring server too.',
      },
    },
  )
}

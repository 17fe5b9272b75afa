import { t } from 'elysia'
import { between, count, eq, sql } from 'drizzle-orm'
import { Empty, LimitExceeded, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { mergedEggConfiguration } from '../../egg-configurations'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { ServerAllocation, UpdateServerAllocation } from '../model'
import { getServer, type ServerRow } from '../service/admin-servers'
import { allocationsInUse, unclaimed } from '../service/deploy-allocations'
import { allocationOf, changeServerAllocation, dropServerAllocation, listServerAllocations } from '../service/server-allocations'
import { serverAllocations } from '../tables'
import { serverActivity } from './activity'

const TAG = { tags: ['client servers'] }
const na = allocationTables.nodeAllocations
const ip = sql<string>`host(${na.ip})`
const AllocationParams = t.Object({ server: t.String(), allocation: t.String() })

/** The address as the reference logs it: CIDR text (`10.0.0.1/32`). */
const cidr = (address: string) => `${address}/${address.includes(':') ? 128 : 32}`
const logged = (a: ServerAllocation) => ({ ip: cidr(a.ip), ip_alias: a.ip_alias, port: a.port })

/** Spec 03 §3.2 "primary required": the egg configuration has no allocations section, or it asks for a primary. */
async function primaryRequired(ctx: PluginContext, server: ServerRow) {
  const config = (await mergedEggConfiguration(ctx.db, server.egg_uuid)).config_allocations
  return !config || config.user_self_assign.require_primary_allocation
}

/**
 * Assigns a random free allocation of the server's node (spec 03 §3.2 `POST`): on the primary's
 * IP (any IP without a primary), in the egg configuration's port range, not on a port Wings
 * reports in use. The server row is locked while counting against `allocation_limit`, so two
 * concurrent creates at the limit cannot both succeed. Wings is asked before the transaction.
 */
async function selfAssign(ctx: PluginContext, api: ServersApi, server: ServerRow) {
  const config = (await mergedEggConfiguration(ctx.db, server.egg_uuid)).config_allocations
  if (!config?.user_self_assign.enabled) throw new LimitExceeded('self-assigning allocations is not enabled for this server')
  const { start_port, end_port } = config.user_self_assign
  const primary = server.allocation_uuid
    ? await ctx.db.transaction((tx) => allocationOf(tx, server, server.allocation_uuid!)).catch(() => null)
    : null
  const ips = primary
    ? [primary.ip]
    : (await ctx.db.selectDistinct({ ip }).from(na).where(eq(na.node_uuid, server.node_uuid))).map((r) => r.ip)
  let inUse: string[] = []
  if (ips.length) {
    try {
      inUse = await allocationsInUse(ctx.db, server.node_uuid, await api.usedPorts(await getNode(ctx.db, server.node_uuid), ips))
    } catch {
      throw new LimitExceeded('could not reach the node to check which ports are free')
    }
  }
  return transaction(ctx.db, async (tx) => {
    const locked = await getServer(tx, server.uuid, true)
    const [held] = await tx.select({ n: count() }).from(serverAllocations).where(eq(serverAllocations.server_uuid, locked.uuid))
    if (held.n >= locked.allocation_limit) throw new LimitExceeded('maximum number of allocations reached')
    const where = [between(na.port, start_port, end_port), primary ? sql`${ip} = ${primary.ip}` : undefined]
    const candidates = await unclaimed(tx, locked.node_uuid, [], ...where)
    if (!candidates.length) throw new LimitExceeded('no node allocations are available')
    const taken = new Set(inUse)
    const free = candidates.filter((c) => !taken.has(c.uuid))
    if (!free.length) throw new LimitExceeded('every free port on this node is currently in use')
    const pick = free[Math.floor(Math.random() * free.length)]
    const [row] = await tx.insert(serverAllocations).values({ server_uuid: locked.uuid, allocation_uuid: pick.uuid }).returning()
    return { server: locked, allocation: await allocationOf(tx, locked, row.uuid) }
  })
}

/**
 * `/api/client/servers/{server}/allocations` (spec 03 §3.2): list, self-assign, notes and
 * primary, removal. None of them syncs Wings, as in the reference.
 */
export function clientAllocationRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('client:server')
    .get(
      '/allocations',
      async ({ resource: server, query }) => ({ allocations: await listServerAllocations(ctx.db, server.uuid, pageParams(query)) }),
      {
        permission: 'server:allocations.read',
        query: PaginationQuery,
        response: { 200: t.Object({ allocations: PageOf(ServerAllocation) }) },
        detail: {
          ...TAG,
          summary: "The server's allocations",
          description: 'Oldest first; `search` matches `<ip>:<port>`, `<ip_alias>:<port>` and the notes.',
        },
      },
    )
    .post(
      '/allocations',
      async ({ principal, request, resource, access }) => {
        const { server, allocation } = await selfAssign(ctx, api, resource)
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:allocation.create', logged(allocation))
        return { allocation }
      },
      {
        permission: 'server:allocations.create',
        response: { 200: t.Object({ allocation: ServerAllocation }) },
        detail: {
          ...TAG,
          summary: 'Assign yourself a random allocation',
          description:
            "A random free allocation of the server's node, on the primary's IP, in the egg configuration's port range, not on a port the node reports in use; not made primary. 417: `self-assigning allocations is not enabled for this server`, `maximum number of allocations reached`, `no node allocations are available`, `could not reach the node to check which ports are free`, `every free port on this node is currently in use`.",
        },
      },
    )
    .patch(
      '/allocations/:allocation',
      async ({ principal, request, resource: server, access, params, body }) => {
        await changeServerAllocation(ctx.db, server.uuid, params.allocation, body, {
          requirePrimary: await primaryRequired(ctx, server),
          log: (tx, _, found, data) =>
            serverActivity(ctx, tx, { principal, request, server, access }, 'server:allocation.update', { ...logged(found), ...data }),
        })
        return {}
      },
      {
        permission: 'server:allocations.update',
        params: AllocationParams,
        body: UpdateServerAllocation,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Change an allocation's notes, or make it the primary",
          description:
            '`{allocation}` is the server-allocation uuid; 404 `allocation not found`. `notes`: absent stays, null clears. `primary: false` on the primary: 400 `cannot unset primary allocation` while the egg configuration requires a primary.',
        },
      },
    )
    .delete(
      '/allocations/:allocation',
      async ({ principal, request, resource: server, access, params }) => {
        await dropServerAllocation(ctx.db, server.uuid, params.allocation, {
          requirePrimary: await primaryRequired(ctx, server),
          log: (tx, _, found) => serverActivity(ctx, tx, { principal, request, server, access }, 'server:allocation.delete', logged(found)),
        })
        return {}
      },
      {
        permission: 'server:allocations.delete',
        params: AllocationParams,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Remove an allocation',
          description:
            '404 `allocation not found`; the primary: 400 `cannot delete primary allocation` while the egg configuration requires a primary.',
        },
      },
    )
}

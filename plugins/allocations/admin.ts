import { Elysia, t } from 'elysia'
import { eq } from 'drizzle-orm'
import { actorOf, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext, type Tx } from 'hatchery'
import { getNode, tables as nodeTables } from '../nodes'
import { CreateAllocations, Created, DeleteAllocations, Deleted, Ips, ListQuery, NodeAllocation, UpdateAllocations, Updated } from './model'
import {
  allocationIps,
  createAllocations,
  deleteAllocations,
  listAllocations,
  listAvailable,
  selectorAudit,
  updateAllocations,
} from './service'
import type { AllocationHooks } from './hooks'

const Params = uuidParam('node')
const PERMISSION = ['admin:nodes.read', 'admin:nodes.allocations'] as const

/** The node, its row held `FOR NO KEY UPDATE` so bulk changes of one node queue (inserts' key checks still pass). */
async function lockNode(tx: Tx, uuid: string) {
  const node = await getNode(tx, uuid)
  await tx.select({ uuid: nodeTables.nodes.uuid }).from(nodeTables.nodes).where(eq(nodeTables.nodes.uuid, node.uuid)).for('no key update')
  return node
}

/** `/api/admin/nodes/{node}/allocations…` (spec 02 §6.10). */
export function adminAllocationRoutes(ctx: PluginContext, hooks: AllocationHooks) {
  const List = t.Object({ allocations: PageOf(NodeAllocation(hooks.serverModel)) })
  return new Elysia({ prefix: '/nodes/:node/allocations', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        return { allocations: await listAllocations(ctx.db, hooks, node.uuid, query, pageParams(query)) } as never
      },
      {
        permission: [...PERMISSION],
        params: Params,
        query: ListQuery,
        response: { 200: List },
        detail: {
          summary: "A node's allocations",
          description:
            'Ordered by address, then port. `search` matches `<ip>:<port>`, `<ip_alias>:<port>` or a server-allocation note; ' +
            '`ip` is an exact address; `port_from`/`port_to` inclusive; `assigned` true/false keeps assigned/free ones. ' +
            '`server` is the assigned server, null for free allocations.',
        },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) =>
        transaction(ctx.db, async (tx) => {
          const node = await getNode(tx, params.node)
          const { created, ip } = await createAllocations(tx, node.uuid, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:allocation.create', {
            node_uuid: node.uuid,
            ip,
            ip_alias: body.ip_alias ?? null,
            ports: body.ports ?? [],
            ...(body.port_ranges ? { port_ranges: body.port_ranges } : {}),
          })
          return { created }
        }),
      {
        permission: [...PERMISSION],
        params: Params,
        body: CreateAllocations,
        response: { 200: Created },
        detail: {
          summary: 'Create allocations on one address',
          description:
            'Every port of `ports` on `ip` (port 0 entries dropped); repeated ports and ports the address already has on this node ' +
            'are skipped. `created` counts the rows inserted. **Hatchery extension:** `port_ranges` (`["25565-25600", …]`, ' +
            'inclusive, 1 to 65535) adds ranges, merged with `ports` (which may then be omitted or empty); at most 65535 ports ' +
            'in all per request (before repeats are dropped). Everything is inserted in one statement: a bad item is a 400 ' +
            'naming it and nothing is created. The activity entry lists `ports` as sent and, when given, `port_ranges`.',
        },
      },
    )
    .patch(
      '',
      async ({ principal, params, body, request }) =>
        transaction(ctx.db, async (tx) => {
          const node = await lockNode(tx, params.node)
          const { updated, skipped, ip } = await updateAllocations(tx, hooks, node, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:allocation.update', {
            node_uuid: node.uuid,
            ip,
            ip_alias: body.ip_alias ?? null,
            selector: selectorAudit(body.selector),
            updated,
            skipped,
          })
          return { updated, skipped }
        }),
      {
        permission: [...PERMISSION],
        params: Params,
        body: UpdateAllocations,
        response: { 200: Updated },
        detail: {
          summary: 'Move allocations to another address or alias',
          description:
            'Of the allocations the selector matches, one per port (the lowest uuid) is eligible, and it is skipped when another ' +
            'allocation of the node already has the new address and that port. Eligible ones get `ip`, and `ip_alias` when sent ' +
            '(null clears it). `skipped` = matched − updated. A `filter` selector needs at least one criterion.',
        },
      },
    )
    .delete(
      '',
      async ({ principal, params, body, request }) =>
        transaction(ctx.db, async (tx) => {
          const node = await lockNode(tx, params.node)
          const { deleted, skipped } = await deleteAllocations(tx, hooks, node, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:allocation.delete', {
            node_uuid: node.uuid,
            selector: selectorAudit(body.selector),
            force: body.force ?? false,
            deleted,
            skipped,
          })
          return { deleted, skipped }
        }),
      {
        permission: [...PERMISSION],
        params: Params,
        body: DeleteAllocations,
        response: { 200: Deleted },
        detail: {
          summary: 'Delete allocations',
          description:
            'Without `force`, allocations assigned to a server are skipped; when all matched ones are, 409 `every matched ' +
            'allocation is assigned to a server, force deletion to remove them anyway`. With `force` they go too (their ' +
            'server-allocation rows with them). A `filter` selector needs at least one criterion.',
        },
      },
    )
    .get(
      '/available',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        return { allocations: await listAvailable(ctx.db, hooks, node.uuid, pageParams(query)) } as never
      },
      {
        permission: [...PERMISSION],
        params: Params,
        query: PaginationQuery,
        response: { 200: List },
        detail: {
          summary: "A node's free allocations",
          description:
            'Unassigned allocations by address, then port; `search` matches `<ip>:<port>` or `<ip_alias>:<port>`. `server` is null.',
        },
      },
    )
    .get(
      '/ips',
      async ({ params }) => {
        const node = await getNode(ctx.db, params.node)
        return { ips: await allocationIps(ctx.db, node.uuid) }
      },
      {
        permission: [...PERMISSION],
        params: Params,
        response: { 200: Ips },
        detail: { summary: "The addresses of a node's allocations", description: 'Distinct, in address order.' },
      },
    )
}

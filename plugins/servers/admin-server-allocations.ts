import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, uuidParam, type PluginContext } from 'hatchery'
import { AddServerAllocation, ServerAllocation, UpdateServerAllocation } from './model'
import { addServerAllocation, listServerAllocations, removeServerAllocation, updateServerAllocation } from './service/server-allocations'

const ALLOCATIONS = 'admin:servers.allocations' as const
const Params = uuidParam('server')
const OneParams = t.Object({ ...Params.properties, ...uuidParam('allocation').properties })

/** `/api/admin/servers/{server}/allocations` (spec 02 §8.10). None of them syncs Wings, as in the reference. */
export function adminServerAllocationRoutes(ctx: PluginContext) {
  return new Elysia({ tags: ['admin servers'] })
    .use(ctx.guard)
    .get(
      '/servers/:server/allocations',
      async ({ params, query }) => ({ allocations: await listServerAllocations(ctx.db, params.server, pageParams(query)) }),
      {
        permission: ALLOCATIONS,
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ allocations: PageOf(ServerAllocation) }) },
        detail: { summary: "A server's allocations (search: `<ip>:<port>`, `<ip_alias>:<port>`, notes)", description: 'Oldest first.' },
      },
    )
    .post(
      '/servers/:server/allocations',
      async ({ params, body, principal, request }) => ({
        allocation: await addServerAllocation(ctx, actorOf(principal, request), params.server, body.allocation_uuid),
      }),
      {
        permission: ALLOCATIONS,
        params: Params,
        body: AddServerAllocation,
        response: { 200: t.Object({ allocation: ServerAllocation }) },
        detail: {
          summary: 'Give a server one more allocation of its node',
          description:
            "`allocation_uuid` is a node-allocation uuid of the server's node, else 404 `allocation not found`. One a server already holds: 409 `allocation is already assigned to a server` (the reference answers 500). The feature limit is not enforced. Logged as `server:allocation.create`.",
        },
      },
    )
    .patch(
      '/servers/:server/allocations/:allocation',
      async ({ params, body, principal, request }) => {
        await updateServerAllocation(ctx, actorOf(principal, request), params.server, params.allocation, body)
        return {}
      },
      {
        permission: ALLOCATIONS,
        params: OneParams,
        body: UpdateServerAllocation,
        response: { 200: Empty },
        detail: {
          summary: "Change a server allocation's notes or make it the primary",
          description:
            '`{allocation}` is the server-allocation uuid; 404 `allocation not found`. `notes`: absent stays, null clears. `primary: true` makes it the primary; `primary: false` on the primary leaves the server without one. Logged as `server:allocation.update`.',
        },
      },
    )
    .delete(
      '/servers/:server/allocations/:allocation',
      async ({ params, principal, request }) => {
        await removeServerAllocation(ctx, actorOf(principal, request), params.server, params.allocation)
        return {}
      },
      {
        permission: ALLOCATIONS,
        params: OneParams,
        response: { 200: Empty },
        detail: {
          summary: 'Take an allocation from a server',
          description:
            '404 `allocation not found`. Taking the primary leaves the server without one. Logged as `server:allocation.delete`.',
        },
      },
    )
}

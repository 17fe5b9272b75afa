import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, uuidParam, type PluginContext } from 'hatchery'
import { getNode } from '../nodes'
import { listServers, model as serverModel, tables as serverTables, type ServersApi } from '../servers'
import { and, eq, isNotNull } from 'drizzle-orm'
import { MassTransferBody, TransferBody, TransferProgress } from './model'
import { massTransfer } from './service/mass'
import { cancelTransfer, startTransfer } from './service/transfers'

const { servers } = serverTables
const ServerParams = uuidParam('server')
const NodeParams = uuidParam('node')
const TRANSFERS = 'admin:nodes.transfers' as const

/** `/api/admin/servers/{server}/transfer…` (spec 02 §8.12) and the node transfer routes (§6.11). */
export function adminTransferRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia()
    .use(ctx.guard)
    .post(
      '/servers/:server/transfer',
      async ({ params, body, principal, request, set }) => {
        const { node_uuid, ...options } = body
        await startTransfer(ctx, api, actorOf(principal, request), params.server, node_uuid, options)
        set.status = 202
        return {}
      },
      {
        permission: 'admin:servers.transfer',
        params: ServerParams,
        body: TransferBody,
        response: { 202: Empty },
        detail: {
          tags: ['admin servers'],
          summary: 'Move a server to another node',
          description:
            'Reserves the destination allocations (`allocation_uuid` the primary), marks the server transferring (client routes answer 409 meanwhile) and asks the source node to stream it to the destination, which reports back through `/api/remote`. 409: `server is already being transferred`, `cannot transfer server to the same node`, `server is installing or restoring a backup and cannot be transferred`, `the primary allocation is already assigned to a server`, `allocation is already assigned to a server`; 404 `node not found`; 400 `multiplex channels cannot exceed 16`, `all allocations must belong to the destination node`. A source node that refuses or cannot be reached: its error (409, 502), nothing kept. A transfer no node reports on ends after `server_transfers.timeout_minutes`. Logged `server:transfer`.',
        },
      },
    )
    .post(
      '/servers/:server/transfer/cancel',
      async ({ params, principal, request }) => {
        await cancelTransfer(ctx, api, actorOf(principal, request), params.server)
        return {}
      },
      {
        permission: 'admin:servers.transfer',
        params: ServerParams,
        response: { 200: Empty },
        detail: {
          tags: ['admin servers'],
          summary: 'Cancel a transfer',
          description:
            "409 `server is not being transferred`. The source node is asked to abort (a node that is down or answers 417 does not stop the cancel), the server stays on its source, the destination allocations are released and the destination's copy deleted in the background. Logged `server:abort-transfer`.",
        },
      },
    )
    .post(
      '/nodes/:node/servers/transfer',
      async ({ params, body, principal, request, set }) => {
        const affected = await massTransfer(ctx, api, actorOf(principal, request), params.node, body)
        set.status = 202
        return { affected }
      },
      {
        permission: TRANSFERS,
        params: NodeParams,
        body: MassTransferBody,
        response: { 202: t.Object({ affected: t.Integer() }) },
        detail: {
          tags: ['admin nodes'],
          summary: "Move a node's servers to another node",
          description:
            'Each selected server of the node not already transferring is transferred as by `POST /api/admin/servers/{server}/transfer`, its destination allocations chosen by `allocation_mode` (`egg_config_deployment`: 400, not supported yet); one that fails is skipped. `affected`: the transfers started. 409 `cannot transfer servers to the same node`, 404 `node not found`, 400 `multiplex channels cannot exceed 16`. `transfer_backups`: the backups of each server that are not shared go along (the source node sends those it stores itself); `delete_source_backups`: the source deletes its copies once delivered. Logged `node:servers.transfer`.',
        },
      },
    )
    .get('/nodes/:node/transfers', async ({ params }) => ({ transfers: await api.wings(await getNode(ctx.db, params.node)).transfers() }), {
      permission: TRANSFERS,
      params: NodeParams,
      response: { 200: t.Object({ transfers: t.Record(t.String(), TransferProgress) }) },
      detail: {
        tags: ['admin nodes'],
        summary: "The node's outgoing transfers",
        description: 'Progress by server uuid, from the node (502 when it cannot be reached).',
      },
    })
    .get(
      '/nodes/:node/transfers/servers',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        const where = and(eq(servers.node_uuid, node.uuid), isNotNull(servers.destination_node_uuid))
        return { servers: await listServers(ctx.db, await api.views(), pageParams(query), where) }
      },
      {
        permission: TRANSFERS,
        params: NodeParams,
        query: PaginationQuery,
        response: { 200: t.Object({ servers: PageOf(serverModel.AdminServer) }) },
        detail: {
          tags: ['admin nodes'],
          summary: "The node's servers being transferred away",
          description: 'Oldest first; `search` matches the name.',
        },
      },
    )
}

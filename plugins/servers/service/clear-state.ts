import { and, eq, inArray, ne } from 'drizzle-orm'
import { transaction, type Actor, type PluginContext } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { serverAllocations, servers } from '../tables'
import { getServer } from './admin-servers'

/** How long the destination node gets to forget a cancelled transfer's server; its answer does not matter. */
export const DESTINATION_DELETE_MS = 5_000

/**
 * Clears a server's state (spec 02 §8.8): a pending transfer is dropped (destination unset, the
 * allocations on other nodes than its own freed) and the status set to null, in one transaction.
 * Then the destination node is asked to delete its copy: errors are logged and ignored, and the
 * call is bounded by `DESTINATION_DELETE_MS` (the reference asks before committing, with the
 * transaction open; here nothing is held open across the call).
 */
export async function clearServerState(ctx: PluginContext, api: ServersApi, actor: Actor, uuid: string): Promise<void> {
  const na = allocationTables.nodeAllocations
  const destination = await transaction(ctx.db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    if (server.destination_node_uuid) {
      const elsewhere = tx.select({ uuid: na.uuid }).from(na).where(ne(na.node_uuid, server.node_uuid))
      await tx
        .delete(serverAllocations)
        .where(and(eq(serverAllocations.server_uuid, server.uuid), inArray(serverAllocations.allocation_uuid, elsewhere)))
    }
    await tx
      .update(servers)
      .set({ status: null, destination_node_uuid: null, destination_allocation_uuid: null })
      .where(eq(servers.uuid, server.uuid))
    await ctx.activity.admin(tx, actor, 'server:clear-state', { uuid: server.uuid })
    return server.destination_node_uuid ? { node: server.destination_node_uuid, server: server.uuid } : null
  })
  if (!destination) return
  try {
    const node = await getNode(ctx.db, destination.node)
    await api.wings(node).deleteServer(destination.server, DESTINATION_DELETE_MS)
  } catch (error) {
    ctx.log.warn('deleting the server on the transfer destination failed', { server: destination.server, error: error as Error })
  }
}

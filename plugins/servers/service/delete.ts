import { eq } from 'drizzle-orm'
import { HttpError, transaction, type Actor, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { servers } from '../tables'
import { getServer } from './admin-servers'

/**
 * Deletes a server (spec 02 §8.6): what other plugins hold for it (`api.deletionHooks`), Wings, then the row (its claims and variables cascade).
 * A Wings failure keeps the row unless `force`; Wings not knowing the server (404) counts as done.
 * The reference deletes inside a transaction held across the Wings call; here none is held open
 * across it (on the embedded database it would stall every other request for up to 15 s).
 */
export async function deleteServer(ctx: PluginContext, api: ServersApi, actor: Actor, uuid: string, force: boolean): Promise<void> {
  const server = await getServer(ctx.db, uuid)
  const node = await getNode(ctx.db, server.node_uuid)
  for (const hook of api.deletionHooks) await hook(server, force)
  try {
    await api.wings(node).deleteServer(server.uuid)
  } catch (error) {
    const gone = error instanceof HttpError && error.status === 404
    if (!gone && !force) throw error
  }
  await transaction(ctx.db, async (tx) => {
    await tx.delete(servers).where(eq(servers.uuid, server.uuid))
    await ctx.activity.admin(tx, actor, 'server:delete', { uuid: server.uuid, name: server.name })
  })
}

import { eq, or, sql } from 'drizzle-orm'
import { Conflict, type Db, type PluginContext, type Tx } from 'hatchery'
import nests from '../../nests'
import nodes from '../../nodes'
import stats from '../../stats'
import users from '../../users'
import { servers } from '../tables'

const on = (tx: Db | Tx, where: ReturnType<typeof eq>) => tx.$count(servers, where)

/** The node's servers (and those on their way to it) with their limits summed (`GET /nodes/{node}/capacity`). */
export async function allocatedOn(db: Db, node: string) {
  const [row] = await db
    .select({
      servers: sql<number>`count(*)::int`,
      cpu: sql<string>`coalesce(sum(${servers.cpu}), 0)`,
      memory: sql<string>`coalesce(sum(${servers.memory}), 0)`,
      memory_overhead: sql<string>`coalesce(sum(${servers.memory_overhead}), 0)`,
      disk: sql<string>`coalesce(sum(${servers.disk}), 0)`,
    })
    .from(servers)
    .where(eq(servers.node_uuid, node))
  return {
    servers: row.servers,
    cpu: Number(row.cpu),
    memory: Number(row.memory),
    memory_overhead: Number(row.memory_overhead),
    disk: Number(row.disk),
  }
}

/**
 * What the servers plugin fills in other plugins, in its `setup`: the `servers` stat, the node
 * capacity, and the refusals (409, with the reference's words; it answers 400 for the node and the user) to
 * delete a node, an egg or a user that servers use.
 * A server created while such a delete runs waits on the row the delete locked (the foreign key's
 * share lock), so the count cannot miss it.
 */
export function connectHooks(ctx: PluginContext): void {
  ctx.api(stats).contribute('servers', (db) => db.$count(servers), ctx.plugin)
  const nodeHooks = ctx.api(nodes)
  nodeHooks.provideCapacity((db, node) => allocatedOn(db, node.uuid))
  nodeHooks.deletionGuards.add(async (tx, node) => {
    if (await on(tx, or(eq(servers.node_uuid, node.uuid), eq(servers.destination_node_uuid, node.uuid))!))
      throw new Conflict('node has servers, cannot delete')
  })
  ctx.api(nests).eggDeletionGuards.add(async (tx, egg) => {
    if (await on(tx, eq(servers.egg_uuid, egg.uuid))) throw new Conflict('egg has servers, cannot delete')
  })
  ctx
    .api(users)
    .deletionGuards.add(async (tx, user) => ((await on(tx, eq(servers.owner_uuid, user.uuid))) ? 'user has servers, cannot delete' : null))
}

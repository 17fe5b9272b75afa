import { definePlugin, loadOr404, type Db, type Tx } from 'hatchery'
import * as tables from './tables'

export { tables }

export type NodeRow = typeof tables.nodes.$inferSelect

/** The node a path parameter names: 400 `invalid node uuid`, 404 `node not found`. */
export const getNode = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, tables.nodes, tables.nodes.uuid, uuid, 'node', { lock })

/**
 * Nodes (spec 02 §6): the machines Wings runs on. Allocations, mount and database-host links and
 * servers reference `tables.nodes` from their own plugins.
 */
export default definePlugin({
  name: 'nodes',
  version: '1.0.0',
  description: 'Nodes: the machines Wings runs on, their tokens and join configuration',
  dependsOn: ['locations', 'backup-configurations', 'stats'],
  tables,
  migrations: '../../migrations/nodes',
  uniqueMessages: { nodes_name_unique: 'node with name already exists' },
})

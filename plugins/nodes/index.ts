import { Conflict, definePlugin, type PluginDescriptor } from 'hatchery'
import backupConfigurations from '../backup-configurations'
import locations from '../locations'
import mounts from '../mounts'
import stats from '../stats'
import * as tables from './tables'
import * as model from './model'
import { NodeHooks } from './hooks'
import { adminRoutes } from './admin'
import { nodesCli } from './cli'
import { listMountNodes } from './service/links'
import { listNodes, locationHasNodes } from './service/nodes'

export { tables, model }
export { getNode, adminNode, toAdminNode, normalizeUrl, revealToken, type NodeRow, type AdminNode } from './service/nodes'
export { joinDocument } from './service/join'
export type { NodeHooks, NodeDeletionGuard, NodeDuplicatedHook, AllocatedCapacity, CapacityProvider } from './hooks'

/**
 * Nodes (spec 02 §6): the machines Wings runs on, their tokens (stored encrypted, never in a node
 * object) and join document, and their mount and database-host links. Allocations and servers
 * reference `tables.nodes` from their own plugins and hook in through `ctx.api(nodes)`
 * (`NodeHooks`): deletion guards, copies on duplicate, the capacity's `allocated` sums.
 */
const plugin: PluginDescriptor<NodeHooks> = definePlugin<NodeHooks>({
  name: 'nodes',
  version: '1.0.0',
  description: 'Nodes: the machines Wings runs on, their tokens and join configuration',
  dependsOn: ['locations', 'backup-configurations', 'stats', 'mounts', 'database-hosts'],
  tables,
  migrations: '../../migrations/nodes',
  uniqueMessages: { nodes_name_unique: 'node with name already exists' },
  setup(ctx) {
    ctx.api(stats).contribute('nodes', (db) => db.$count(tables.nodes), ctx.plugin)
    const locationHooks = ctx.api(locations)
    locationHooks.deletionGuards.add(async (tx, location) => {
      if (await locationHasNodes(tx, location.uuid)) throw new Conflict('location has nodes, cannot delete')
    })
    locationHooks.lists.provide('nodes', {
      model: model.Node,
      list: (db, uuid, page) => listNodes(db, ctx.secrets, page, { location_uuid: uuid }),
    })
    ctx.api(backupConfigurations).lists.provide('nodes', {
      model: model.Node,
      list: (db, uuid, page) => listNodes(db, ctx.secrets, page, { backup_configuration_uuid: uuid }),
    })
    ctx.api(mounts).lists.provide('nodes', {
      model: model.MountNodeLink,
      list: (db, uuid, page) => listMountNodes(db, ctx.secrets, uuid, page),
    })
    return new NodeHooks()
  },
  routes: {
    admin: (ctx) => adminRoutes(ctx, ctx.api(plugin)),
  },
  cli: nodesCli(),
})

export default plugin

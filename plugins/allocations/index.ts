import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { AllocationHooks } from './hooks'
import { adminAllocationRoutes } from './admin'

export { tables, model }
export { isIpAddress, parseRanges } from './service'
export type { AllocationHooks, AssignmentProvider, AllocationDeletionGuard, DoomedAllocation } from './hooks'

/**
 * Node allocations (spec 02 §6.10): the `(ip, port)` pairs a node offers. The servers plugin
 * references `tables.nodeAllocations` and fills `ctx.api(allocations)` (`AllocationHooks`): which
 * allocations are assigned and to which server, and deletion guards.
 */
const plugin: PluginDescriptor<AllocationHooks> = definePlugin<AllocationHooks>({
  name: 'allocations',
  version: '1.0.0',
  description: "Node allocations: the addresses and ports a node's servers listen on",
  dependsOn: ['nodes'],
  tables,
  migrations: '../../migrations/allocations',
  uniqueMessages: { node_allocations_node_host_port_unique: 'allocation with this ip and port already exists on this node' },
  setup: () => new AllocationHooks(),
  routes: {
    admin: (ctx) => adminAllocationRoutes(ctx, ctx.api(plugin)),
  },
})

export default plugin

import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { adminMountRoutes } from './admin'
import { MountHooks } from './hooks'

export { tables, model }
export { MountHooks, type MountDeletionGuard } from './hooks'
export { getMount, toAdminMount, mountPathProblem, type MountRow, type AdminMount } from './service'

const TAKEN = 'mount with name/source/target already exists'

/**
 * Mounts (spec 02 §9): host folders Wings bind-mounts into servers. Nodes, eggs and servers link to
 * `tables.mounts` from their own plugins (links cascade when a mount is deleted), fill the link
 * lists and may refuse a deletion through `ctx.api(mounts)` (`MountHooks`).
 */
const plugin: PluginDescriptor<MountHooks> = definePlugin<MountHooks>({
  name: 'mounts',
  version: '1.0.0',
  description: 'Mounts: host folders that can be mounted into servers',
  tables,
  migrations: '../../migrations/mounts',
  uniqueMessages: { mounts_name_unique: TAKEN, mounts_source_target_unique: TAKEN },
  setup: () => new MountHooks(),
  routes: {
    admin: (ctx) => adminMountRoutes(ctx, ctx.api(plugin)),
  },
})

export default plugin

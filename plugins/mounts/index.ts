import { definePlugin } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { adminMountRoutes } from './admin'

export { tables, model }
export { getMount, toAdminMount, mountPathProblem, type MountRow, type AdminMount } from './service'

const TAKEN = 'mount with name/source/target already exists'

/**
 * Mounts (spec 02 §9): host folders Wings bind-mounts into servers. Nodes, eggs and servers link to
 * `tables.mounts` from their own plugins (links cascade when a mount is deleted).
 */
export default definePlugin({
  name: 'mounts',
  version: '1.0.0',
  description: 'Mounts: host folders that can be mounted into servers',
  tables,
  migrations: '../../migrations/mounts',
  uniqueMessages: { mounts_name_unique: TAKEN, mounts_source_target_unique: TAKEN },
  routes: {
    admin: (ctx) => adminMountRoutes(ctx),
  },
})

import { definePlugin, type PluginDescriptor } from 'hatchery'
import mounts from '../mounts'
import servers from '../servers'
import * as tables from './tables'
import { adminServerMountRoutes } from './admin'
import { clientMountRoutes } from './client'
import { documentMounts, listMountServers } from './service'
import { model as serverModel } from '../servers'
import { t } from 'elysia'

export { tables }

/**
 * Server mounts (spec 03 §5.5, spec 02 §8.11): the `server_mounts` table, the client and admin
 * routes that attach and detach them (only mounts linked to the server's node and egg; clients
 * only `user_mountable` ones), the mounts' `servers` list, and the `mounts` of every server
 * configuration document (pushed to the node on each change).
 */
const plugin: PluginDescriptor = definePlugin({
  name: 'server-mounts',
  version: '1.0.0',
  description: 'Mounts attached to servers',
  dependsOn: ['servers', 'mounts', 'nodes', 'nests'],
  tables,
  migrations: '../../migrations/server-mounts',
  setup(ctx) {
    const api = ctx.api(servers)
    api.documentContributors.add(documentMounts)
    ctx.api(mounts).lists.provide('servers', {
      model: t.Object({ server: serverModel.AdminServer, created: t.Date() }),
      list: (db, uuid, page) => listMountServers(db, api, uuid, page),
    })
  },
  routes: {
    admin: (ctx) => adminServerMountRoutes(ctx, ctx.api(servers)),
    'client:server': (ctx) => clientMountRoutes(ctx, ctx.api(servers)),
  },
})

export default plugin

import { definePlugin, type PluginDescriptor } from 'hatchery'
import servers from '../servers'
import databaseHosts from '../database-hosts'
import * as tables from './tables'
import * as model from './model'
import { adminDatabaseRoutes } from './admin'
import { clientDatabaseRoutes } from './client'
import { dropHostDatabases, dropServerDatabases } from './service/databases'

/**
 * Server databases (spec 03 §5.3 without the explorer and database instances): databases and users
 * the panel creates on database hosts for servers, the client routes, the admin lists and delete,
 * and the drop of a deleted server's or host's databases (the `deletionHooks` of both plugins).
 */
const plugin: PluginDescriptor = definePlugin({
  name: 'server-databases',
  version: '1.0.0',
  description: 'Databases for servers on database hosts',
  dependsOn: ['servers', 'database-hosts', 'nodes', 'locations'],
  tables,
  migrations: '../../migrations/server-databases',
  uniqueMessages: { server_databases_host_name_unique: 'database with name already exists' },
  setup(ctx) {
    const deps = { db: ctx.db, secrets: ctx.secrets, log: ctx.log }
    ctx.api(servers).deletionHooks.add((server, force) => dropServerDatabases(deps, server, force))
    ctx.api(databaseHosts).deletionHooks.add((host, force) => dropHostDatabases(deps, host, force))
  },
  routes: { 'client:server': clientDatabaseRoutes, admin: adminDatabaseRoutes },
})

export default plugin
export { tables, model }

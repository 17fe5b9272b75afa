import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { adminDatabaseHostRoutes } from './admin'
import stats from '../stats'

/**
 * Database hosts (spec 02 §10): the MySQL/MariaDB and PostgreSQL servers where server databases are
 * created. Credentials are stored encrypted and never answered; the connection test really connects.
 * Links from locations and nodes reference `tables.databaseHosts` and answer link objects
 * `{ database_host: toDatabaseHost(row), created }`.
 */
const plugin: PluginDescriptor = definePlugin({
  name: 'database-hosts',
  version: '1.0.0',
  description: 'Database hosts for server databases',
  dependsOn: ['users', 'stats'],
  tables,
  migrations: '../../migrations/database-hosts',
  uniqueMessages: { database_hosts_name_unique: 'database host with name already exists' },
  setup(ctx) {
    ctx.api(stats).contribute('database_hosts', (db) => db.$count(tables.databaseHosts), ctx.plugin)
  },
  routes: { admin: adminDatabaseHostRoutes },
})

export default plugin
export { tables, model }
export { toDatabaseHost, getDatabaseHost, type DatabaseHostRow } from './service/hosts'
export { testConnection, openHostSession, publicAddress, reasonOf, type HostSession } from './service/connect'

import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { adminDatabaseHostRoutes } from './admin'
import stats from '../stats'
import type { DatabaseHostRow } from './service/hosts'

/**
 * Database hosts (spec 02 §10): the MySQL/MariaDB and PostgreSQL servers where server databases are
 * created. Credentials are stored encrypted and never answered; the connection test really connects.
 * Links from locations and nodes reference `tables.databaseHosts` and answer link objects
 * `{ database_host: toDatabaseHost(row), created }`.
 */
/** What other plugins get from `ctx.api(databaseHosts)`. */
export class DatabaseHostHooks {
  /**
   * Run in order before a host is deleted (`force` as the admin sent it); one that throws refuses
   * the delete (server databases: 409 `database host has databases, cannot delete` unless `force`).
   */
  readonly deletionHooks = new Set<(host: DatabaseHostRow, force: boolean) => Promise<void>>()
}

const plugin: PluginDescriptor<DatabaseHostHooks> = definePlugin<DatabaseHostHooks>({
  name: 'database-hosts',
  version: '1.0.0',
  description: 'Database hosts for server databases',
  dependsOn: ['users', 'stats'],
  tables,
  migrations: '../../migrations/database-hosts',
  uniqueMessages: { database_hosts_name_unique: 'database host with name already exists' },
  setup(ctx) {
    ctx.api(stats).contribute('database_hosts', (db) => db.$count(tables.databaseHosts), ctx.plugin)
    return new DatabaseHostHooks()
  },
  routes: { admin: (ctx) => adminDatabaseHostRoutes(ctx, ctx.api(plugin)) },
})

export default plugin
export { tables, model }
export { toDatabaseHost, getDatabaseHost, type DatabaseHostRow } from './service/hosts'
export { testConnection, openHostSession, publicAddress, reasonOf, type HostSession } from './service/connect'

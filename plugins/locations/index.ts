import { definePlugin, type PluginDescriptor } from 'hatchery'
import backupConfigurations from '../backup-configurations'
import stats from '../stats'
import * as tables from './tables'
import * as model from './model'
import { LocationHooks } from './hooks'
import { Elysia } from 'elysia'
import { adminLocationRoutes } from './admin'
import { adminLocationDatabaseHostRoutes } from './database-hosts'
import { HOST_TAKEN } from './links'
import { locationsCli } from './cli'
import { listLocations } from './service'
import { eq } from 'drizzle-orm'

export { tables, model }
export { getLocation, adminLocation, toAdminLocation, type LocationRow, type AdminLocation } from './service'
export { listLocationDatabaseHosts } from './links'
export type { LocationDeletionGuard, LocationDuplicatedHook, LocationHooks } from './hooks'

/**
 * Locations (spec 02 §5) and their database-host links (`location_database_hosts`, copied when a
 * location is duplicated). Other plugins hook in through `ctx.api(locations)` (`LocationHooks`):
 * deletion guards (nodes), copies on duplicate (links of their own), and the node list of
 * `/locations/{location}/nodes`. This plugin fills the `locations` list of a backup configuration.
 */
const plugin: PluginDescriptor<LocationHooks> = definePlugin<LocationHooks>({
  name: 'locations',
  version: '1.0.0',
  description: 'Locations: where nodes are, and their default backup configuration',
  dependsOn: ['backup-configurations', 'database-hosts', 'stats'],
  tables,
  migrations: '../../migrations/locations',
  uniqueMessages: { locations_name_unique: 'location with name already exists', location_database_hosts_pk: HOST_TAKEN },
  setup(ctx) {
    ctx.api(stats).contribute('locations', (db) => db.$count(tables.locations), ctx.plugin)
    ctx.api(backupConfigurations).lists.provide('locations', {
      model: model.Location,
      list: (db, uuid, page) => listLocations(db, ctx.secrets, page, eq(tables.locations.backup_configuration_uuid, uuid)),
    })
    return new LocationHooks()
  },
  routes: {
    admin: (ctx) => new Elysia().use(adminLocationRoutes(ctx, ctx.api(plugin))).use(adminLocationDatabaseHostRoutes(ctx)),
  },
  cli: locationsCli(),
})

export default plugin

import { definePlugin } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { adminEggConfigurationRoutes } from './admin'
import { TAKEN } from './service'

export { tables, model }
export {
  mergedEggConfiguration,
  mergedEggConfigurations,
  getEggConfiguration,
  toEggConfiguration,
  type EggConfigurationRow,
  type AdminEggConfiguration,
  type MergedEggConfiguration,
} from './service'

/**
 * Egg configurations (spec 02 §7.8): per-egg deployment and self-assign allocation rules, custom
 * startup and the server route order. `mergedEggConfiguration(db, eggUuid)` gives what applies to
 * one egg (the servers plugin: deploy, the client's egg configuration).
 */
export default definePlugin({
  name: 'egg-configurations',
  version: '1.0.0',
  description: 'Egg configurations: allocation, startup and route-order rules for eggs',
  dependsOn: ['nests'],
  tables,
  migrations: '../../migrations/egg-configurations',
  uniqueMessages: { egg_configurations_name_unique: TAKEN },
  routes: {
    admin: (ctx) => adminEggConfigurationRoutes(ctx),
  },
})

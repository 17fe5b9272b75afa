import { Elysia } from 'elysia'
import { definePlugin } from 'hatchery'
import * as tables from './tables'
import { adminNestRoutes } from './admin'
import { eggImportRoutes } from './import-routes'
import { nestsCli } from './cli'

export { tables }
export { ruleProblem, SUPPORTED_RULES } from './rules'
export { readEggDocument, parseEgg, exportEgg, planVariableUpdate, type ParsedEgg } from './format'
export { importEgg, updateEggFromDocument, exportEggDocument, fetchEggDocument, EggFetchError } from './import-service'

/**
 * Nests and eggs (spec 02 §7): the games a panel can install. Servers, mount links, egg
 * repositories and egg configurations reference `tables.nestEggs` from their own plugins.
 */
export default definePlugin({
  name: 'nests',
  version: '1.0.0',
  description: 'Nests, eggs and egg variables, with egg import and export',
  dependsOn: ['stats'],
  tables,
  migrations: '../../migrations/nests',
  uniqueMessages: {
    nests_name_unique: 'nest with name already exists',
    nest_eggs_nest_uuid_name_unique: 'egg with name already exists',
    nest_egg_variables_egg_uuid_env_variable_unique: 'variable with name already exists',
  },
  routes: {
    admin: (ctx) => new Elysia().use(adminNestRoutes(ctx)).use(eggImportRoutes(ctx)),
  },
  cli: nestsCli(),
})

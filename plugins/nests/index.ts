import { Elysia } from 'elysia'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import mounts from '../mounts'
import stats from '../stats'
import * as tables from './tables'
import * as model from './model'
import { NestHooks } from './hooks'
import { adminNestsRoutes } from './admin'
import { eggImportRoutes } from './import-routes'
import { eggRepositoryUpdateRoutes } from './repository-routes'
import { listMountEggs } from './service/egg-mounts'
import { nestsCli } from './cli'

export { tables, model }
export { ruleProblem, validateVariableValue, SUPPORTED_RULES } from './rules'
export { NestHooks, type EggDeletionGuard, type RepositoryEggSource } from './hooks'
export { getNest, toAdminNest, type NestRow, type AdminNest } from './service/nests'
export { getEgg, toAdminEgg, adminEgg, createEgg, eggColumns, eggAudit, pairsToObject, type EggRow, type AdminEgg } from './service/eggs'
export { createVariable, listVariables, toAdminVariable, type VariableRow, type AdminVariable } from './service/variables'
export { readEggDocument, parseEgg, exportEgg, exportParsed, planVariableUpdate, EGG_MAX_BYTES, type ParsedEgg } from './format'
export { importEgg, updateEggFromDocument, exportEggDocument, fetchEggDocument, EggFetchError } from './import-service'
export { ExportedEgg } from './import-model'

/**
 * Nests and eggs (spec 02 §7): the games a panel can install. Servers, egg repositories and egg
 * configurations reference `tables.nestEggs` from their own plugins and hook in through
 * `ctx.api(nests)` (`NestHooks`): egg deletion guards, the `servers` list of an egg, the
 * repository-egg source. This plugin fills the mounts plugin's `nest-eggs` list.
 */
const plugin: PluginDescriptor<NestHooks> = definePlugin<NestHooks>({
  name: 'nests',
  version: '1.0.0',
  description: 'Nests, eggs and egg variables, with egg import and export',
  dependsOn: ['stats', 'mounts'],
  tables,
  migrations: '../../migrations/nests',
  uniqueMessages: {
    nests_name_unique: 'nest with name already exists',
    nest_eggs_nest_uuid_name_unique: 'egg with name already exists',
    nest_egg_variables_egg_uuid_env_variable_unique: 'variable with name already exists',
    nest_egg_mounts_egg_uuid_mount_uuid_unique: 'mount already exists',
  },
  setup(ctx) {
    ctx.api(stats).contribute('nest_eggs', (db) => db.$count(tables.nestEggs), ctx.plugin)
    ctx.api(mounts).lists.provide('nest-eggs', { model: model.MountNestEgg, list: listMountEggs })
    return new NestHooks()
  },
  routes: {
    admin: (ctx) =>
      new Elysia()
        .use(adminNestsRoutes(ctx, ctx.api(plugin)))
        .use(eggImportRoutes(ctx))
        .use(eggRepositoryUpdateRoutes(ctx, ctx.api(plugin))),
  },
  cli: nestsCli(),
})

export default plugin

import { Elysia, t } from 'elysia'
import { definePlugin, type PluginSettings, type SettingsOf } from 'hatchery'
import nests from '../nests'
import * as tables from './tables'
import * as model from './model'
import { adminEggRepositoryRoutes } from './admin'
import { eggRepositoryEggRoutes } from './eggs-routes'
import { repositoryEggSource } from './service/eggs'
import { TAKEN } from './service/repositories'

export { tables, model }
export { syncRepository } from './service/sync'
export { getRepository, toEggRepository, type RepositoryRow, type AdminEggRepository } from './service/repositories'

const settings = {
  'egg_repositories.allow_local': {
    schema: t.Boolean(),
    default: false,
    description:
      'Lets an egg repository be a repository on the panel host (an absolute path or a file:// URL), read in place by sync. Off: https (and, with outbound.allow_private_addresses, http) remotes only.',
  },
} satisfies PluginSettings

declare module 'hatchery' {
  interface Settings extends SettingsOf<typeof settings> {}
}

/**
 * Egg repositories (spec 02 §7.8): git repositories of eggs, synced into `egg_repository_eggs` and
 * installed into nests. Fills the nests plugin's repository-egg source, so an egg can name the
 * repository egg it came from (`egg_repository_egg_uuid`) and be refreshed from it
 * (`…/update/repository`, routes of the nests plugin).
 */
export default definePlugin({
  name: 'egg-repositories',
  version: '1.0.0',
  description: 'Egg repositories: eggs synced from git repositories and installed into nests',
  dependsOn: ['nests'],
  tables,
  migrations: '../../migrations/egg-repositories',
  uniqueMessages: { egg_repositories_name_unique: TAKEN, egg_repositories_git_repository_unique: TAKEN },
  settings,
  setup(ctx) {
    ctx.api(nests).provideRepositoryEggs(repositoryEggSource)
  },
  routes: {
    admin: (ctx) => new Elysia().use(adminEggRepositoryRoutes(ctx)).use(eggRepositoryEggRoutes(ctx, ctx.api(nests))),
  },
})

import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { SubLists } from './service/lists'
import { adminBackupConfigurationRoutes } from './admin'
import stats from '../stats'

export { tables, model }
export { toAdminBackupConfiguration, getConfiguration, type BackupConfigurationRow } from './service/configurations'
export { revealConfigs, normalizeStored, type StoredConfigs } from './service/configs'
export type { SubList, SubListName } from './service/lists'

/** What the plugin offers others (`ctx.api(backupConfigurations)`). */
export interface BackupConfigurationsApi {
  /** The sub-lists (locations, nodes, servers, backups) and stats the owning plugins fill in `setup`. */
  lists: SubLists
}

/**
 * Backup configurations (spec 02 §13): where Wings stores backups. Locations and nodes reference
 * them (`ON DELETE SET NULL`); the lists of what uses one are provided by the owning plugins.
 */
const plugin: PluginDescriptor<BackupConfigurationsApi> = definePlugin<BackupConfigurationsApi>({
  name: 'backup-configurations',
  version: '1.0.0',
  description: 'Backup configurations: storage drivers and their settings, secrets encrypted',
  dependsOn: ['stats'],
  tables,
  migrations: '../../migrations/backup-configurations',
  uniqueMessages: { backup_configurations_name_unique: 'backup configuration with name already exists' },
  setup(ctx) {
    ctx.api(stats).contribute('backup_configurations', (db) => db.$count(tables.backupConfigurations), ctx.plugin)
    return { lists: new SubLists() }
  },
  routes: {
    admin: (ctx) => adminBackupConfigurationRoutes(ctx, ctx.api(plugin).lists),
  },
})

export default plugin

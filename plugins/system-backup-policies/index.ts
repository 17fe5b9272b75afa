import { Elysia } from 'elysia'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import * as model from './model'
import { SystemBackupPoliciesApi } from './api'
import { adminPolicyRoutes } from './admin'
import { adminPolicyLinkRoutes } from './admin-links'
import serverBackups from '../server-backups'
import { serverBackupsRunner } from './service/server-backups-runner'

export { tables, model, SystemBackupPoliciesApi }
export { PolicyEngine, coveredServers, latestSlot, backupName } from './service/engine'
export type { BackupRunner, PolicyBackupOptions } from './service/runner'

/**
 * System backup policies (spec 02 §13): back up every server a policy covers (linked directly, on a
 * linked node, or on a node of a linked location) on its cron, a slot once across panel processes,
 * with bounded parallelism and retention by count and days. Backups are started and deleted through
 * the server-backups plugin's `createBackup` and `deleteBackup` (the runner, `provideRunner`; tests
 * may put another in its place); this plugin records which it started
 * (`system_backup_policy_backups`).
 */
const plugin: PluginDescriptor<SystemBackupPoliciesApi> = definePlugin<SystemBackupPoliciesApi>({
  name: 'system-backup-policies',
  version: '1.0.0',
  description: 'System backup policies: scheduled backups of the servers of locations, nodes or a list',
  dependsOn: ['servers', 'nodes', 'locations', 'backup-configurations', 'server-backups'],
  tables,
  migrations: '../../migrations/system-backup-policies',
  uniqueMessages: { system_backup_policies_name_unique: 'system backup policy with name already exists' },
  setup(ctx) {
    const api = new SystemBackupPoliciesApi(ctx.db, ctx.log)
    api.provideRunner(serverBackupsRunner(ctx.api(serverBackups)))
    return api
  },
  jobs: {
    run: {
      schedule: '* * * * *',
      description: 'Run the enabled policies whose cron slot came (each slot claimed once), then apply retention',
      run: (ctx) => ctx.api(plugin).engine.tick(),
    },
  },
  routes: {
    admin: (ctx) => new Elysia().use(adminPolicyRoutes(ctx, ctx.api(plugin))).use(adminPolicyLinkRoutes(ctx, ctx.api(plugin))),
  },
  onShutdown: (ctx) => ctx.api(plugin).engine.settled(),
})

export default plugin

import { Elysia } from 'elysia'
import { and, asc, eq, inArray, isNull } from 'drizzle-orm'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import backupConfigurations from '../backup-configurations'
import servers, { tables as serverTables } from '../servers'
import { AdminServerBackup } from './model'
import * as tables from './tables'
import { adminBackupRoutes } from './admin/backups'
import { adminNodeBackupRoutes } from './admin/node-backups'
import { clientBackupRoutes } from './client/backups'
import { clientBackupItemRoutes } from './client/backup-item'
import { clientBackupGroupRoutes } from './client/groups'
import { remoteBackupRoutes } from './remote/routes'
import { remoteServerBackupRoutes } from './remote/server-routes'
import { adminBackupPage, backupStats } from './service/admin'
import { retryStaleDeletions } from './service/delete'
import { pruneAgedGroupBackups } from './service/retention'
import { bindRuntime, type BackupRuntime } from './service/runtime'
import { transferHook } from './service/transfer'

export { tables }
export * as model from './model'
export { createBackup, defaultBackupName, type CreateBackupOptions } from './service/create'
export { deleteBackup, dispatchDeletion } from './service/delete'
export type { BackupRuntime } from './service/runtime'
export { restoreBackup } from './service/restore'
export { toServerBackup, configurationOf, adapterOf, type BackupRow } from './service/backups'
export { presign as presignS3 } from './service/s3'

const b = tables.serverBackups

/**
 * Server backups (spec 03 §5.1–§5.2, spec 04 §1.6 E and §3.2, spec 02 §6.13, §8.14, §12.2): the
 * `server_backups` and `server_backup_groups` tables, the client routes, what Wings reports and asks
 * for under `/api/remote/backups` and `/api/remote/servers/{server}/backups`, node and server backup
 * lists for administrators and `stats/backups`. `createBackup(ctx.db, server, options, actor)` is the
 * one way any backup is made.
 */
const plugin: PluginDescriptor<BackupRuntime> = definePlugin<BackupRuntime>({
  name: 'server-backups',
  version: '1.0.0',
  description: 'Server backups on Wings, S3 and restic, with groups and retention',
  dependsOn: ['servers', 'backup-configurations', 'stats', 'nodes'],
  tables,
  migrations: '../../migrations/server-backups',
  uniqueMessages: { server_backup_groups_server_uuid_name_unique: 'backup group with name already exists' },
  setup(ctx) {
    const api = ctx.api(servers)
    const rt = bindRuntime(ctx, (node) => api.wings(node))
    api.documentContributors.add(async (db, server) => ({
      backups: (await db.select({ uuid: b.uuid }).from(b).where(eq(b.server_uuid, server.uuid)).orderBy(asc(b.created))).map((r) => r.uuid),
    }))
    api.transferHooks.add(transferHook)
    api.nodeResetHooks.add(async (tx, node) => {
      const onNode = tx
        .select({ uuid: serverTables.servers.uuid })
        .from(serverTables.servers)
        .where(eq(serverTables.servers.node_uuid, node.uuid))
      await tx
        .update(b)
        .set({ successful: false, completed: new Date() })
        .where(and(isNull(b.completed), inArray(b.server_uuid, onNode)))
    })
    const lists = ctx.api(backupConfigurations).lists
    lists.provide('backups', {
      model: AdminServerBackup,
      list: async (db, uuid, page) =>
        adminBackupPage(db, await api.views(), and(eq(b.backup_configuration_uuid, uuid), isNull(b.deleted)), page),
    })
    lists.provideStats((db, uuid) => backupStats(db, uuid))
    return rt
  },
  jobs: {
    'deletion-retries': {
      schedule: '*/5 * * * *',
      description: 'Send stale backup deletions again (back-off 5·2^n minutes, at most 60), up to 8 times',
      run: async (ctx) => void (await retryStaleDeletions(ctx.api(plugin))),
    },
    'group-age': {
      schedule: '*/30 * * * *',
      description: "Delete the unlocked, completed backups of a group older than its retention_days (logged as rule 'group-age')",
      run: async (ctx) => void (await pruneAgedGroupBackups(ctx.api(plugin))),
    },
  },
  routes: {
    admin: (ctx) =>
      new Elysia().use(adminNodeBackupRoutes(ctx, ctx.api(plugin), ctx.api(servers))).use(adminBackupRoutes(ctx, ctx.api(servers))),
    remote: (ctx) => remoteBackupRoutes(ctx, ctx.api(plugin)),
    'remote:server': (ctx) => remoteServerBackupRoutes(ctx, ctx.api(plugin)),
    'client:server': (ctx) =>
      new Elysia()
        .use(clientBackupRoutes(ctx))
        .use(clientBackupGroupRoutes(ctx))
        .use(clientBackupItemRoutes(ctx, ctx.api(plugin))),
  },
})

export default plugin

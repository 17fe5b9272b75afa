import { eq } from 'drizzle-orm'
import { SYSTEM_ACTOR } from 'hatchery'
import { createBackup, deleteBackup, tables as backupTables, type BackupRuntime } from '../../server-backups'
import { getServer } from '../../servers'
import type { BackupRunner } from './runner'

/**
 * The runner of a panel with the server-backups plugin: a policy's backup goes through the same
 * `createBackup` as a user's (the server locked while checked, the configuration's maintenance and
 * disk, Wings asked after the commit), marked with the policy (outside `backup_limit`, not deletable
 * by the server's users) and not counted against the per-server rate limit; retention deletes through
 * the same `deleteBackup` (the Wings or S3 deletion, retried by the backups plugin's job).
 */
export function serverBackupsRunner(rt: BackupRuntime): BackupRunner {
  const b = backupTables.serverBackups
  return {
    async start(db, serverUuid, { name, backupConfigurationUuid, policyUuid }) {
      const server = await getServer(db, serverUuid)
      const row = await createBackup(
        db,
        server,
        {
          name,
          ignored_files: [],
          system_backup_policy_uuid: policyUuid,
          backup_configuration_uuid: backupConfigurationUuid,
          rateLimited: false,
        },
        SYSTEM_ACTOR,
      )
      return row.uuid
    },
    async remove(db, backupUuid) {
      const [row] = await db.select().from(b).where(eq(b.uuid, backupUuid))
      // Gone, or already on its way out (an administrator's delete): nothing left to do.
      if (!row || row.deleted || row.deleting) return
      await deleteBackup(rt, row)
    },
  }
}

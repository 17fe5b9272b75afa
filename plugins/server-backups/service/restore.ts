import { and, eq, inArray, isNull } from 'drizzle-orm'
import { LimitExceeded, transaction, type Tx } from 'hatchery'
import { tables as nestTables } from '../../nests'
import { getNode } from '../../nodes'
import { tables as serverTables, type ServerRow } from '../../servers'
import { adapterOf, failed, revealed, usableConfiguration, type BackupRow } from './backups'
import type { BackupRuntime } from './runtime'
import { presign } from './s3'
import { wingsBackups } from './wings'

export interface RestoreOptions {
  truncate_directory?: boolean
  restore_startup?: boolean
}

const { servers, serverVariables } = serverTables

/** Puts back the startup command, image and user-editable variables the backup recorded (`restore_startup`). */
async function restoreStartup(tx: Tx, server: ServerRow, metadata: unknown) {
  const m = (metadata ?? {}) as { startup?: unknown; image?: unknown; variables?: Record<string, unknown> }
  const set: Partial<ServerRow> = {}
  if (typeof m.startup === 'string' && m.startup) set.startup = m.startup
  if (typeof m.image === 'string' && m.image) set.image = m.image
  if (Object.keys(set).length) await tx.update(servers).set(set).where(eq(servers.uuid, server.uuid))
  const wanted = Object.entries(m.variables ?? {}).filter(([, v]) => typeof v === 'string') as [string, string][]
  if (!wanted.length) return
  const v = nestTables.nestEggVariables
  const editable = await tx
    .select({ uuid: v.uuid, env: v.env_variable })
    .from(v)
    .where(
      and(
        eq(v.egg_uuid, server.egg_uuid),
        eq(v.user_editable, true),
        inArray(
          v.env_variable,
          wanted.map(([k]) => k),
        ),
      ),
    )
  for (const { uuid, env } of editable) {
    const value = wanted.find(([k]) => k === env)![1]
    await tx
      .insert(serverVariables)
      .values({ server_uuid: server.uuid, variable_uuid: uuid, value })
      .onConflictDoUpdate({ target: [serverVariables.server_uuid, serverVariables.variable_uuid], set: { value } })
  }
}

/** The presigned S3 GET (60 min) Wings restores from; null for other disks. */
export function downloadUrl(
  rt: BackupRuntime,
  backup: BackupRow,
  configuration: Parameters<typeof revealed>[1],
  seconds: number,
): string | null {
  if (backup.disk !== 's3') return null
  const s3 = revealed(rt, configuration).s3
  if (!s3 || !backup.upload_path) throw new LimitExceeded('backup does not have an upload path')
  return presign(s3, 'GET', backup.upload_path, seconds)
}

/**
 * Restores `backup` onto `server` (spec 03 §5.2.3): in one transaction the status goes
 * `null → restoring_backup` (else 417), the startup is put back when asked, and (with `dispatch`)
 * Wings is asked and awaited; any failure after the status check rolls all of it back and answers
 * 500 `failed to restore backup`. Completion comes from Wings (`POST /api/remote/backups/{backup}/restore`).
 * Without `dispatch` (a schedule step) Wings restores by itself from what this returns.
 */
export async function restoreBackup(
  rt: BackupRuntime,
  server: ServerRow,
  backup: BackupRow,
  options: RestoreOptions & { dispatch?: boolean; log?: (tx: Tx) => Promise<void> },
): Promise<{ adapter: string; download_url: string | null }> {
  return transaction(rt.db, async (tx) => {
    const [moved] = await tx
      .update(servers)
      .set({ status: 'restoring_backup' })
      .where(and(eq(servers.uuid, server.uuid), isNull(servers.status)))
      .returning()
    if (!moved) throw new LimitExceeded('server is not in a valid state to restore backup.')
    try {
      if (options.restore_startup) await restoreStartup(tx, moved, backup.metadata)
      const configuration = await usableConfiguration(tx, backup, {
        missing: 'no backup configuration available, unable to restore backup',
        maintenance: 'cannot restore backup while backup configuration is in maintenance mode',
      })
      const download_url = downloadUrl(rt, backup, configuration, 3600)
      const adapter = adapterOf(backup.disk)
      await options.log?.(tx)
      if (options.dispatch !== false) {
        const node = await getNode(tx, moved.node_uuid)
        const truncate_directory = options.truncate_directory ?? false
        await wingsBackups.restore(rt.wings(node), moved.uuid, backup.uuid, { adapter, truncate_directory, download_url })
      }
      return { adapter, download_url }
    } catch (error) {
      throw failed(rt, 'failed to restore backup', error)
    }
  })
}

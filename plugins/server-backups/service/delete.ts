import { and, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm'
import { HttpError, LimitExceeded, SYSTEM_ACTOR, type Tx } from 'hatchery'
import { getNode } from '../../nodes'
import { serverBackups as b } from '../tables'
import { adapterOf, failed, MAX_DELETION_RETRIES, revealed, usableConfiguration, type BackupRow } from './backups'
import type { BackupRuntime } from './runtime'
import { deleteObject } from './s3'
import { wingsBackups } from './wings'

/** Marks the backup as being deleted (`deleting = now`, retries 0); the row as it now is. */
export async function markDeleting(tx: Tx | BackupRuntime['db'], backup: BackupRow): Promise<BackupRow> {
  const [row] = await tx
    .update(b)
    .set({ deleting: new Date(), deletion_retries: 0 })
    .where(and(eq(b.uuid, backup.uuid), isNull(b.deleting), isNull(b.deleted)))
    .returning()
  if (!row) throw new LimitExceeded('backup is already being deleted')
  return row
}

/** The deletion is done: the row stays, marked `deleted` (stats count it). */
export async function finalizeDeletion(db: Tx | BackupRuntime['db'], uuid: string): Promise<void> {
  await db
    .update(b)
    .set({ deleted: new Date() })
    .where(and(eq(b.uuid, uuid), isNull(b.deleted)))
}

const NO_CONFIG = { missing: 'no backup configuration available', maintenance: 'backup configuration is in maintenance mode' }

/**
 * Sends a marked deletion where the backup lives (spec 04 §1.6 E): an S3 object is deleted by the
 * panel and finalised at once; otherwise Wings is asked (`DELETE /api/backups/{b}`): its 404 means
 * already gone (finalised now), its 2xx means the completion arrives by `…/deletion`. Throws when
 * it could not be sent.
 */
export async function dispatchDeletion(rt: BackupRuntime, backup: BackupRow): Promise<void> {
  const configuration = await usableConfiguration(rt.db, backup, NO_CONFIG)
  if (backup.disk === 's3') {
    const s3 = revealed(rt, configuration).s3
    if (!s3) throw new LimitExceeded('the backup configuration has no S3 settings')
    if (backup.upload_path) await deleteObject(s3, backup.upload_path)
    return finalizeDeletion(rt.db, backup.uuid)
  }
  const node = await getNode(rt.db, backup.node_uuid)
  try {
    await wingsBackups.delete(rt.wings(node), backup.uuid, {
      adapter: adapterOf(backup.disk),
      foreground: false,
      server: backup.server_uuid,
    })
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return finalizeDeletion(rt.db, backup.uuid)
    throw error
  }
}

/**
 * A user's or an administrator's deletion (spec 03 §5.2.3): marked, then dispatched; any failure
 * puts the mark back and answers 500 `failed to delete backup` (unless `force`: the row is then
 * finalised whatever the node says).
 */
export async function deleteBackup(rt: BackupRuntime, backup: BackupRow, force = false): Promise<void> {
  const marked = await markDeleting(rt.db, backup)
  try {
    await dispatchDeletion(rt, marked)
  } catch (error) {
    if (force) return finalizeDeletion(rt.db, backup.uuid)
    await rt.db
      .update(b)
      .set({ deleting: null, deletion_retries: 0 })
      .where(and(eq(b.uuid, backup.uuid), isNull(b.deleted)))
    throw failed(rt, 'failed to delete backup', error)
  }
}

/** The 417s a user's deletion checks first (spec 03 §5.2.3), in order. */
export function expectDeletable(backup: BackupRow): void {
  if (backup.system_backup_policy_uuid) throw new LimitExceeded('system backups cannot be deleted')
  if (!backup.completed) throw new LimitExceeded('backup has not been completed yet')
  if (backup.locked) throw new LimitExceeded('backup is locked and cannot be deleted')
  if (backup.deleting) throw new LimitExceeded('backup is already being deleted')
}

/**
 * The stale-deletion job (spec 03 §5.2.3): a deletion not finalised `min(60, 5·2^retries)` minutes
 * after it started is sent again, up to 8 times; then `server:backup.delete-failed` is logged once.
 */
export async function retryStaleDeletions(rt: BackupRuntime, now = new Date()): Promise<number> {
  const backoffMs = (retries: number) => Math.min(60, 5 * 2 ** retries) * 60_000
  const pending = await rt.db
    .select()
    .from(b)
    .where(and(isNotNull(b.deleting), isNull(b.deleted), lt(b.deletion_retries, MAX_DELETION_RETRIES)))
    .orderBy(b.deleting)
    .limit(500)
  const stale = pending.filter((r) => r.deleting!.getTime() < now.getTime() - backoffMs(r.deletion_retries))
  for (const backup of stale) {
    const [row] = await rt.db
      .update(b)
      .set({ deleting: now, deletion_retries: sql`${b.deletion_retries} + 1` })
      .where(and(eq(b.uuid, backup.uuid), eq(b.deletion_retries, backup.deletion_retries)))
      .returning()
    if (!row) continue
    if (row.deletion_retries >= MAX_DELETION_RETRIES) {
      if (row.server_uuid)
        await rt.activity(rt.db, SYSTEM_ACTOR, 'server:backup.delete-failed', { uuid: row.uuid, name: row.name }, row.server_uuid)
      continue
    }
    await dispatchDeletion(rt, row).catch((error) =>
      rt.log.warn('backup deletion retry failed', { backup: row.uuid, error: String(error) }),
    )
  }
  return stale.length
}

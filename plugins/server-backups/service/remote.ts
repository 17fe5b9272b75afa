import { and, eq, isNull, or } from 'drizzle-orm'
import { LimitExceeded, NotFound, SYSTEM_ACTOR, transaction, type Db } from 'hatchery'
import { getConfiguration } from '../../backup-configurations'
import type { NodeRow } from '../../nodes'
import { tables as serverTables } from '../../servers'
import { serverBackups as b } from '../tables'
import { revealed, type BackupRow } from './backups'
import type { BackupRuntime } from './runtime'
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, presign } from './s3'
import { finalizeDeletion } from './delete'
import type { Static } from 'elysia'
import type { BackupReport } from '../model'

const { servers } = serverTables

/** A backup stored on the calling node (spec 04 §3.1): else 404 `backup not found`. */
export async function nodeBackup(db: Db, node: NodeRow, uuid: string): Promise<BackupRow> {
  const [row] = /^[0-9a-f-]{36}$/i.test(uuid)
    ? await db
        .select()
        .from(b)
        .where(and(eq(b.uuid, uuid.toLowerCase()), eq(b.node_uuid, node.uuid)))
    : []
  if (!row) throw new NotFound('backup not found')
  return row
}

/**
 * Wings reports a backup (spec 04 §3.2 `POST /api/remote/backups/{backup}`): S3 multipart uploads
 * are completed (or aborted) first, a failed completion counting as a failed backup; then the row
 * gets its checksum `<type>:<checksum>`, size, files and flags, `completed = now`.
 */
export async function completeBackup(rt: BackupRuntime, backup: BackupRow, report: Static<typeof BackupReport>): Promise<void> {
  let successful = report.successful
  if (backup.disk === 's3' && backup.upload_id && backup.upload_path) {
    const [config] = backup.backup_configuration_uuid ? [await configurationFor(rt, backup)] : [null]
    const s3 = config && revealed(rt, config).s3
    try {
      if (!s3) throw new Error('no S3 settings')
      if (successful) await completeMultipartUpload(s3, backup.upload_path, backup.upload_id, report.parts)
      else await abortMultipartUpload(s3, backup.upload_path, backup.upload_id)
    } catch (error) {
      rt.log.warn('completing the S3 upload failed', { backup: backup.uuid, error: String(error) })
      successful = false
    }
  }
  await transaction(rt.db, async (tx) => {
    const set = successful
      ? {
          successful: true,
          checksum: `${report.checksum_type}:${report.checksum}`,
          bytes: report.size,
          files: report.files,
          browsable: report.browsable,
          streaming: report.streaming,
          completed: new Date(),
        }
      : { successful: false, completed: new Date() }
    await tx.update(b).set(set).where(eq(b.uuid, backup.uuid))
    if (backup.server_uuid)
      await rt.activity(
        tx,
        SYSTEM_ACTOR,
        successful ? 'server:backup.complete' : 'server:backup.fail',
        { uuid: backup.uuid, name: backup.name },
        backup.server_uuid,
      )
  })
}

const configurationFor = (rt: BackupRuntime, backup: BackupRow) => getConfiguration(rt.db, backup.backup_configuration_uuid!)

/**
 * Wings reports a restore (spec 04 §3.2): the server (`server_uuid`, else the backup's, on or moving
 * to the calling node) goes `restoring_backup → null` or `→ backup_restore_failed`, else 417.
 */
export async function finishRestore(db: Db, node: NodeRow, backup: BackupRow, serverUuid: string | null | undefined, successful: boolean) {
  const uuid = serverUuid?.toLowerCase() ?? backup.server_uuid
  if (!uuid) throw new NotFound('server not found')
  const [server] = await db
    .select()
    .from(servers)
    .where(and(eq(servers.uuid, uuid), or(eq(servers.node_uuid, node.uuid), eq(servers.destination_node_uuid, node.uuid))))
  if (!server) throw new NotFound('server not found')
  const [moved] = await db
    .update(servers)
    .set({ status: successful ? null : 'backup_restore_failed' })
    .where(and(eq(servers.uuid, uuid), eq(servers.status, 'restoring_backup')))
    .returning()
  if (!moved) throw new LimitExceeded('server is not restoring a backup')
  return moved
}

/** Wings reports a deletion: already deleted is a no-op, not deleting is 417; failure counts a retry. */
export async function reportDeletion(db: Db, backup: BackupRow, successful: boolean): Promise<void> {
  if (backup.deleted) return
  if (!backup.deleting) throw new LimitExceeded('backup is not being deleted')
  if (successful) return finalizeDeletion(db, backup.uuid)
  await db
    .update(b)
    .set({ deletion_retries: backup.deletion_retries + 1 })
    .where(and(eq(b.uuid, backup.uuid), isNull(b.deleted)))
}

/** Up to 50 presigned part URLs (2 h) from `from`, the multipart upload created on the first call (spec 04 §3.2). */
export async function s3Parts(rt: BackupRuntime, backup: BackupRow, from: number): Promise<{ parts: string[]; part_size: number }> {
  if (backup.disk !== 's3' || !backup.backup_configuration_uuid) throw new LimitExceeded('backup is not stored on s3')
  const s3 = revealed(rt, await configurationFor(rt, backup)).s3
  if (!s3) throw new LimitExceeded('backup configuration has no s3 settings')
  let { upload_id, upload_path } = backup
  if (!upload_id || !upload_path) {
    upload_path = `${backup.server_uuid ?? backup.node_uuid}/${backup.uuid}.tar.gz`
    upload_id = await createMultipartUpload(s3, upload_path)
    const [row] = await rt.db
      .update(b)
      .set({ upload_id, upload_path })
      .where(and(eq(b.uuid, backup.uuid), isNull(b.upload_id)))
      .returning()
    if (!row) ({ upload_id, upload_path } = (await rt.db.select().from(b).where(eq(b.uuid, backup.uuid)))[0])
  }
  const last = Math.min(from + 49, 10_000)
  const parts: string[] = []
  for (let n = from; n <= last; n++) parts.push(presign(s3, 'PUT', upload_path!, 7200, { partNumber: String(n), uploadId: upload_id! }))
  return { parts, part_size: s3.part_size }
}

/** The restic repository settings Wings uses for the backup (environment decrypted): 417 unless restic. */
export async function resticOf(rt: BackupRuntime, backup: BackupRow) {
  if (backup.disk !== 'restic' || !backup.backup_configuration_uuid) throw new LimitExceeded('backup is not stored on restic')
  const restic = revealed(rt, await configurationFor(rt, backup)).restic
  if (!restic) throw new LimitExceeded('backup configuration has no restic settings')
  return { repository: restic.repository, retry_lock_seconds: restic.retry_lock_seconds, environment: restic.environment }
}

import { randomUUID } from 'node:crypto'
import { getNode } from '../../nodes'
import { signWingsToken } from '../../servers'
import { expectUsable, usableConfiguration, type BackupRow } from './backups'
import type { BackupRuntime } from './runtime'
import { downloadUrl } from './restore'

/** Lifetime of a backup download URL (spec 04 §2.2). */
export const DOWNLOAD_SECONDS = 900

/**
 * The browser URL of a backup (spec 03 §5.2.3, spec 04 §2.2): a presigned S3 GET (15 min) for S3
 * backups, else `<node public URL>/download/backup?token=<JWT>&archive_format=<fmt>` with an HS256
 * JWT signed by the node's token (`scope: backup-download`, `jti` the user, a one-shot `unique_id`).
 */
export async function backupDownloadUrl(rt: BackupRuntime, backup: BackupRow, user: string, format: string): Promise<string> {
  expectUsable(backup, 'downloaded')
  const configuration = await usableConfiguration(rt.db, backup, {
    missing: 'no backup configuration available, unable to restore backup',
    maintenance: 'cannot restore backup while backup configuration is in maintenance mode',
  })
  const s3 = downloadUrl(rt, backup, configuration, DOWNLOAD_SECONDS)
  if (s3) return s3
  const wings = rt.wings(await getNode(rt.db, backup.node_uuid))
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    scope: 'backup-download',
    iss: 'panel',
    sub: null,
    aud: [],
    exp: now + DOWNLOAD_SECONDS,
    nbf: null,
    iat: now,
    jti: user,
    backup_uuid: backup.uuid,
    unique_id: randomUUID(),
  }
  const token = await signWingsToken(wings, claims)
  const url = new URL(`${wings.publicUrl.replace(/\/+$/, '')}/download/backup`)
  url.searchParams.set('token', token)
  url.searchParams.set('archive_format', format)
  return url.toString()
}

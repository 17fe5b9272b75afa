import { Elysia, t } from 'elysia'
import { Empty, type PluginContext } from 'hatchery'
import { BackupReport, DeletionReport, RestoreReport } from '../model'
import { completeBackup, finishRestore, nodeBackup, reportDeletion, resticOf, s3Parts } from '../service/remote'
import type { BackupRuntime } from '../service/runtime'

const tags = ['remote']
const Params = t.Object({ backup: t.String() })
const OWN = 'The backup must be stored on the calling node (else 404 `backup not found`).'

/** `/api/remote/backups/{backup}…` (spec 04 §3.2): what Wings reports about backups, and the storage settings it asks for. */
export function remoteBackupRoutes(ctx: PluginContext, rt: BackupRuntime) {
  return new Elysia({ tags })
    .use(ctx.guard)
    .post(
      '/backups/:backup',
      async ({ remote, params, body }) => {
        await completeBackup(rt, await nodeBackup(ctx.db, remote.node, params.backup), body)
        return {}
      },
      {
        remote: true,
        params: Params,
        body: BackupReport,
        response: { 200: Empty },
        detail: {
          summary: 'Wings finished a backup',
          description: `Success stores \`checksum\` as \`<checksum_type>:<checksum>\`, the size, file count and flags; failure marks it failed; \`completed\` is now either way. S3 uploads are completed (or aborted) with \`parts\` first. ${OWN}`,
        },
      },
    )
    .post(
      '/backups/:backup/restore',
      async ({ remote, params, body }) => {
        const backup = await nodeBackup(ctx.db, remote.node, params.backup)
        await finishRestore(ctx.db, remote.node, backup, body.server_uuid, body.successful)
        return {}
      },
      {
        remote: true,
        params: Params,
        body: RestoreReport,
        response: { 200: Empty },
        detail: {
          summary: 'Wings finished a restore',
          description: `The server (\`server_uuid\`, else the backup's) goes from \`restoring_backup\` to normal or \`backup_restore_failed\`; 417 \`server is not restoring a backup\`. ${OWN}`,
        },
      },
    )
    .post(
      '/backups/:backup/deletion',
      async ({ remote, params, body }) => {
        await reportDeletion(ctx.db, await nodeBackup(ctx.db, remote.node, params.backup), body.successful)
        return {}
      },
      {
        remote: true,
        params: Params,
        body: DeletionReport,
        response: { 200: Empty },
        detail: {
          summary: 'Wings finished deleting a backup',
          description: `Success marks it deleted (already deleted: nothing happens); failure counts a retry (sent again later with back-off); 417 \`backup is not being deleted\`. ${OWN}`,
        },
      },
    )
    .get(
      '/backups/:backup/s3/parts',
      async ({ remote, params, query }) => s3Parts(rt, await nodeBackup(ctx.db, remote.node, params.backup), query.from_part ?? 1),
      {
        remote: true,
        params: Params,
        query: t.Object({ from_part: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })) }),
        response: { 200: t.Object({ parts: t.Array(t.String()), part_size: t.Integer() }) },
        detail: {
          summary: 'Presigned S3 part upload URLs',
          description: `Up to 50 PUT URLs (valid 2 h) for part numbers from \`from_part\`; the multipart upload is created on the first call. 417 unless the backup is stored on S3. ${OWN}`,
        },
      },
    )
    .get('/backups/:backup/restic', async ({ remote, params }) => resticOf(rt, await nodeBackup(ctx.db, remote.node, params.backup)), {
      remote: true,
      params: Params,
      response: {
        200: t.Object({ repository: t.String(), retry_lock_seconds: t.Integer(), environment: t.Record(t.String(), t.String()) }),
      },
      detail: {
        summary: 'The restic repository of a backup',
        description: `Environment values in clear, for Wings only. 417 unless the backup is stored with restic. ${OWN}`,
      },
    })
}

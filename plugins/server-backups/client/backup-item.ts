import { t } from 'elysia'
import { and, eq } from 'drizzle-orm'
import { Empty, LimitExceeded, NotFound, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import { serverActivity, type ServerRow } from '../../servers'
import { BackupQuery, DownloadQuery, ExportBackup, RestoreBackup, ServerBackup, UpdateBackup } from '../model'
import { expectUsable, serverBackup, toServerBackup, adapterOf } from '../service/backups'
import { deleteBackup, expectDeletable } from '../service/delete'
import { backupDownloadUrl } from '../service/download'
import { restoreBackup } from '../service/restore'
import type { BackupRuntime } from '../service/runtime'
import { exportBackup, wingsBackups } from '../service/wings'
import { serverBackupGroups as g, serverBackups as b } from '../tables'
import { hiddenFrom } from './hidden'

const TAG = { tags: ['client server backups'] }
const Params = t.Object({ server: t.String(), backup: t.String() })
const read = (p: `server:${string}`) => ['server:backups.read', p] as `server:${string}`[]
const ITEM = '`{backup}` must be a uuid (400 `invalid backup uuid`) of a backup of the server that is not deleted (404 `backup not found`).'

async function groupOn(ctx: PluginContext, server: ServerRow, uuid: string | null | undefined) {
  if (!uuid) return
  const [row] = await ctx.db
    .select()
    .from(g)
    .where(and(eq(g.uuid, uuid), eq(g.server_uuid, server.uuid)))
  if (!row) throw new NotFound('backup group not found')
}

/** `/api/client/servers/{server}/backups/{backup}…` (spec 03 §5.2.3). */
export function clientBackupItemRoutes(ctx: PluginContext, rt: BackupRuntime) {
  return ctx
    .scope('client:server')
    .get(
      '/backups/:backup',
      async ({ resource, params }) => ({ backup: toServerBackup(await serverBackup(ctx.db, resource.uuid, params.backup)) }),
      {
        permission: 'server:backups.read',
        params: Params,
        response: { 200: t.Object({ backup: ServerBackup }) },
        detail: { ...TAG, summary: 'A backup', description: `Any node, system backups included. ${ITEM}` },
      },
    )
    .patch(
      '/backups/:backup',
      async ({ principal, request, resource: server, access, params, body }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        if (backup.system_backup_policy_uuid) throw new LimitExceeded('system backups cannot be modified')
        await groupOn(ctx, server, body.backup_group_uuid)
        await ctx.db.transaction(async (tx) => {
          const [row] = await tx
            .update(b)
            .set({ name: body.name, backup_group_uuid: body.backup_group_uuid, locked: body.locked })
            .where(eq(b.uuid, backup.uuid))
            .returning()
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup.update', {
            uuid: row.uuid,
            name: row.name,
            backup_group_uuid: row.backup_group_uuid,
            locked: row.locked,
          })
        })
        return {}
      },
      {
        permission: read('server:backups.update'),
        params: Params,
        body: UpdateBackup,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Rename, move between groups, lock or unlock a backup',
          description: `\`backup_group_uuid: null\` ungroups; no rotation on a move. 417 \`system backups cannot be modified\`; 404 \`backup group not found\`. ${ITEM}`,
        },
      },
    )
    .delete(
      '/backups/:backup',
      async ({ principal, request, resource: server, access, params, set }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        expectDeletable(backup)
        await deleteBackup(rt, backup)
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:backup.delete', {
          source: 'user',
          uuid: backup.uuid,
          name: backup.name,
        })
        set.status = 202
        return {}
      },
      {
        permission: read('server:backups.delete'),
        params: Params,
        response: { 202: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a backup',
          description: `202: the deletion is under way (finished when the node reports it; S3 objects and backups the node no longer has are deleted at once). 417 in this order: \`system backups cannot be deleted\`, \`backup has not been completed yet\`, \`backup is locked and cannot be deleted\`, \`backup is already being deleted\`; 500 \`failed to delete backup\` when it could not be sent (nothing changed). ${ITEM}`,
        },
      },
    )
    .get(
      '/backups/:backup/download',
      async ({ principal, request, resource: server, access, params, query }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        const url = await backupDownloadUrl(rt, backup, principal.user.uuid, query.archive_format ?? 'tar_gz')
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:backup.download', {
          uuid: backup.uuid,
          name: backup.name,
        })
        return { url }
      },
      {
        permission: read('server:backups.download'),
        params: Params,
        query: DownloadQuery,
        response: { 200: t.Object({ url: t.String() }) },
        detail: {
          ...TAG,
          summary: 'A download URL for a backup',
          description: `15 minutes: a presigned S3 URL, or the node's \`/download/backup\` with a JWT signed by the node token. 417 \`backup is being deleted\`, \`backup has not been completed yet\`, \`backup has failed and cannot be downloaded\`, no configuration or maintenance. ${ITEM}`,
        },
      },
    )
    .post(
      '/backups/:backup/export',
      async ({ principal, request, resource: server, access, params, body, set }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        if (hiddenFrom(access, body.path)) throw new LimitExceeded('destination path is not accessible')
        const answer = await exportBackup(rt, backup, server.uuid, body)
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:backup.export', {
          uuid: backup.uuid,
          name: backup.name,
          path: body.path,
        })
        if ('identifier' in answer) set.status = 202
        return answer
      },
      {
        permission: [...read('server:backups.download'), 'server:files.create'],
        params: Params,
        body: ExportBackup,
        response: { 200: t.Object({ entry: t.Object({}, { additionalProperties: true }) }), 202: t.Object({ identifier: t.String() }) },
        detail: {
          ...TAG,
          summary: "Export a backup into the server's files",
          description: `Needs \`backups.download\` and \`files.create\`. 200 \`{entry}\` when done, 202 \`{identifier}\` when backgrounded. 417: the three state checks (\`… cannot be exported\`), \`destination path is not accessible\` (a subuser's hidden path), no configuration or maintenance; the node's 404/417 pass through. ${ITEM}`,
        },
      },
    )
    .get(
      '/backups/:backup/query',
      async ({ resource: server, params }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        const answer = await wingsBackups.query(rt.wings(await getNode(ctx.db, backup.node_uuid)), backup.uuid, adapterOf(backup.disk))
        return { archive_format: answer.archive_format ?? null, size: answer.size ?? null }
      },
      {
        permission: read('server:backups.download'),
        params: Params,
        response: { 200: BackupQuery },
        detail: {
          ...TAG,
          summary: 'What the node knows of a backup archive',
          description: `Its format and size; the node's 404 passes through. ${ITEM}`,
        },
      },
    )
    .post(
      '/backups/:backup/restore',
      async ({ principal, request, resource: server, access, params, body }) => {
        const backup = await serverBackup(ctx.db, server.uuid, params.backup)
        expectUsable(backup, 'restored')
        await restoreBackup(rt, server, backup, {
          ...body,
          log: (tx) =>
            serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup.restore', {
              uuid: backup.uuid,
              name: backup.name,
              truncate_directory: body.truncate_directory ?? false,
              restore_startup: body.restore_startup ?? false,
            }),
        })
        return {}
      },
      {
        permission: read('server:backups.restore'),
        params: Params,
        body: RestoreBackup,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Restore a backup',
          description: `The server becomes \`restoring_backup\` until the node reports (then normal, or \`backup_restore_failed\`); \`truncate_directory\` empties the files first, \`restore_startup\` puts back the startup command, image and editable variables recorded with the backup. 417: the three state checks (\`… cannot be restored\`), \`server is not in a valid state to restore backup.\`; 500 \`failed to restore backup\` when it could not be started (nothing changed). ${ITEM}`,
        },
      },
    )
}

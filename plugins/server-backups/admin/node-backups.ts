import { Elysia, t } from 'elysia'
import { and, eq, isNull } from 'drizzle-orm'
import { actorOf, Empty, LimitExceeded, PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../../servers'
import { AdminServerBackup, BackupQuery, DownloadQuery, ExportBackup } from '../model'
import { adapterOf, expectUsable } from '../service/backups'
import { adminBackupPage, nodeBackupOr404, serverOnNode, toAdminBackups } from '../service/admin'
import { deleteBackup } from '../service/delete'
import { backupDownloadUrl } from '../service/download'
import { restoreBackup } from '../service/restore'
import type { BackupRuntime } from '../service/runtime'
import { exportBackup, wingsBackups } from '../service/wings'
import { serverBackups as b } from '../tables'

const TAG = { tags: ['admin node backups'] }
const Params = t.Object({ node: t.String(), backup: t.String() })
const ServerRef = t.Object({ server_uuid: t.String({ format: 'uuid' }) })
const ITEM = '`{node}` 400/404 `node not found`; `{backup}` a backup stored on it, not deleted (404 `backup not found`).'

/** `/api/admin/nodes/{node}/backups…` (spec 02 §6.13): every backup stored on a node, detached ones included. */
export function adminNodeBackupRoutes(ctx: PluginContext, rt: BackupRuntime, servers: ServersApi) {
  const load = async (params: { node: string; backup: string }) => {
    const node = await getNode(ctx.db, params.node)
    return { node, backup: await nodeBackupOr404(ctx.db, node.uuid, params.backup) }
  }
  const log = (principal: Parameters<typeof actorOf>[0], request: Request, event: string, data: Record<string, unknown>) =>
    ctx.activity.admin(ctx.db, actorOf(principal, request), event, data)
  const about = (node: { uuid: string }, backup: { uuid: string; name: string }, more: Record<string, unknown> = {}) => ({
    node_uuid: node.uuid,
    uuid: backup.uuid,
    name: backup.name,
    ...more,
  })
  return new Elysia({ prefix: '/nodes/:node/backups' })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        const where = and(eq(b.node_uuid, node.uuid), isNull(b.deleted), query.detached ? isNull(b.server_uuid) : undefined)
        return { backups: await adminBackupPage(ctx.db, await servers.views(), where, pageParams(query)) }
      },
      {
        permission: 'admin:nodes.backups',
        params: t.Object({ node: t.String() }),
        query: t.Composite([PaginationQuery, t.Object({ detached: t.Optional(t.Boolean()) })]),
        response: { 200: t.Object({ backups: PageOf(AdminServerBackup) }) },
        detail: {
          ...TAG,
          summary: "A node's backups",
          description: '`detached=true`: only those whose server is gone. Oldest first, `search` on the name.',
        },
      },
    )
    .get(
      '/:backup',
      async ({ params }) => ({ backup: (await toAdminBackups(ctx.db, await servers.views(), [(await load(params)).backup]))[0] }),
      {
        permission: 'admin:nodes.backups',
        params: Params,
        response: { 200: t.Object({ backup: AdminServerBackup }) },
        detail: { ...TAG, summary: 'A node backup', description: ITEM },
      },
    )
    .delete(
      '/:backup',
      async ({ principal, request, params, body }) => {
        const { node, backup } = await load(params)
        if (backup.deleting && !body.force) throw new LimitExceeded('backup is already being deleted')
        if (backup.deleting) await ctx.db.update(b).set({ deleted: new Date() }).where(eq(b.uuid, backup.uuid))
        else await deleteBackup(rt, backup, body.force)
        await log(principal, request, 'node:backup.delete', about(node, backup, { force: body.force }))
        return {}
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        body: t.Object({ force: t.Boolean() }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a node backup',
          description: `\`force\`: marked deleted even when the node cannot delete it. 500 \`failed to delete backup\` otherwise. ${ITEM}`,
        },
      },
    )
    .post(
      '/:backup/detach',
      async ({ principal, request, params }) => {
        const { node, backup } = await load(params)
        await ctx.db.update(b).set({ server_uuid: null, backup_group_uuid: null }).where(eq(b.uuid, backup.uuid))
        await log(principal, request, 'node:backup.detach', { node_uuid: node.uuid, uuid: backup.uuid, name: backup.name })
        return {}
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        response: { 200: Empty },
        detail: { ...TAG, summary: 'Detach a backup from its server', description: `It stays on the node, in no group. ${ITEM}` },
      },
    )
    .post(
      '/:backup/reattach',
      async ({ principal, request, params, body }) => {
        const { node, backup } = await load(params)
        const server = await serverOnNode(ctx.db, node.uuid, body.server_uuid)
        await ctx.db.update(b).set({ server_uuid: server.uuid, backup_group_uuid: null }).where(eq(b.uuid, backup.uuid))
        await log(principal, request, 'node:backup.reattach', about(node, backup, { server_uuid: server.uuid }))
        return {}
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        body: ServerRef,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Attach a backup to a server of the node',
          description: `404 \`server not found\`; 400 \`server does not belong to the same node as the backup\`. ${ITEM}`,
        },
      },
    )
    .post(
      '/:backup/restore',
      async ({ principal, request, params, body }) => {
        const { node, backup } = await load(params)
        expectUsable(backup, 'restored')
        const server = await serverOnNode(ctx.db, node.uuid, body.server_uuid)
        await restoreBackup(rt, server, backup, body)
        await log(principal, request, 'node:backup.restore', about(node, backup, { server_uuid: server.uuid }))
        return {}
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        body: t.Object({
          server_uuid: t.String({ format: 'uuid' }),
          truncate_directory: t.Optional(t.Boolean()),
          restore_startup: t.Optional(t.Boolean()),
        }),
        response: { 200: Empty },
        detail: { ...TAG, summary: 'Restore a node backup onto a server of the node', description: `As the client restore. ${ITEM}` },
      },
    )
    .post(
      '/:backup/export',
      async ({ principal, request, params, body, set }) => {
        const { node, backup } = await load(params)
        const server = await serverOnNode(ctx.db, node.uuid, body.server_uuid)
        const answer = await exportBackup(rt, backup, server.uuid, body)
        await log(principal, request, 'node:backup.export', about(node, backup, { server_uuid: server.uuid, path: body.path }))
        if ('identifier' in answer) set.status = 202
        return answer
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        body: t.Composite([ExportBackup, ServerRef]),
        response: { 200: t.Object({ entry: t.Object({}, { additionalProperties: true }) }), 202: t.Object({ identifier: t.String() }) },
        detail: {
          ...TAG,
          summary: "Export a node backup into a server's files",
          description: `202 \`{identifier}\` when backgrounded. ${ITEM}`,
        },
      },
    )
    .get(
      '/:backup/download',
      async ({ principal, request, params, query }) => {
        const { node, backup } = await load(params)
        const url = await backupDownloadUrl(rt, backup, principal.user.uuid, query.archive_format ?? 'tar_gz')
        await log(principal, request, 'node:backup.download', { node_uuid: node.uuid, uuid: backup.uuid, name: backup.name })
        return { url }
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        query: DownloadQuery,
        response: { 200: t.Object({ url: t.String() }) },
        detail: { ...TAG, summary: 'A download URL for a node backup', description: `As the client download. ${ITEM}` },
      },
    )
    .get(
      '/:backup/query',
      async ({ params }) => {
        const { node, backup } = await load(params)
        const answer = await wingsBackups.query(rt.wings(node), backup.uuid, adapterOf(backup.disk))
        return { archive_format: answer.archive_format ?? null, size: answer.size ?? null }
      },
      {
        permission: 'admin:nodes.backups',
        params: Params,
        response: { 200: BackupQuery },
        detail: { ...TAG, summary: 'What the node knows of a backup archive', description: ITEM },
      },
    )
}

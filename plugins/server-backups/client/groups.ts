import { t } from 'elysia'
import { and, eq, isNull } from 'drizzle-orm'
import { Empty, PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { serverActivity } from '../../servers'
import { BackupGroup, CreateGroup, DeleteGroup, ServerBackup, UpdateGroup } from '../model'
import { backupPage } from '../service/backups'
import { createGroup, deleteGroup, groupOf, groupsOf } from '../service/groups'
import { serverBackupGroups as g, serverBackups as b } from '../tables'

const TAG = { tags: ['client server backups'] }
const Params = t.Object({ server: t.String(), backup_group: t.String() })
const ITEM = '`{backup_group}` must be a uuid (400) of a group of the server (404 `backup group not found`).'

/** `/api/client/servers/{server}/backups/groups…` (spec 03 §5.2.4): backup groups and their retention. */
export function clientBackupGroupRoutes(ctx: PluginContext) {
  return ctx
    .scope('client:server')
    .get('/backups/groups', async ({ resource }) => ({ backup_groups: await groupsOf(ctx.db, resource.uuid) }), {
      permission: 'server:backup-groups.read',
      response: { 200: t.Object({ backup_groups: t.Array(BackupGroup) }) },
      detail: {
        ...TAG,
        summary: "The server's backup groups",
        description: 'Oldest first, with counts over their backups that are not deleted (usable = successful and completed).',
      },
    })
    .post(
      '/backups/groups',
      async ({ principal, request, resource: server, access, body }) => {
        const max = (await ctx.settings.snapshot()).get('server.max_backup_group_count')
        const row = await createGroup(ctx.db, server, max, body, (tx, r) =>
          serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup-group.create', {
            uuid: r.uuid,
            name: r.name,
            retention_count: r.retention_count,
            retention_days: r.retention_days,
          }),
        )
        return { backup_group: (await groupsOf(ctx.db, server.uuid, row.uuid))[0] }
      },
      {
        permission: 'server:backup-groups.create',
        body: CreateGroup,
        response: { 200: t.Object({ backup_group: BackupGroup }) },
        detail: {
          ...TAG,
          summary: 'Create a backup group',
          description:
            '417 `maximum number of backup groups reached` (setting `server.max_backup_group_count`); 409 `backup group with name already exists`.',
        },
      },
    )
    .get(
      '/backups/groups/:backup_group',
      async ({ resource: server, params, query }) => {
        const group = await groupOf(ctx.db, server.uuid, params.backup_group)
        const where = and(eq(b.backup_group_uuid, group.uuid), eq(b.node_uuid, server.node_uuid), isNull(b.deleted))
        return { backups: await backupPage(ctx.db, where, pageParams(query)) }
      },
      {
        permission: ['server:backup-groups.read', 'server:backups.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ backups: PageOf(ServerBackup) }) },
        detail: {
          ...TAG,
          summary: "A group's backups",
          description: `On the server's current node, system ones included, oldest first. ${ITEM}`,
        },
      },
    )
    .patch(
      '/backups/groups/:backup_group',
      async ({ principal, request, resource: server, access, params, body }) => {
        const group = await groupOf(ctx.db, server.uuid, params.backup_group)
        await ctx.db.transaction(async (tx) => {
          const [row] = await tx.update(g).set(body).where(eq(g.uuid, group.uuid)).returning()
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup-group.update', {
            uuid: row.uuid,
            name: row.name,
            retention_count: row.retention_count,
            retention_days: row.retention_days,
          })
        })
        return {}
      },
      {
        permission: 'server:backup-groups.update',
        params: Params,
        body: UpdateGroup,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Rename a backup group or change its retention',
          description: `\`null\` clears a retention; 409 on a taken name. ${ITEM}`,
        },
      },
    )
    .delete(
      '/backups/groups/:backup_group',
      async ({ principal, request, resource: server, access, params, body }) => {
        const group = await groupOf(ctx.db, server.uuid, params.backup_group)
        const lock = body?.lock_backups ?? false
        await deleteGroup(ctx.db, group, lock, (tx) =>
          serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup-group.delete', {
            uuid: group.uuid,
            name: group.name,
            lock_backups: lock,
          }),
        )
        return {}
      },
      {
        permission: 'server:backup-groups.delete',
        params: Params,
        body: DeleteGroup,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a backup group',
          description: `Its backups become ungrouped; \`lock_backups\` locks them first. ${ITEM}`,
        },
      },
    )
}

import { t } from 'elysia'
import { and, eq, isNull } from 'drizzle-orm'
import { Conflict, Empty, PageOf, PaginationQuery, actorOf, pageParams, type PluginContext } from 'hatchery'
import { serverActivity, tables as serverTables } from '../../servers'
import { CreateBackup, ServerBackup } from '../model'
import { backupPage, toServerBackup, visibleOn } from '../service/backups'
import { createBackup } from '../service/create'
import { serverBackups as b } from '../tables'

const TAG = { tags: ['client server backups'] }
const ListQuery = t.Composite([PaginationQuery, t.Object({ ungrouped: t.Optional(t.Boolean()) })])
const Page = t.Object({ backups: PageOf(ServerBackup) })
const { servers } = serverTables

/** `/api/client/servers/{server}/backups`: list, create, the system backups and the restore unlock (spec 03 §5.2.1–§5.2.4). */
export function clientBackupRoutes(ctx: PluginContext) {
  return ctx
    .scope('client:server')
    .get(
      '/backups',
      async ({ resource: server, query }) => ({
        backups: await backupPage(
          ctx.db,
          and(visibleOn(server, false), query.ungrouped ? isNull(b.backup_group_uuid) : undefined),
          pageParams(query),
        ),
      }),
      {
        permission: 'server:backups.read',
        query: ListQuery,
        response: { 200: Page },
        detail: {
          ...TAG,
          summary: "The server's backups",
          description:
            "Backups on the server's current node, not deleted, not made by a system policy; oldest first; `search` matches the name; `ungrouped=true` keeps those in no group.",
        },
      },
    )
    .post(
      '/backups',
      async ({ principal, request, resource: server, access, body }) => {
        const row = await createBackup(
          ctx.db,
          server,
          {
            ...body,
            log: (tx, r) =>
              serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup.create', {
                uuid: r.uuid,
                name: r.name,
                backup_group_uuid: r.backup_group_uuid,
                ignored_files: r.ignored_files,
              }),
          },
          actorOf(principal, request),
        )
        return { backup: toServerBackup(row) }
      },
      {
        permission: 'server:backups.create',
        body: CreateBackup,
        response: { 200: t.Object({ backup: ServerBackup }) },
        detail: {
          ...TAG,
          summary: 'Back the server up',
          description:
            'The row is made at once (not completed); the node makes the backup in the background and reports it. A group with `retention_count` full of usable backups loses its oldest unlocked one. 404 `backup group not found`; 417 `backup group is full and all of its backups are locked`, `maximum number of backups reached`, `no backup configuration available, unable to create backup`, `cannot create backup while backup configuration is in maintenance mode`; 429 past `ratelimits.client_servers_backups_create` (per server).',
        },
      },
    )
    .get(
      '/backups/system',
      async ({ resource: server, query }) => ({ backups: await backupPage(ctx.db, visibleOn(server, true), pageParams(query)) }),
      {
        permission: 'server:backups.read',
        query: PaginationQuery,
        response: { 200: Page },
        detail: { ...TAG, summary: 'Backups a system backup policy made of the server', description: 'On its current node, oldest first.' },
      },
    )
    .post(
      '/backups/unlock',
      async ({ principal, request, resource: server, access }) => {
        await ctx.db.transaction(async (tx) => {
          const [row] = await tx
            .update(servers)
            .set({ status: null })
            .where(and(eq(servers.uuid, server.uuid), eq(servers.status, 'backup_restore_failed')))
            .returning()
          if (!row) throw new Conflict('server has not failed a backup restore')
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:backup.unlock-restore', {})
        })
        return {}
      },
      {
        permission: 'server:backups.restore',
        scope: { stateGate: false },
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Clear a failed restore',
          description:
            "`backup_restore_failed` → normal; else 409 `server has not failed a backup restore`. Answers whatever the server's state.",
        },
      },
    )
}

import { Elysia, t } from 'elysia'
import { and, eq, isNull, ne } from 'drizzle-orm'
import { PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { model as configurationModel } from '../../backup-configurations'
import { getServer, type ServersApi } from '../../servers'
import { AdminServerBackup } from '../model'
import { adminBackupPage, backupStats } from '../service/admin'
import { serverBackups as b } from '../tables'

/** `GET /api/admin/servers/{server}/backups` (spec 02 §8.14) and `GET /api/admin/stats/backups` (§12.2). */
export function adminBackupRoutes(ctx: PluginContext, servers: ServersApi) {
  return new Elysia()
    .use(ctx.guard)
    .get(
      '/servers/:server/backups',
      async ({ params, query }) => {
        const server = await getServer(ctx.db, params.server)
        const where = and(
          eq(b.server_uuid, server.uuid),
          isNull(b.deleted),
          query.partially_detached ? ne(b.node_uuid, server.node_uuid) : undefined,
        )
        return { backups: await adminBackupPage(ctx.db, await servers.views(), where, pageParams(query)) }
      },
      {
        permission: 'admin:nodes.backups',
        params: t.Object({ server: t.String() }),
        query: t.Composite([PaginationQuery, t.Object({ partially_detached: t.Optional(t.Boolean()) })]),
        response: { 200: t.Object({ backups: PageOf(AdminServerBackup) }) },
        detail: {
          tags: ['admin servers'],
          summary: "A server's backups",
          description:
            "Not deleted, oldest first; `partially_detached=true`: only those left on another node than the server's. 400/404 `server not found`.",
        },
      },
    )
    .get('/stats/backups', () => backupStats(ctx.db), {
      permission: 'admin:stats.read',
      response: { 200: configurationModel.BackupStats },
      detail: {
        tags: ['admin stats'],
        summary: 'Backup statistics',
        description: 'Over completed backups: all time, today (since local midnight), the last 7 and 30 days.',
      },
    })
}

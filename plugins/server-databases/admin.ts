import { Elysia, t } from 'elysia'
import { and, eq, inArray } from 'drizzle-orm'
import { actorOf, Empty, HttpError, PageOf, PaginationQuery, pageParams, uuidParam, type PluginContext } from 'hatchery'
import { getDatabaseHost, toDatabaseHost } from '../database-hosts'
import servers, { getServer, tables as serverTables, toAdminServers } from '../servers'
import { AdminServerDatabase, AdminServerServerDatabase } from './model'
import { databaseFields, deleteDatabase, findDatabase, listDatabases, type Deps, type HostedDatabase } from './service/databases'
import { serverDatabases } from './tables'

const HostParams = uuidParam('database_host', 'database host')
const OneParams = t.Object({ ...HostParams.properties, database: t.String({ description: 'The database uuid' }) })

/**
 * `/api/admin/database-hosts/{database_host}/databases` (spec 02 §10: list, delete) and
 * `/api/admin/servers/{server}/databases` (spec 02 §8.14). Passwords are answered in clear, as the reference does.
 */
export function adminDatabaseRoutes(ctx: PluginContext) {
  const deps: Deps = { db: ctx.db, secrets: ctx.secrets, log: ctx.log }
  const reveal = (row: HostedDatabase) => ({
    ...databaseFields(ctx.secrets, row, true),
    password: ctx.secrets.decrypt(row.database.password),
  })
  return new Elysia({ tags: ['admin database hosts'] })
    .use(ctx.guard)
    .get(
      '/database-hosts/:database_host/databases',
      async ({ params, query }) => {
        const host = await getDatabaseHost(ctx.db, params.database_host)
        const page = await listDatabases(
          ctx.db,
          eq(serverDatabases.database_host_uuid, host.uuid),
          pageParams(query),
          (row, owners: Map<string, Awaited<ReturnType<typeof toAdminServers>>[number]>) => ({
            ...reveal(row),
            server: owners.get(row.database.server_uuid)!,
          }),
          async (rows) => {
            const uuids = [...new Set(rows.map((r) => r.database.server_uuid))]
            const found = uuids.length
              ? await ctx.db.select().from(serverTables.servers).where(inArray(serverTables.servers.uuid, uuids))
              : []
            const views = await toAdminServers(ctx.db, await ctx.api(servers).views(), found)
            return new Map(views.map((s) => [s.uuid, s]))
          },
        )
        return { databases: page }
      },
      {
        permission: 'admin:database-hosts.read',
        params: HostParams,
        query: PaginationQuery,
        response: { 200: t.Object({ databases: PageOf(AdminServerDatabase) }) },
        detail: { summary: "A database host's server databases (search: name)", description: 'Oldest first, each with its server.' },
      },
    )
    .delete(
      '/database-hosts/:database_host/databases/:database',
      async ({ params, body, principal, request }) => {
        const host = await getDatabaseHost(ctx.db, params.database_host)
        const found = await findDatabase(ctx.db, null, params.database, host.uuid)
        const actor = actorOf(principal, request)
        try {
          await deleteDatabase(
            deps,
            found,
            (tx, d) =>
              ctx.activity.admin(tx, actor, 'database-host:database.delete', { uuid: d.uuid, database_host_uuid: host.uuid, name: d.name }),
            body.force,
          )
        } catch (error) {
          if (error instanceof HttpError && error.status !== 417 && error.status !== 404)
            throw new HttpError(error.status < 500 ? error.status : 417, `failed to delete database: ${error.messages.join('; ')}`)
          throw error
        }
        return {}
      },
      {
        permission: 'admin:database-hosts.delete',
        params: OneParams,
        body: t.Object({ force: t.Boolean({ description: 'Forget the database even when the host cannot drop it' }) }),
        response: { 200: Empty },
        detail: {
          summary: 'Delete a server database',
          description:
            'Drops it on the host, then forgets it. Without `force`: 417 `database is locked and cannot be deleted`, `cannot delete database while database host is in maintenance mode`, and a host failure is `failed to delete database: <reason>` (417; 400 for a PostgreSQL database in use) with the database kept. With `force` the lock and maintenance are ignored and so is a host failure: the database is forgotten.',
        },
      },
    )
    .get(
      '/servers/:server/databases',
      async ({ params, query }) => {
        const server = await getServer(ctx.db, params.server)
        const page = await listDatabases(ctx.db, and(eq(serverDatabases.server_uuid, server.uuid))!, pageParams(query), (row) => ({
          ...reveal(row),
          database_host: toDatabaseHost(row.host),
        }))
        return { databases: page }
      },
      {
        permission: 'admin:database-hosts.read',
        params: uuidParam('server'),
        query: PaginationQuery,
        response: { 200: t.Object({ databases: PageOf(AdminServerServerDatabase) }) },
        detail: { summary: "A server's databases (search: name)", description: 'Oldest first, each with its host.' },
      },
    )
}

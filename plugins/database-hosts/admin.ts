import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateDatabaseHost, DatabaseHost, DeleteDatabaseHost, UpdateDatabaseHost } from './model'
import {
  createDatabaseHost,
  deleteDatabaseHost,
  getDatabaseHost,
  hostAudit,
  listDatabaseHosts,
  toDatabaseHost,
  updateDatabaseHost,
} from './service/hosts'
import { testConnection } from './service/connect'
import type { DatabaseHostHooks } from '.'

const Params = uuidParam('database_host', 'database host')
const One = t.Object({ database_host: DatabaseHost })
const SECRETS =
  'The password (or the whole connection string) is stored encrypted and reads as `""`. Host names are not restricted to public addresses: database hosts usually live on the LAN.'

/** `/api/admin/database-hosts` (spec 02 §10): CRUD and the connection test. */
export function adminDatabaseHostRoutes(ctx: PluginContext, hooks: DatabaseHostHooks) {
  return new Elysia({ prefix: '/database-hosts', tags: ['admin database hosts'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ database_hosts: await listDatabaseHosts(ctx.db, pageParams(query)) }), {
      permission: 'admin:database-hosts.read',
      query: PaginationQuery,
      response: { 200: t.Object({ database_hosts: PageOf(DatabaseHost) }) },
      detail: { summary: 'List database hosts (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createDatabaseHost(tx, ctx.secrets, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'database-host:create', hostAudit(row))
          return row
        })
        return { database_host: toDatabaseHost(row) }
      },
      {
        permission: 'admin:database-hosts.create',
        body: CreateDatabaseHost,
        response: { 200: One },
        detail: {
          summary: 'Create a database host',
          description: `A connection string's scheme must match \`type\` (\`mysql\`/\`mariadb\`, \`postgres\`/\`postgresql\`, \`mongodb\`); a taken name is a 409. ${SECRETS}`,
        },
      },
    )
    .get(
      '/:database_host',
      async ({ params }) => ({ database_host: toDatabaseHost(await getDatabaseHost(ctx.db, params.database_host)) }),
      {
        permission: 'admin:database-hosts.read',
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get a database host' },
      },
    )
    .patch(
      '/:database_host',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateDatabaseHost(tx, ctx.secrets, params.database_host, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'database-host:update', hostAudit(row, false))
        })
        return {}
      },
      {
        permission: 'admin:database-hosts.update',
        params: Params,
        body: UpdateDatabaseHost,
        response: { 200: Empty },
        detail: {
          summary: 'Update a database host',
          description: `Absent fields stay; null clears \`public_host\`/\`public_port\`; \`credentials\` replaces the stored ones whole, and an empty secret in it keeps the stored secret. The type never changes. ${SECRETS}`,
        },
      },
    )
    .delete(
      '/:database_host',
      async ({ principal, params, body, request }) => {
        const host = await getDatabaseHost(ctx.db, params.database_host)
        for (const hook of hooks.deletionHooks) await hook(host, body?.force ?? false)
        await transaction(ctx.db, async (tx) => {
          const row = await deleteDatabaseHost(tx, host.uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'database-host:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: 'admin:database-hosts.delete',
        params: Params,
        body: DeleteDatabaseHost,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a database host',
          description:
            'Its links to locations and nodes go with it. A host with server databases: 409 `database host has databases, cannot delete`, unless `force`, which drops them first (a failure: 417 `failed to delete database: <reason>`).',
        },
      },
    )
    .post(
      '/:database_host/test',
      async ({ params }) => {
        await testConnection(await getDatabaseHost(ctx.db, params.database_host), ctx.secrets)
        return {}
      },
      {
        permission: 'admin:database-hosts.test',
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Test the connection to a database host',
          description:
            "Connects (5 s to connect, 8 s in all) and runs `SELECT 1`. A failure is a 417 with the driver's reason (wrong password, refused or silent port, unknown host). MongoDB hosts answer 417 `mongodb hosts are not supported`.",
        },
      },
    )
}

import { t } from 'elysia'
import { eq } from 'drizzle-orm'
import {
  denied,
  Empty,
  hasServerPermission,
  PageOf,
  PaginationQuery,
  pageParams,
  type PluginContext,
  type Principal,
  type Tx,
} from 'hatchery'
import { serverActivity, type ServerRow } from '../servers'
import { ClientDatabaseHost, CreateServerDatabase, IncludePassword, ServerDatabase, UpdateServerDatabase } from './model'
import {
  createDatabase,
  databaseFields,
  deleteDatabase,
  findDatabase,
  hostsFor,
  listDatabases,
  recreateDatabase,
  rotatePassword,
  setLocked,
  SizeCache,
  type DatabaseRow,
  type Deps,
} from './service/databases'
import { serverDatabases } from './tables'

const TAG = { tags: ['client server databases'] }
const Params = t.Object({ server: t.String(), database: t.String({ description: 'The database uuid' }) })
const One = t.Object({ database: ServerDatabase })
type At = { principal: Principal; request: Request; resource: ServerRow; access: Parameters<typeof serverActivity>[2]['access'] }

const holds = ({ principal, access }: At, permission: string) =>
  hasServerPermission(principal, permission, { owner: access.owner, subuser: access.subuser?.permissions })

/** The `{database}` gate of spec 03 §1.5: 400 `invalid database uuid`, 403 without `databases.read`, 404 `database not found`. */
async function gate(ctx: PluginContext, at: At, segment: string) {
  if (!holds(at, 'databases.read')) throw denied('databases.read')
  return findDatabase(ctx.db, at.resource.uuid, segment)
}

/** Writes `server:database.<event>` `{uuid, name, ...extra}` in the change's transaction. */
const logged =
  (ctx: PluginContext, at: At, event: string, extra: Record<string, unknown> = {}) =>
  (tx: Tx, d: DatabaseRow) =>
    serverActivity(ctx, tx, { ...at, server: at.resource }, `server:database.${event}`, { uuid: d.uuid, name: d.name, ...extra })

const STATUS =
  '417 when the database is locked (`database is locked and …`) or its host in maintenance (`cannot … while database host is in maintenance mode`); a host that cannot be reached: 502 `database host <name> is unreachable: <reason>`; a failed statement: 500 `failed to …`.'

/** `/api/client/servers/{server}/databases` (spec 03 §5.3, without the explorer and database instances): the panel connects to the host itself. */
export function clientDatabaseRoutes(ctx: PluginContext) {
  const deps: Deps = { db: ctx.db, secrets: ctx.secrets, log: ctx.log }
  const sizes = new SizeCache()
  return ctx
    .scope('client:server')
    .get(
      '/databases',
      async (at) => {
        const reveal = !!at.query.include_password && holds(at, 'databases.read-password')
        const page = await listDatabases(ctx.db, eq(serverDatabases.server_uuid, at.resource.uuid), pageParams(at.query), (row) =>
          databaseFields(ctx.secrets, row, reveal),
        )
        return { databases: page }
      },
      {
        permission: 'server:databases.read',
        query: t.Composite([PaginationQuery, IncludePassword]),
        response: { 200: t.Object({ databases: PageOf(ServerDatabase) }) },
        detail: {
          ...TAG,
          summary: "The server's databases",
          description:
            'Oldest first; `search` matches the name. `password` is null unless `include_password` and `databases.read-password`.',
        },
      },
    )
    .get('/databases/hosts', async ({ resource }) => ({ database_hosts: await hostsFor(deps, resource) }), {
      permission: 'server:databases.read',
      response: { 200: t.Object({ database_hosts: t.Array(ClientDatabaseHost) }) },
      detail: {
        ...TAG,
        summary: 'The database hosts the server may use',
        description: "Deployment-enabled hosts linked to the server's node or to its location, newest first.",
      },
    })
    .post(
      '/databases',
      async (at) => {
        const made = await createDatabase(deps, at.resource, at.body, logged(ctx, at, 'create'))
        return { database: databaseFields(ctx.secrets, made, holds(at, 'databases.read-password')) }
      },
      {
        permission: 'server:databases.create',
        body: CreateServerDatabase,
        response: { 200: One },
        detail: {
          ...TAG,
          summary: 'Create a database',
          description:
            "Creates `s<8 hex>_<name>` and a user `u<8 hex>_<10 random>` with a random password on the host (MySQL: all privileges on the database; PostgreSQL: the database's owner), then records it; a failure leaves neither. The host must be deployment-enabled and linked to the server's node or location (404 `database host not found`). 417 `maximum number of databases reached` (`database_limit`), 417 when the host is in maintenance, 409 `database with name already exists`, 502 when the host cannot be reached.",
        },
      },
    )
    .get(
      '/databases/:database',
      async (at) => {
        const found = await gate(ctx, at, at.params.database)
        return { database: databaseFields(ctx.secrets, found, !!at.query.include_password && holds(at, 'databases.read-password')) }
      },
      {
        permission: 'server:databases.read',
        params: Params,
        query: IncludePassword,
        response: { 200: One },
        detail: { ...TAG, summary: 'Get a database' },
      },
    )
    .patch(
      '/databases/:database',
      async (at) => {
        const found = await gate(ctx, at, at.params.database)
        const locked = at.body.locked
        await setLocked(deps, found, locked, logged(ctx, at, 'update', { locked: locked ?? found.database.locked }))
        return {}
      },
      {
        permission: 'server:databases.update',
        params: Params,
        body: UpdateServerDatabase,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Lock or unlock a database',
          description: 'A locked database cannot be deleted, recreated nor given a new password.',
        },
      },
    )
    .delete(
      '/databases/:database',
      async (at) => {
        await deleteDatabase(deps, await gate(ctx, at, at.params.database), logged(ctx, at, 'delete'))
        return {}
      },
      {
        permission: 'server:databases.delete',
        params: Params,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a database',
          description: `Drops the database and its user on the host, then forgets it. A PostgreSQL database in use: 400 \`this database is being accessed, unable to delete.\` ${STATUS}`,
        },
      },
    )
    .post(
      '/databases/:database/rotate-password',
      async (at) => {
        const password = await rotatePassword(deps, await gate(ctx, at, at.params.database), logged(ctx, at, 'rotate-password'))
        return { password: holds(at, 'databases.read-password') ? password : null }
      },
      {
        permission: 'server:databases.update',
        params: Params,
        response: { 200: t.Object({ password: t.Nullable(t.String()) }) },
        detail: {
          ...TAG,
          summary: "Give the database's user a new password",
          description: `The new password, or null without \`databases.read-password\`. ${STATUS}`,
        },
      },
    )
    .post(
      '/databases/:database/recreate',
      async (at) => {
        await recreateDatabase(deps, await gate(ctx, at, at.params.database), logged(ctx, at, 'recreate'))
        return {}
      },
      {
        permission: 'server:databases.recreate',
        params: Params,
        response: { 200: Empty },
        detail: { ...TAG, summary: 'Drop and create the database again, empty', description: STATUS },
      },
    )
    .get('/databases/:database/size', async (at) => ({ size: await sizes.get(deps, await gate(ctx, at, at.params.database)) }), {
      permission: 'server:databases.read',
      params: Params,
      response: { 200: t.Object({ size: t.Integer({ description: 'Bytes' }) }) },
      detail: { ...TAG, summary: "The database's size", description: `Kept 15 s. ${STATUS}` },
    })
}

import { and, asc, count, desc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm'
import {
  Conflict,
  HttpError,
  LimitExceeded,
  NotFound,
  paginate,
  parseUuid,
  transaction,
  type Db,
  type Logger,
  type PageParams,
  type Secrets,
  type Tx,
} from 'hatchery'
import { publicAddress, tables as hostTables, type DatabaseHostRow } from '../../database-hosts'
import { tables as locationTables } from '../../locations'
import { tables as nodeTables } from '../../nodes'
import { getServer, type ServerRow } from '../../servers'
import { serverDatabases } from '../tables'
import { createOnHost, dropOnHost, onHost, recreateOnHost, rotateOnHost, sizeOnHost, type HostAccess } from './host-ops'
import { databaseName, databasePassword, databaseUsername } from './names'

const sd = serverDatabases
const dh = hostTables.databaseHosts

export type DatabaseRow = typeof sd.$inferSelect
/** A database with its host, as every route needs both. */
export interface HostedDatabase {
  database: DatabaseRow
  host: DatabaseHostRow
}
/** What the operations need besides the rows. */
export interface Deps {
  db: Db
  secrets: Secrets
  log: Logger
}
type Log = (tx: Tx, database: DatabaseRow) => Promise<void>

const access = (deps: Deps, host: DatabaseHostRow): HostAccess => ({ host, secrets: deps.secrets, log: deps.log })

/** The wire fields every view shares; `password` decrypted when `reveal`, else null. */
export function databaseFields(secrets: Secrets, { database, host }: HostedDatabase, reveal: boolean) {
  const address = publicAddress(host, secrets)
  return {
    uuid: database.uuid,
    type: host.type,
    host: address.host,
    port: address.port,
    name: database.name,
    is_locked: database.locked,
    username: database.username,
    password: reveal ? secrets.decrypt(database.password) : null,
    created: database.created,
  }
}

const joined = (db: Db | Tx) => (total: object) =>
  db
    .select({ database: getTableColumns(sd), host: getTableColumns(dh), ...total })
    .from(sd)
    .innerJoin(dh, eq(dh.uuid, sd.database_host_uuid))

/** A page of databases matching `where` (search: the real name), oldest first. */
export function listDatabases<C, T>(
  db: Db | Tx,
  where: SQL,
  page: PageParams,
  map: (row: HostedDatabase, loaded: C) => T | Promise<T>,
  load?: (rows: HostedDatabase[]) => Promise<C>,
) {
  return paginate(db, { from: joined(db), where, search: [sd.name], orderBy: [asc(sd.created), asc(sd.uuid)], map, load }, page)
}

/** The gate of spec 03 §1.5 for `{database}`: 400 `invalid database uuid`, 404 `database not found` (another server's too). */
export async function findDatabase(db: Db | Tx, serverUuid: string | null, segment: string, hostUuid?: string): Promise<HostedDatabase> {
  const uuid = parseUuid(segment, 'database')
  const where = and(
    eq(sd.uuid, uuid),
    serverUuid ? eq(sd.server_uuid, serverUuid) : undefined,
    hostUuid ? eq(sd.database_host_uuid, hostUuid) : undefined,
  )
  const [found] = await joined(db)({}).where(where)
  if (!found) throw new NotFound('database not found')
  return found
}

/** Hosts linked to the server's node, or to the node's location. */
function linkedTo(server: ServerRow): SQL {
  const { nodeDatabaseHosts: ndh, nodes } = nodeTables
  const ldh = locationTables.locationDatabaseHosts
  return sql`(${dh.uuid} in (select ${ndh.database_host_uuid} from ${ndh} where ${ndh.node_uuid} = ${server.node_uuid})
    or ${dh.uuid} in (select ${ldh.database_host_uuid} from ${ldh} join ${nodes} on ${nodes.location_uuid} = ${ldh.location_uuid}
      where ${nodes.uuid} = ${server.node_uuid}))`
}

/** `GET …/databases/hosts`: deployment-enabled hosts linked to the server's node or location, newest first. */
export async function hostsFor(deps: Deps, server: ServerRow) {
  const rows = await deps.db
    .select()
    .from(dh)
    .where(and(eq(dh.deployment_enabled, true), linkedTo(server)))
    .orderBy(desc(dh.created), desc(dh.uuid))
  return rows.map((h) => ({
    uuid: h.uuid,
    name: h.name,
    maintenance_enabled: h.maintenance_enabled,
    type: h.type,
    ...publicAddress(h, deps.secrets),
  }))
}

/** Limit (417), maintenance (417), the name taken on the host (409), in the reference's order. */
async function checkRoom(db: Db | Tx, server: ServerRow, host: DatabaseHostRow, name: string) {
  const [held] = await db.select({ n: count() }).from(sd).where(eq(sd.server_uuid, server.uuid))
  if (held.n >= server.database_limit) throw new LimitExceeded('maximum number of databases reached')
  if (host.maintenance_enabled) throw new LimitExceeded('cannot create database while database host is in maintenance mode')
  const [taken] = await db
    .select({ n: count() })
    .from(sd)
    .where(and(eq(sd.database_host_uuid, host.uuid), eq(sd.name, name)))
  if (taken.n) throw new Conflict('database with name already exists')
}

/**
 * Creates the database and its user on the host, then the row (the server row locked while the
 * limit is counted again). Never a row without a database nor a database without a row: when the
 * row cannot be written, what the host made is dropped again. An unreachable host: 502, nothing made.
 * Deployment-enabled hosts only (the reference accepts any linked host: spec 03 §5.3 quirk).
 */
export async function createDatabase(deps: Deps, server: ServerRow, fields: { database_host_uuid: string; name: string }, log: Log) {
  const [host] = await deps.db
    .select()
    .from(dh)
    .where(and(eq(dh.uuid, fields.database_host_uuid.toLowerCase()), eq(dh.deployment_enabled, true), linkedTo(server)))
  if (!host) throw new NotFound('database host not found')
  const name = databaseName(server.uuid, fields.name)
  await checkRoom(deps.db, server, host, name)
  const username = databaseUsername(server.uuid)
  const password = databasePassword()
  await onHost(access(deps, host), 'create database', (s) => createOnHost(s, name, username, password))
  try {
    const database = await transaction(deps.db, async (tx) => {
      await checkRoom(tx, await getServer(tx, server.uuid, true), host, name)
      const [row] = await tx
        .insert(sd)
        .values({ server_uuid: server.uuid, database_host_uuid: host.uuid, name, username, password: deps.secrets.encrypt(password) })
        .returning()
      await log(tx, row)
      return row
    })
    return { database, host }
  } catch (error) {
    await onHost(access(deps, host), 'drop database', (s) => dropOnHost(s, name, username)).catch((e: Error) =>
      deps.log.error('a database made for a create that failed could not be dropped', { database_host: host.uuid, name, error: e.message }),
    )
    throw error
  }
}

export async function setLocked(deps: Deps, found: HostedDatabase, locked: boolean | undefined, log: Log) {
  await transaction(deps.db, async (tx) => {
    const [row] =
      locked === undefined ? [found.database] : await tx.update(sd).set({ locked }).where(eq(sd.uuid, found.database.uuid)).returning()
    if (!row) throw new NotFound('database not found')
    await log(tx, row)
  })
}

const MAINTENANCE = (what: string) => `cannot ${what} while database host is in maintenance mode`

/** Refuses a locked database (417 `locked`) and a host in maintenance (417). */
function checkUsable(found: HostedDatabase, what: string, locked: string | null) {
  if (locked && found.database.locked) throw new LimitExceeded(locked)
  if (found.host.maintenance_enabled) throw new LimitExceeded(MAINTENANCE(what))
}

/**
 * Drops the database and its user on the host, then the row. With `force` (admins) neither the
 * lock nor maintenance refuses it and a host failure is ignored (the row goes anyway); without it
 * the row stays (400 in use, 500, 502 unreachable).
 */
export async function deleteDatabase(deps: Deps, found: HostedDatabase, log: Log, force = false) {
  if (!force) checkUsable(found, 'delete database', 'database is locked and cannot be deleted')
  await dropRemote(deps, found, force)
  await transaction(deps.db, async (tx) => {
    await tx.delete(sd).where(eq(sd.uuid, found.database.uuid))
    await log(tx, found.database)
  })
}

async function dropRemote(deps: Deps, { database, host }: HostedDatabase, force: boolean) {
  try {
    await onHost(access(deps, host), 'delete database', (s) => dropOnHost(s, database.name, database.username))
  } catch (error) {
    if (!force) throw error
    deps.log.warn('database left on its host by a forced delete', { database: database.uuid, error: (error as Error).message })
  }
}

/** A new password on the host, then in the row; answered in clear for the caller to show (or not). */
export async function rotatePassword(deps: Deps, found: HostedDatabase, log: Log): Promise<string> {
  checkUsable(found, 'rotate database password', 'database is locked and the password cannot be rotated')
  const password = databasePassword()
  await onHost(access(deps, found.host), 'rotate database password', (s) => rotateOnHost(s, found.database.username, password))
  await transaction(deps.db, async (tx) => {
    await tx
      .update(sd)
      .set({ password: deps.secrets.encrypt(password) })
      .where(eq(sd.uuid, found.database.uuid))
    await log(tx, found.database)
  })
  return password
}

export async function recreateDatabase(deps: Deps, found: HostedDatabase, log: Log) {
  checkUsable(found, 'recreate database', 'database is locked and cannot be recreated')
  await onHost(access(deps, found.host), 'recreate database', (s) => recreateOnHost(s, found.database.name, found.database.username))
  await transaction(deps.db, (tx) => log(tx, found.database))
}

/** Sizes by database uuid, kept 15 s (spec 03 §5.3). */
export class SizeCache {
  private readonly sizes = new Map<string, { at: number; size: Promise<number> }>()
  constructor(private readonly ttlMs = 15_000) {}

  get(deps: Deps, found: HostedDatabase): Promise<number> {
    checkUsable(found, 'get database size', null)
    const now = Date.now()
    for (const [key, entry] of this.sizes) if (now - entry.at >= this.ttlMs) this.sizes.delete(key)
    const kept = this.sizes.get(found.database.uuid)
    if (kept) return kept.size
    const size = onHost(access(deps, found.host), 'get database size', (s) => sizeOnHost(s, found.database.name))
    this.sizes.set(found.database.uuid, { at: now, size })
    size.catch(() => this.sizes.delete(found.database.uuid))
    return size
  }
}

/**
 * Drops the databases matching `where`, host first, then each row. A host failure is a 417
 * `failed to delete database: …` that stops there, unless `ignoreFailures` (the row goes anyway).
 */
async function dropAll(deps: Deps, where: SQL, ignoreFailures: boolean) {
  for (const found of await joined(deps.db)({}).where(where)) {
    try {
      await dropRemote(deps, found, ignoreFailures)
    } catch (error) {
      const message = error instanceof HttpError ? error.messages.join('; ') : String(error)
      throw new LimitExceeded(`failed to delete database: ${message}`)
    }
    await deps.db.delete(sd).where(eq(sd.uuid, found.database.uuid))
  }
}

/** Before a server is deleted (spec 02 §8.6 step 1): its databases dropped; a failure aborts unless `force`. */
export const dropServerDatabases = (deps: Deps, server: { uuid: string }, force: boolean) =>
  dropAll(deps, eq(sd.server_uuid, server.uuid), force)

/** Before a host is deleted (spec 02 §10): 409 while it has databases, unless `force`, which drops them (a failure: 417). */
export async function dropHostDatabases(deps: Deps, host: DatabaseHostRow, force: boolean) {
  const [held] = await deps.db.select({ n: count() }).from(sd).where(eq(sd.database_host_uuid, host.uuid))
  if (!held.n) return
  if (!force) throw new Conflict('database host has databases, cannot delete')
  await dropAll(deps, eq(sd.database_host_uuid, host.uuid), false)
}

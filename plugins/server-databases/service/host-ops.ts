import { BadGateway, BadRequest, Conflict, HttpError, type Logger, type Secrets } from 'hatchery'
import { openHostSession, reasonOf, type DatabaseHostRow, type HostSession } from '../../database-hosts'

/** What a host operation needs: the host row, the panel's secrets and a logger for the driver's reason of a failure. */
export interface HostAccess {
  host: DatabaseHostRow
  secrets: Secrets
  log: Logger
}

/**
 * Runs `work` on a session of the host; an unreachable host is a 502 (from `openHostSession`), a
 * failed statement a 502 `failed to <what>` (the host refused: the reference answers 500, but the
 * fault is the host's; the driver's reason is logged, not answered), unless `work` throws an answer
 * of its own.
 */
export async function onHost<T>(at: HostAccess, what: string, work: (s: HostSession) => Promise<T>): Promise<T> {
  const session = await openHostSession(at.host, at.secrets)
  try {
    return await work(session)
  } catch (error) {
    if (error instanceof HttpError) throw error
    at.log.warn(`failed to ${what}`, { database_host: at.host.uuid, error: reasonOf(error, '') })
    throw new BadGateway(`failed to ${what}`)
  } finally {
    session.close()
  }
}

const mysqlUser = (s: HostSession, username: string) => `${s.literal(username)}@'%'`
/** A MySQL grant's database name is a pattern: `_` and `%` escaped so it matches this database only. */
const grantPattern = (s: HostSession, name: string) => `${s.id(name.replace(/[_%\\]/g, '\\$&'))}.*`

const code = (error: unknown) => (error as { code?: string; errno?: number })?.code
const EXISTS = new Set(['ER_DB_CREATE_EXISTS', '42P04'])

/** Runs `steps` in order; when one fails, the `undo` of those done run in reverse (their failures ignored). */
async function allOrNothing(steps: { run: () => Promise<unknown>; undo: () => Promise<unknown> }[]) {
  const done: (() => Promise<unknown>)[] = []
  try {
    for (const step of steps) {
      await step.run()
      done.unshift(step.undo)
    }
  } catch (error) {
    for (const undo of done) await undo().catch(() => {})
    throw error
  }
}

async function createDatabaseOnly(s: HostSession, name: string, username: string) {
  if (s.type === 'mysql') {
    await s.query(`CREATE DATABASE ${s.id(name)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } else {
    await s.query(`CREATE DATABASE ${s.id(name)} WITH OWNER ${s.id(username)} ENCODING 'UTF8'`)
    await s.query(`REVOKE ALL ON DATABASE ${s.id(name)} FROM PUBLIC`)
  }
}

const dropDatabaseOnly = (s: HostSession, name: string) => s.query(`DROP DATABASE IF EXISTS ${s.id(name)}`)
const dropUser = (s: HostSession, username: string) =>
  s.query(s.type === 'mysql' ? `DROP USER IF EXISTS ${mysqlUser(s, username)}` : `DROP USER IF EXISTS ${s.id(username)}`)

/**
 * Creates the user and the database (MySQL: ALL privileges on it; PostgreSQL: owned by the user,
 * no access for PUBLIC). All or nothing: a failed step drops what the earlier ones made. A database
 * of that name already on the host is a 409 and is left alone.
 */
export async function createOnHost(s: HostSession, name: string, username: string, password: string): Promise<void> {
  const user =
    s.type === 'mysql'
      ? `CREATE USER ${mysqlUser(s, username)} IDENTIFIED BY ${s.literal(password)}`
      : `CREATE USER ${s.id(username)} WITH PASSWORD ${s.literal(password)}`
  try {
    await allOrNothing([
      { run: () => s.query(user), undo: () => dropUser(s, username) },
      { run: () => createDatabaseOnly(s, name, username), undo: () => dropDatabaseOnly(s, name) },
      ...(s.type === 'mysql'
        ? [{ run: () => s.query(`GRANT ALL PRIVILEGES ON ${grantPattern(s, name)} TO ${mysqlUser(s, username)}`), undo: async () => {} }]
        : []),
    ])
  } catch (error) {
    if (EXISTS.has(code(error) ?? '')) throw new Conflict('database with name already exists')
    throw error
  }
}

async function dropDatabaseChecked(s: HostSession, name: string) {
  try {
    await dropDatabaseOnly(s, name)
  } catch (error) {
    if (/is being accessed/.test((error as Error)?.message ?? ''))
      throw new BadRequest('this database is being accessed, unable to delete.')
    throw error
  }
}

/** Drops the database, then its user. A PostgreSQL database with open connections: 400, nothing dropped. */
export async function dropOnHost(s: HostSession, name: string, username: string): Promise<void> {
  await dropDatabaseChecked(s, name)
  await dropUser(s, username)
}

export async function rotateOnHost(s: HostSession, username: string, password: string): Promise<void> {
  await s.query(
    s.type === 'mysql'
      ? `ALTER USER ${mysqlUser(s, username)} IDENTIFIED BY ${s.literal(password)}`
      : `ALTER USER ${s.id(username)} WITH PASSWORD ${s.literal(password)}`,
  )
}

/** Drops and creates the database again, empty (the MySQL grant, kept by name, applies again). */
export async function recreateOnHost(s: HostSession, name: string, username: string): Promise<void> {
  await dropDatabaseChecked(s, name)
  await createDatabaseOnly(s, name, username)
}

/** The database's size in bytes (MySQL: data and indexes of its tables). */
export async function sizeOnHost(s: HostSession, name: string): Promise<number> {
  const [row] =
    s.type === 'mysql'
      ? await s.query<{ size: unknown }>(
          'SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS SIGNED) AS size FROM information_schema.tables WHERE table_schema = ?',
          [name],
        )
      : await s.query<{ size: unknown }>('SELECT pg_database_size($1) AS size', [name])
  return Number(row?.size ?? 0)
}

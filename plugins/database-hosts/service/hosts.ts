import { isIP } from 'node:net'
import { asc, eq } from 'drizzle-orm'
import { loadOr404, paginate, Validation, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import type { Static } from '@sinclair/typebox'
import { databaseHosts, type DatabaseType, type StoredCredentials } from '../tables'
import { CENSORED, type CreateDatabaseHost, type Credentials, type UpdateDatabaseHost } from '../model'

export type DatabaseHostRow = typeof databaseHosts.$inferSelect
type CreateFields = Static<typeof CreateDatabaseHost>
type UpdateFields = Static<typeof UpdateDatabaseHost>
type CredentialFields = Static<typeof Credentials>

/** URL schemes a connection string may use, by host type. */
export const SCHEMES: Record<string, DatabaseType> = {
  mysql: 'mysql',
  mariadb: 'mysql',
  postgres: 'postgres',
  postgresql: 'postgres',
  mongodb: 'mongodb',
}

/** The credentials as answered and audited: the secret censored. */
export function censor(c: StoredCredentials) {
  return c.type === 'connection_string'
    ? { type: c.type, connection_string: CENSORED as typeof CENSORED }
    : { type: c.type, host: c.host, port: c.port, username: c.username, password: CENSORED as typeof CENSORED }
}

export const toDatabaseHost = (r: DatabaseHostRow) => ({
  uuid: r.uuid,
  name: r.name,
  deployment_enabled: r.deployment_enabled,
  maintenance_enabled: r.maintenance_enabled,
  type: r.type,
  public_host: r.public_host,
  public_port: r.public_port,
  credentials: censor(r.credentials),
  created: r.created,
})

/** The `database-host:create` data (spec 02 §14); `database-host:update` leaves out `type`. */
export function hostAudit(r: DatabaseHostRow, withType = true) {
  const { uuid, name, type, deployment_enabled, maintenance_enabled, public_host, public_port } = r
  const rest = { deployment_enabled, maintenance_enabled, public_host, public_port, credentials: censor(r.credentials) }
  return withType ? { uuid, name, type, ...rest } : { uuid, name, ...rest }
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i

/** A DNS host name (RFC 1123 labels) or an IP address. */
export function isHostName(value: string): boolean {
  if (isIP(value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value)) return true
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l))
}

/** Why a connection string cannot be used for a host of `type`, or null (the reference's wording). */
function connectionStringProblem(value: string, type: DatabaseType): string | null {
  if (value.trim() === '') return 'connection string cannot be empty'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'Invalid connection string: not a URL'
  }
  const scheme = url.protocol.slice(0, -1)
  const kind = SCHEMES[scheme]
  if (!kind) return `Invalid connection string: Unsupported database type: ${scheme}`
  if (kind !== type) return `Invalid connection string: a ${scheme} URL for a ${type} host`
  if (!url.hostname) return 'Invalid connection string: missing host'
  if (!isHostName(url.hostname)) return 'Invalid connection string: invalid host'
  if (!url.username) return 'Invalid connection string: missing username'
  if (!url.password) return 'Invalid connection string: missing password'
  return null
}

/** The password inside stored credentials (decrypted). */
export function storedPassword(secrets: Secrets, c: StoredCredentials): string {
  if (c.type === 'details') return secrets.decrypt(c.password)
  return decodeURIComponent(new URL(secrets.decrypt(c.connection_string)).password)
}

/**
 * Checks and encrypts credentials. With `previous` (a PATCH), an empty secret keeps the stored one:
 * `connection_string: ""` the stored string, `password: ""` the stored password.
 */
function sealCredentials(secrets: Secrets, type: DatabaseType, c: CredentialFields, previous?: StoredCredentials): StoredCredentials {
  if (c.type === 'connection_string') {
    if (c.connection_string === CENSORED && previous?.type === 'connection_string') return previous
    const problem = connectionStringProblem(c.connection_string, type)
    if (problem) throw new Validation([`credentials.connection_string: ${problem}`])
    return { type: c.type, connection_string: secrets.encrypt(c.connection_string) }
  }
  if (!isHostName(c.host)) throw new Validation(['credentials.host: not a host name or IP address'])
  let password = c.password
  if (password === CENSORED) {
    if (!previous) throw new Validation(['credentials.password: expected string length greater or equal to 1'])
    password = storedPassword(secrets, previous)
  }
  return { type: c.type, host: c.host, port: c.port, username: c.username, password: secrets.encrypt(password) }
}

function checkPublicHost(value: string | null | undefined): void {
  if (typeof value === 'string' && !isHostName(value)) throw new Validation(['public_host: not a host name or IP address'])
}

export const listDatabaseHosts = (db: Db | Tx, page: PageParams) =>
  paginate(
    db,
    {
      from: databaseHosts,
      search: [databaseHosts.name],
      orderBy: [asc(databaseHosts.created), asc(databaseHosts.uuid)],
      map: toDatabaseHost,
    },
    page,
  )

export const getDatabaseHost = (db: Db | Tx, uuid: string, opts: { lock?: boolean } = {}) =>
  loadOr404(db, databaseHosts, databaseHosts.uuid, uuid, 'database host', opts)

export async function createDatabaseHost(tx: Tx, secrets: Secrets, fields: CreateFields): Promise<DatabaseHostRow> {
  checkPublicHost(fields.public_host)
  const credentials = sealCredentials(secrets, fields.type, fields.credentials)
  const [row] = await tx
    .insert(databaseHosts)
    .values({ ...fields, public_host: fields.public_host ?? null, public_port: fields.public_port ?? null, credentials })
    .returning()
  return row
}

/** Absent fields stay; null clears `public_host` / `public_port`; `credentials` is replaced whole (the type of a host never changes). */
export async function updateDatabaseHost(tx: Tx, secrets: Secrets, uuid: string, fields: UpdateFields): Promise<DatabaseHostRow> {
  const current = await getDatabaseHost(tx, uuid, { lock: true })
  checkPublicHost(fields.public_host)
  const { credentials, ...rest } = fields
  const changes: Partial<typeof databaseHosts.$inferInsert> = { ...rest }
  if (credentials) changes.credentials = sealCredentials(secrets, current.type, credentials, current.credentials)
  if (Object.values(changes).every((v) => v === undefined)) return current
  const [row] = await tx.update(databaseHosts).set(changes).where(eq(databaseHosts.uuid, current.uuid)).returning()
  return row
}

export async function deleteDatabaseHost(tx: Tx, uuid: string): Promise<DatabaseHostRow> {
  const row = await getDatabaseHost(tx, uuid, { lock: true })
  await tx.delete(databaseHosts).where(eq(databaseHosts.uuid, row.uuid))
  return row
}

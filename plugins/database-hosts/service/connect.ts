import type * as Mysql from 'mysql2/promise'
import pg from 'pg'
import { BadGateway, LimitExceeded, type Secrets } from 'hatchery'
import type { DatabaseHostRow } from './hosts'

// mysql2 (~20 MiB) is loaded by the first connection test, not at boot. A plain require with a
// literal name, which the binary's bundler includes (as for sshpk and WebAuthn).
let mysqlModule: typeof Mysql | undefined
const mysql = async () => (mysqlModule ??= require('mysql2/promise') as typeof Mysql)

/** Time allowed to open the connection (TCP, TLS, authentication). */
export const CONNECT_TIMEOUT_MS = 5_000
/** Time allowed for the whole test, `SELECT 1` included: a host that stalls after connecting. */
export const TEST_TIMEOUT_MS = 8_000

/** Time allowed for one statement of a session (creating or dropping a database, a user). */
export const QUERY_TIMEOUT_MS = 15_000

/** Where and as whom the panel connects to a host. */
export type Target = { host: string; port: number; user: string; password: string; database?: string }

function fromUrl(value: string, defaultPort: number): Target {
  const url = new URL(value)
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : defaultPort,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...(database ? { database } : {}),
  }
}

const defaultPort = (host: DatabaseHostRow) => (host.type === 'mysql' ? 3306 : host.type === 'postgres' ? 5432 : 27017)

/** Where and as whom the panel connects, secrets decrypted. */
export function targetOf(host: DatabaseHostRow, secrets: Secrets): Target {
  const c = host.credentials
  if (c.type === 'connection_string') return fromUrl(secrets.decrypt(c.connection_string), defaultPort(host))
  return { host: c.host, port: c.port, user: c.username, password: secrets.decrypt(c.password) }
}

/** The address servers are given: `public_host` / `public_port`, else the connection's. */
export function publicAddress(host: DatabaseHostRow, secrets: Secrets): { host: string; port: number } {
  const target = targetOf(host, secrets)
  return { host: host.public_host ?? target.host, port: host.public_port ?? target.port }
}

/**
 * An open connection to a database host, as the panel's account: `query` with placeholders (`?`
 * for MySQL, `$1` for PostgreSQL), `id` / `literal` quote an identifier / a value for statements
 * that take no placeholders (DDL). `close` never throws.
 */
export interface HostSession {
  type: 'mysql' | 'postgres'
  query<T = Record<string, unknown>>(sql: string, values?: unknown[], timeoutMs?: number): Promise<T[]>
  id(name: string): string
  literal(value: string): string
  close(): void
}

async function mysqlSession(target: Target): Promise<HostSession> {
  const conn = await (await mysql()).createConnection({ ...target, connectTimeout: CONNECT_TIMEOUT_MS })
  conn.on('error', () => {})
  return {
    type: 'mysql',
    query: async <T>(sql: string, values: unknown[] = [], timeout = QUERY_TIMEOUT_MS) =>
      (await conn.query({ sql, values, timeout }))[0] as T[],
    id: (name) => conn.escapeId(name),
    literal: (value) => conn.escape(value),
    close: () => conn.destroy(),
  }
}

async function postgresSession(target: Target, purpose: string): Promise<HostSession> {
  const client = new pg.Client({
    ...target,
    database: target.database ?? 'postgres',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: `hatchery ${purpose}`,
  })
  client.on('error', () => {})
  const close = () => void client.end().catch(() => {})
  try {
    await client.connect()
  } catch (error) {
    close()
    throw error
  }
  return {
    type: 'postgres',
    query: async <T>(sql: string, values: unknown[] = [], timeout = QUERY_TIMEOUT_MS) =>
      (await client.query({ text: sql, values, query_timeout: timeout } as pg.QueryConfig)).rows as T[],
    id: (name) => client.escapeIdentifier(name),
    literal: (value) => client.escapeLiteral(value),
    close,
  }
}

function connect(host: DatabaseHostRow, target: Target, purpose: string): Promise<HostSession> {
  if (host.type === 'mongodb') throw new LimitExceeded('mongodb hosts are not supported')
  return host.type === 'mysql' ? mysqlSession(target) : postgresSession(target, purpose)
}

/**
 * Opens a session on `host` as the panel's account (5 s to connect). A host that cannot be reached
 * or refuses the panel is a 502 `database host <name> is unreachable: <reason>`; MongoDB hosts are
 * a 417 (not supported).
 * @example const s = await openHostSession(host, ctx.secrets); try { await s.query('SELECT 1') } finally { s.close() }
 */
export async function openHostSession(host: DatabaseHostRow, secrets: Secrets, purpose = 'server databases'): Promise<HostSession> {
  const target = targetOf(host, secrets)
  try {
    return await connect(host, target, purpose)
  } catch (error) {
    if (error instanceof LimitExceeded) throw error
    throw new BadGateway(`database host ${host.name} is unreachable: ${reasonOf(error, target.password)}`)
  }
}

const TIMEOUT = /ETIMEDOUT|timeout expired|connection timeout|timed out/i

/** What a network failure means, before the driver's own words. */
function prefixOf(code: string | undefined, text: string): string {
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host'
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable'
  if (code === 'ETIMEDOUT' || TIMEOUT.test(text)) return `no answer within ${CONNECT_TIMEOUT_MS / 1000} seconds`
  return ''
}

/** The driver's reason in one line, with what it means for a network failure; the password never in it. */
export function reasonOf(error: unknown, password: string): string {
  let e = error as { message?: string; code?: string; errors?: unknown[] }
  if (!e?.message && Array.isArray(e?.errors) && e.errors.length) e = e.errors[0] as typeof e
  let text = (e?.message || e?.code || String(error)).replace(/\s+/g, ' ').trim() || 'connection failed'
  const prefix = prefixOf(e?.code, text)
  if (prefix) text = `${prefix}: ${text}`
  // Drivers do not quote passwords; this is a second guard. Shorter ones would mangle ordinary words.
  if (password.length >= 4) text = text.split(password).join('********')
  return text
}

/**
 * Connects to a host as the panel would and runs `SELECT 1`. Any failure is a 417 carrying the
 * driver's reason (`password authentication failed for user "x"`, `connect ECONNREFUSED …`,
 * `connection timed out`), within `TEST_TIMEOUT_MS`. MongoDB hosts are not supported (417).
 * Addresses are not restricted (no outbound-URL rules): database hosts usually live on the LAN,
 * and only admins holding `database-hosts.test` can start a test.
 */
export async function testConnection(host: DatabaseHostRow, secrets: Secrets): Promise<void> {
  if (host.type === 'mongodb') throw new LimitExceeded('mongodb hosts are not supported')
  const target = targetOf(host, secrets)
  let session: HostSession | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let finished = false
  const attempt = (async () => {
    session = await connect(host, target, 'connection test')
    if (finished) return session.close()
    await session.query('SELECT 1', [], CONNECT_TIMEOUT_MS)
  })()
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the test timed out after ${TEST_TIMEOUT_MS / 1000} seconds`)), TEST_TIMEOUT_MS)
  })
  try {
    await Promise.race([attempt, deadline])
  } catch (error) {
    attempt.catch(() => {})
    throw new LimitExceeded(reasonOf(error, target.password))
  } finally {
    finished = true
    clearTimeout(timer)
    session?.close()
  }
}

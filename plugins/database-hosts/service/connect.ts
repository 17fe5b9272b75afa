import type * as Mysql from 'mysql2/promise'
import pg from 'pg'
import { LimitExceeded, type Secrets } from 'hatchery'
import type { DatabaseHostRow } from './hosts'

// mysql2 (~20 MiB) is loaded by the first connection test, not at boot. A plain require with a
// literal name, which the binary's bundler includes (as for sshpk and WebAuthn).
let mysqlModule: typeof Mysql | undefined
const mysql = async () => (mysqlModule ??= require('mysql2/promise') as typeof Mysql)

/** Time allowed to open the connection (TCP, TLS, authentication). */
export const CONNECT_TIMEOUT_MS = 5_000
/** Time allowed for the whole test, `SELECT 1` included: a host that stalls after connecting. */
export const TEST_TIMEOUT_MS = 8_000

type Target = { host: string; port: number; user: string; password: string; database?: string }

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

/** Where and as whom the panel connects, secrets decrypted. */
function targetOf(host: DatabaseHostRow, secrets: Secrets, defaultPort: number): Target {
  const c = host.credentials
  if (c.type === 'connection_string') return fromUrl(secrets.decrypt(c.connection_string), defaultPort)
  return { host: c.host, port: c.port, user: c.username, password: secrets.decrypt(c.password) }
}

async function testMysql(target: Target, track: (close: () => void) => void): Promise<void> {
  const conn = await (await mysql()).createConnection({ ...target, connectTimeout: CONNECT_TIMEOUT_MS })
  track(() => conn.destroy())
  try {
    await conn.query({ sql: 'SELECT 1', timeout: CONNECT_TIMEOUT_MS })
  } finally {
    conn.destroy()
  }
}

async function testPostgres(target: Target, track: (close: () => void) => void): Promise<void> {
  const client = new pg.Client({
    ...target,
    database: target.database ?? 'postgres',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
    application_name: 'hatchery connection test',
  })
  client.on('error', () => {})
  track(() => void client.end().catch(() => {}))
  try {
    await client.connect()
    await client.query('SELECT 1')
  } finally {
    await client.end().catch(() => {})
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
  const target = targetOf(host, secrets, host.type === 'mysql' ? 3306 : 5432)
  let close: (() => void) | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const track = (fn: () => void) => void (close = fn)
  const attempt = host.type === 'mysql' ? testMysql(target, track) : testPostgres(target, track)
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the test timed out after ${TEST_TIMEOUT_MS / 1000} seconds`)), TEST_TIMEOUT_MS)
  })
  try {
    await Promise.race([attempt, deadline])
  } catch (error) {
    close?.()
    attempt.catch(() => {})
    throw new LimitExceeded(reasonOf(error, target.password))
  } finally {
    clearTimeout(timer)
  }
}

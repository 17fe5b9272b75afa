/**
 * The connection test against real servers: this machine's MariaDB (127.0.0.1:3306, root without a
 * password, where a user with a password is created and dropped again) and a PostgreSQL cluster
 * made here with password (scram-sha-256) authentication on a free port, since the machine's own
 * cluster trusts every password. Without MariaDB or the PostgreSQL binaries the affected tests say
 * so and pass without checking.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer, type Server, type Socket } from 'node:net'
import mysql from 'mysql2/promise'
import { adminCaller, prepareAdminTests, useTestApp, type AdminCaller } from 'hatchery/testing'
import { freePort, startScratchPostgres, type ScratchPostgres } from './test-hosts'

const t = useTestApp()
let admin: AdminCaller

const suffix = Math.random().toString(36).slice(2, 8)
const MY_USER = `hatchery_t_${suffix}`
const MY_PASSWORD = `My-${suffix}-pässword!`
const PG_PASSWORD = `Pg-${suffix}-secret`
let mariadb: string | null = 'not checked'
let pg: ScratchPostgres | null = null
let pgSkip = ''
let silent: Server
let silentPort = 0
const sockets = new Set<Socket>()

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  silent = createServer((s) => void sockets.add(s))
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok))
  silentPort = (silent.address() as { port: number }).port
  try {
    const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', connectTimeout: 3000 })
    await root.query('CREATE USER ?@? IDENTIFIED BY ?', [MY_USER, '%', MY_PASSWORD])
    await root.end()
    mariadb = null
  } catch (e) {
    mariadb = `MariaDB at 127.0.0.1:3306 as root is unavailable (${(e as Error).message})`
  }
  try {
    pg = await startScratchPostgres(PG_PASSWORD)
  } catch (e) {
    pgSkip = `a PostgreSQL cluster with password authentication could not be made (${(e as Error).message})`
  }
}, 120_000)

afterAll(async () => {
  for (const s of sockets) s.destroy()
  silent?.close()
  if (!mariadb) {
    const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' })
    await root.query('DROP USER IF EXISTS ?@?', [MY_USER, '%'])
    await root.end()
  }
  pg?.stop()
}, 60_000)

function skipped(reason: string | null): boolean {
  if (reason) console.warn(`skipped: ${reason}`)
  return !!reason
}

const details = (host: string, port: number, username: string, password: string) => ({ type: 'details', host, port, username, password })
async function testHost(type: string, credentials: Record<string, unknown>) {
  const made = await t.request('POST', '/api/admin/database-hosts', {
    cookie: admin.cookie,
    body: { name: `h_${Math.random().toString(36).slice(2, 10)}`, type, deployment_enabled: true, maintenance_enabled: false, credentials },
  })
  expect(made.status).toBe(200)
  const started = Date.now()
  const res = await t.request('POST', `/api/admin/database-hosts/${made.body.database_host.uuid}/test`, { cookie: admin.cookie })
  return { ...res, ms: Date.now() - started }
}

describe('POST /api/admin/database-hosts/{database_host}/test against MariaDB', () => {
  test('success with details and with a mariadb:// connection string', async () => {
    if (skipped(mariadb)) return
    expect(await testHost('mysql', details('127.0.0.1', 3306, MY_USER, MY_PASSWORD))).toMatchObject({ status: 200, body: {} })
    const url = `mariadb://${MY_USER}:${encodeURIComponent(MY_PASSWORD)}@127.0.0.1:3306`
    expect(await testHost('mysql', { type: 'connection_string', connection_string: url })).toMatchObject({ status: 200, body: {} })
  })

  test('a wrong password: 417 with the server reason', async () => {
    if (skipped(mariadb)) return
    const res = await testHost('mysql', details('127.0.0.1', 3306, MY_USER, 'wrong-password'))
    expect(res.status).toBe(417)
    expect(res.body.errors[0]).toContain('Access denied')
    expect(res.text).not.toContain('wrong-password')
  })

  test('a closed port: 417 within a few seconds', async () => {
    const res = await testHost('mysql', details('127.0.0.1', await freePort(), 'u', 'p'))
    expect(res.status).toBe(417)
    expect(res.body.errors[0]).toMatch(/^connection refused: .*ECONNREFUSED/)
    expect(res.ms).toBeLessThan(3000)
  })

  test('a host that accepts and never answers: 417 within the connect timeout', async () => {
    const res = await testHost('mysql', details('127.0.0.1', silentPort, 'u', 'p'))
    expect(res.status).toBe(417)
    expect(res.body.errors).toEqual(['no answer within 5 seconds: connect ETIMEDOUT'])
    expect(res.ms).toBeLessThan(9000)
  }, 20_000)
})

describe('POST /api/admin/database-hosts/{database_host}/test against PostgreSQL', () => {
  test('success with details and with a postgresql:// connection string', async () => {
    if (skipped(pgSkip)) return
    expect(await testHost('postgres', details('127.0.0.1', pg!.port, 'postgres', PG_PASSWORD))).toMatchObject({ status: 200, body: {} })
    const url = `postgresql://postgres:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${pg!.port}/postgres`
    expect(await testHost('postgres', { type: 'connection_string', connection_string: url })).toMatchObject({ status: 200, body: {} })
  })

  test('a wrong password: 417 with the server reason', async () => {
    if (skipped(pgSkip)) return
    const res = await testHost('postgres', details('127.0.0.1', pg!.port, 'postgres', 'wrong-password'))
    expect(res.status).toBe(417)
    expect(res.body.errors).toEqual(['password authentication failed for user "postgres"'])
  })

  test('a closed port: 417 within a few seconds', async () => {
    const res = await testHost('postgres', details('127.0.0.1', await freePort(), 'u', 'p'))
    expect(res.status).toBe(417)
    expect(res.body.errors[0]).toMatch(/^connection refused: .*ECONNREFUSED/)
    expect(res.ms).toBeLessThan(3000)
  })

  test('a host that accepts and never answers: 417 within the connect timeout', async () => {
    const res = await testHost('postgres', details('127.0.0.1', silentPort, 'u', 'p'))
    expect(res.status).toBe(417)
    expect(res.body.errors).toEqual(['no answer within 5 seconds: timeout expired'])
    expect(res.ms).toBeLessThan(9000)
  }, 20_000)
})

test('mongodb hosts: 417 mongodb hosts are not supported', async () => {
  const res = await testHost('mongodb', details('127.0.0.1', 27017, 'u', 'p'))
  expect(res).toMatchObject({ status: 417, body: { errors: ['mongodb hosts are not supported'] } })
})

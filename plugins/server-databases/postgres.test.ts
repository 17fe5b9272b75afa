/**
 * Server databases on a PostgreSQL host: a cluster this file starts with password authentication
 * (`initdb --auth=scram-sha-256` on a free port; the machine's own cluster trusts every password),
 * so the returned credentials are really checked. Without the PostgreSQL binaries the tests say so
 * and pass without checking.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import pg from 'pg'
import { useTestApp } from 'hatchery/testing'
import { startScratchPostgres, type ScratchPostgres } from '../database-hosts/test-hosts'
import { databaseKit } from './test-kit'

const t = useTestApp()
const k = databaseKit(t)
const own = () => ({ cookie: k.owner.cookie })
const PASSWORD = `Pg-${Math.random().toString(36).slice(2, 8)}-secret`
let cluster: ScratchPostgres | null = null
let skip = ''
let host: { uuid: string; name: string }
type Db = { uuid: string; name: string; username: string; password: string; port: number }

beforeAll(async () => {
  try {
    cluster = await startScratchPostgres(PASSWORD)
  } catch (e) {
    skip = `a PostgreSQL cluster with password authentication could not be made (${(e as Error).message})`
    return
  }
  host = await k.host({
    type: 'postgres',
    credentials: { type: 'details', host: '127.0.0.1', port: cluster.port, username: 'postgres', password: PASSWORD },
  })
}, 120_000)
afterAll(() => cluster?.stop(), 60_000)

const skipped = () => {
  if (skip) console.warn(`skipped: ${skip}`)
  return !!skip
}

async function connectAs(user: string, password: string, database: string) {
  const client = new pg.Client({ host: '127.0.0.1', port: cluster!.port, user, password, database, connectionTimeoutMillis: 3000 })
  client.on('error', () => {})
  await client.connect()
  return client
}
const asSuperuser = () => connectAs('postgres', PASSWORD, 'postgres')
async function catalog(sql: string, value: string) {
  const c = await asSuperuser()
  try {
    return (await c.query(sql, [value])).rowCount
  } finally {
    await c.end()
  }
}

async function create(server: string, name: string) {
  const res = await k.call('POST', server, '', own(), { database_host_uuid: host.uuid, name })
  expect(res.status).toBe(200)
  return res.body.database as Db
}

describe('server databases on PostgreSQL', () => {
  test('create: the user owns the database, can create tables in it, and cannot connect to another', async () => {
    if (skipped()) return
    const server = await k.serverWith(2)
    const d = await create(server, 'pgdata')
    expect(d).toMatchObject({ type: 'postgres', port: cluster!.port, name: `s${server.replace(/-/g, '').slice(0, 8)}_pgdata` })
    const c = await connectAs(d.username, d.password, d.name)
    await c.query('CREATE TABLE players (id int primary key, name text)')
    await c.query("INSERT INTO players VALUES (1, 'alex')")
    await c.end()
    const other = await create(server, 'pgother')
    await expect(connectAs(d.username, d.password, other.name)).rejects.toThrow(/permission denied/)
    await expect(connectAs(d.username, 'wrong-password', d.name)).rejects.toThrow(/password authentication failed/)
  })

  test('rotate: the old password stops working, the new one works', async () => {
    if (skipped()) return
    const server = await k.serverWith(1)
    const d = await create(server, 'pgrotate')
    const res = await k.call('POST', server, `/${d.uuid}/rotate-password`, own())
    expect(res.status).toBe(200)
    await expect(connectAs(d.username, d.password, d.name)).rejects.toThrow(/password authentication failed/)
    const c = await connectAs(d.username, res.body.password, d.name)
    await c.query('CREATE TABLE t (id int)')
    await c.end()
  })

  test('recreate empties it and keeps the owner; delete refuses while it is in use, then drops database and user', async () => {
    if (skipped()) return
    const server = await k.serverWith(1)
    const d = await create(server, 'pgdrop')
    const c = await connectAs(d.username, d.password, d.name)
    await c.query('CREATE TABLE t (id int)')
    const busy = await k.call('DELETE', server, `/${d.uuid}`, own())
    expect([busy.status, busy.body.errors]).toEqual([400, ['this database is being accessed, unable to delete.']])
    await c.end()
    expect((await k.call('POST', server, `/${d.uuid}/recreate`, own())).status).toBe(200)
    const fresh = await connectAs(d.username, d.password, d.name)
    expect((await fresh.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0].n).toBe(0)
    await fresh.query('CREATE TABLE again (id int)')
    await fresh.end()
    const size = await k.call('GET', server, `/${d.uuid}/size`, own())
    expect(size.status).toBe(200)
    expect(size.body.size).toBeGreaterThan(0)
    expect((await k.call('DELETE', server, `/${d.uuid}`, own())).status).toBe(200)
    expect(await catalog('SELECT 1 FROM pg_database WHERE datname = $1', d.name)).toBe(0)
    expect(await catalog('SELECT 1 FROM pg_roles WHERE rolname = $1', d.username)).toBe(0)
  })
})

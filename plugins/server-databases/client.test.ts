/**
 * The client database routes against this machine's MariaDB (127.0.0.1:3306): the database and
 * user really exist, the returned credentials work, and delete drops both. Without MariaDB the
 * real-host tests say so and pass without checking.
 */
import { describe, expect, test } from 'bun:test'
import mysql from 'mysql2/promise'
import { expectModel, makeApiKey, useTestApp } from 'hatchery/testing'
import { freePort } from '../database-hosts/test-hosts'
import { ServerDatabase } from './model'
import { databaseKit } from './test-kit'

const t = useTestApp()
const k = databaseKit(t)
const own = () => ({ cookie: k.owner.cookie })
type Db = { uuid: string; name: string; username: string; password: string; host: string; port: number }

const connectAs = (d: Pick<Db, 'username' | 'password' | 'name'>) =>
  mysql.createConnection({ host: '127.0.0.1', port: 3306, user: d.username, password: d.password, database: d.name, connectTimeout: 3000 })

async function create(server: string, host: string, name = `db_${Math.random().toString(36).slice(2, 8)}`) {
  const res = await k.call('POST', server, '', own(), { database_host_uuid: host, name })
  expect(res.status).toBe(200)
  return res.body.database as Db
}
const rows = async (server: string) => (await k.call('GET', server, '', own())).body.databases.data as Db[]

describe('POST /api/client/servers/{server}/databases', () => {
  test('creates the database and a user on MariaDB whose credentials work on it only; logged', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(2), await k.host()]
    const res = await k.call('POST', server, '', own(), { database_host_uuid: host.uuid, name: 'mydata' })
    expect(res.status).toBe(200)
    expectModel(ServerDatabase, res.body.database)
    const d = res.body.database as Db
    const id = server.replace(/-/g, '').slice(0, 8)
    expect(d).toMatchObject({ type: 'mysql', host: '127.0.0.1', port: 3306, name: `s${id}_mydata`, is_locked: false })
    expect(d.username).toMatch(new RegExp(`^u${id}_[a-zA-Z0-9]{10}$`))
    expect(d.password).toMatch(/^[a-zA-Z0-9!@#$%^&*()<>\-_]{24}$/)
    expect(d.password).toMatch(/[!@#$%^&*()<>\-_]/)
    const conn = await connectAs(d)
    await conn.query('CREATE TABLE players (id INT PRIMARY KEY, name VARCHAR(32))')
    await conn.query('INSERT INTO players VALUES (1, ?)', ['steve'])
    await expect(conn.query('CREATE DATABASE someone_else')).rejects.toThrow(/denied/i)
    await conn.end()
    expect(await k.events(server)).toContainEqual(['server:database.create', { uuid: d.uuid, name: d.name }])
    expect(await rows(server)).toHaveLength(1)
  })

  test('417 at database_limit, 417 for a host in maintenance, 409 for a taken name: nothing made', async () => {
    if (k.skipped()) return
    const full = await k.serverWith(0)
    const host = await k.host()
    const none = await k.call('POST', full, '', own(), { database_host_uuid: host.uuid, name: 'nope' })
    expect([none.status, none.body.errors]).toEqual([417, ['maximum number of databases reached']])
    const server = await k.serverWith(3)
    const down = await k.host({ maintenance_enabled: true })
    const maintenance = await k.call('POST', server, '', own(), { database_host_uuid: down.uuid, name: 'nope' })
    expect([maintenance.status, maintenance.body.errors]).toEqual([
      417,
      ['cannot create database while database host is in maintenance mode'],
    ])
    await create(server, host.uuid, 'twice')
    const again = await k.call('POST', server, '', own(), { database_host_uuid: host.uuid, name: 'twice' })
    expect([again.status, again.body.errors]).toEqual([409, ['database with name already exists']])
    expect(await rows(server)).toHaveLength(1)
  })

  test('two creates racing for the last slot: one database, on the host and in the panel', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const both = await Promise.all(
      ['race_a', 'race_b'].map((name) => k.call('POST', server, '', own(), { database_host_uuid: host.uuid, name })),
    )
    expect(both.map((r) => r.status).sort()).toEqual([200, 417])
    const id = server.replace(/-/g, '').slice(0, 8)
    expect([await k.exists(`s${id}_race_a`), await k.exists(`s${id}_race_b`)].filter(Boolean)).toHaveLength(1)
    expect(await rows(server)).toHaveLength(1)
  })

  test('a host that is down: 502 within a few seconds, nothing recorded', async () => {
    const server = await k.serverWith(2)
    const host = await k.host({ credentials: { type: 'details', host: '127.0.0.1', port: await freePort(), username: 'u', password: 'p' } })
    const started = Date.now()
    const res = await k.call('POST', server, '', own(), { database_host_uuid: host.uuid, name: 'unreached' })
    expect(res.status).toBe(502)
    expect(res.body.errors[0]).toStartWith(`database host ${host.name} is unreachable: connection refused`)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(await rows(server)).toEqual([])
  })

  test('a host not linked to the node or its location, or not deployment-enabled: 404; a location link counts', async () => {
    if (k.skipped()) return
    const server = await k.serverWith(2)
    const unlinked = await k.host({}, false)
    const hidden = await k.host({ deployment_enabled: false })
    for (const h of [unlinked, hidden]) {
      const res = await k.call('POST', server, '', own(), { database_host_uuid: h.uuid, name: 'nope' })
      expect([res.status, res.body.errors]).toEqual([404, ['database host not found']])
    }
    const node = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}`, { cookie: k.admin.cookie })
    await k.link('locations', node.body.node.location.uuid, unlinked.uuid)
    expect((await create(server, unlinked.uuid)).uuid).toBeString()
  })

  test('bad input: 400', async () => {
    const server = await k.serverWith(2)
    const host = await k.host({}, false)
    for (const body of [
      { database_host_uuid: host.uuid, name: 'ab' },
      { database_host_uuid: host.uuid, name: 'a'.repeat(32) },
      { database_host_uuid: host.uuid, name: 'bad-name' },
      { database_host_uuid: host.uuid, name: "x'; DROP DATABASE mysql; --" },
      { database_host_uuid: 'not-a-uuid', name: 'fine' },
      { name: 'fine' },
    ]) {
      expect((await k.call('POST', server, '', own(), body)).status).toBe(400)
    }
  })
})

describe('GET /api/client/servers/{server}/databases/hosts', () => {
  test('deployment-enabled hosts of the node or its location, newest first', async () => {
    const server = await k.serverWith(1)
    const before = (await k.call('GET', server, '/hosts', own())).body.database_hosts.map((h: { uuid: string }) => h.uuid)
    const a = await k.host({ public_host: 'db.example.com', public_port: 3307 })
    const b = await k.host({ deployment_enabled: false })
    const c = await k.host({}, false)
    const res = await k.call('GET', server, '/hosts', own())
    expect(res.status).toBe(200)
    const listed = res.body.database_hosts.map((h: { uuid: string }) => h.uuid)
    expect(listed[0]).toBe(a.uuid)
    expect(listed).not.toContain(b.uuid)
    expect(listed).not.toContain(c.uuid)
    expect(listed.slice(1)).toEqual(before)
    expect(res.body.database_hosts[0]).toEqual({
      uuid: a.uuid,
      name: a.name,
      maintenance_enabled: false,
      type: 'mysql',
      host: 'db.example.com',
      port: 3307,
    })
  })
})

describe('GET /api/client/servers/{server}/databases[/{database}]', () => {
  test('the password only with include_password and databases.read-password', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    const listed = await k.call('GET', server, '?include_password=true', own())
    expect(listed.body.databases).toMatchObject({ total: 1, page: 1, data: [{ uuid: d.uuid, password: d.password }] })
    expect((await k.call('GET', server, '', own())).body.databases.data[0].password).toBeNull()
    expect((await k.call('GET', server, `/${d.uuid}?include_password=true`, own())).body.database.password).toBe(d.password)
    const reader = await makeApiKey(t, k.owner.cookie, { server_permissions: ['databases.read', 'databases.update'] })
    const one = await k.call('GET', server, `/${d.uuid}?include_password=true`, { token: reader.key })
    expect([one.status, one.body.database.password]).toEqual([200, null])
    const rotated = await k.call('POST', server, `/${d.uuid}/rotate-password`, { token: reader.key })
    expect([rotated.status, rotated.body]).toEqual([200, { password: null }])
    expect((await k.call('GET', server, `?search=${d.name.slice(-6)}`, own())).body.databases.total).toBe(1)
    expect((await k.call('GET', server, '?search=nomatch', own())).body.databases.total).toBe(0)
  })

  test('{database}: 400 invalid uuid, 404 unknown or of another server', async () => {
    if (k.skipped()) return
    const [server, other, host] = [await k.serverWith(1), await k.serverWith(1), await k.host()]
    const d = await create(other, host.uuid)
    const bad = await k.call('GET', server, '/nope', own())
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid database uuid']])
    const foreign = await k.call('GET', server, `/${d.uuid}`, own())
    expect([foreign.status, foreign.body.errors]).toEqual([404, ['database not found']])
  })
})

describe('PATCH, rotate-password, recreate, size, DELETE /api/client/servers/{server}/databases/{database}', () => {
  test('rotate: the old password stops working, the new one works; logged', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    const res = await k.call('POST', server, `/${d.uuid}/rotate-password`, own())
    expect(res.status).toBe(200)
    expect(res.body.password).not.toBe(d.password)
    await expect(connectAs(d)).rejects.toThrow(/Access denied/)
    const conn = await connectAs({ ...d, password: res.body.password })
    await conn.query('CREATE TABLE t (id INT)')
    await conn.end()
    expect((await k.call('GET', server, `/${d.uuid}?include_password=true`, own())).body.database.password).toBe(res.body.password)
    expect(await k.events(server)).toContainEqual(['server:database.rotate-password', { uuid: d.uuid, name: d.name }])
  })

  test('locked: delete, rotate and recreate answer 417; unlocked again they work', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    expect((await k.call('PATCH', server, `/${d.uuid}`, own(), { locked: true })).status).toBe(200)
    expect(await k.events(server)).toContainEqual(['server:database.update', { uuid: d.uuid, name: d.name, locked: true }])
    for (const [method, rest, message] of [
      ['DELETE', '', 'database is locked and cannot be deleted'],
      ['POST', '/rotate-password', 'database is locked and the password cannot be rotated'],
      ['POST', '/recreate', 'database is locked and cannot be recreated'],
    ]) {
      const res = await k.call(method, server, `/${d.uuid}${rest}`, own())
      expect([res.status, res.body.errors]).toEqual([417, [message]])
    }
    expect((await k.call('GET', server, `/${d.uuid}`, own())).body.database.is_locked).toBe(true)
    expect((await k.call('PATCH', server, `/${d.uuid}`, own(), { locked: 'yes' })).status).toBe(400)
    expect((await k.call('PATCH', server, `/${d.uuid}`, own(), { locked: false })).status).toBe(200)
    expect((await k.call('DELETE', server, `/${d.uuid}`, own())).status).toBe(200)
  })

  test('recreate empties the database, the credentials still work; size is cached 15 s', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    const first = await k.call('GET', server, `/${d.uuid}/size`, own())
    expect(first.status).toBe(200)
    expect(first.body.size).toBe(0)
    const conn = await connectAs(d)
    await conn.query('CREATE TABLE t (id INT)')
    await conn.end()
    expect((await k.call('GET', server, `/${d.uuid}/size`, own())).body.size).toBe(0)
    const res = await k.call('POST', server, `/${d.uuid}/recreate`, own())
    expect([res.status, res.body]).toEqual([200, {}])
    const again = await connectAs(d)
    const [tables] = await again.query('SHOW TABLES')
    expect(tables).toEqual([])
    await again.query('CREATE TABLE fresh (id INT)')
    await again.end()
    expect(await k.events(server)).toContainEqual(['server:database.recreate', { uuid: d.uuid, name: d.name }])
  })

  test('delete drops the database and its user on MariaDB, then the row; logged', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    expect(await k.exists(d.name)).toBe(true)
    const res = await k.call('DELETE', server, `/${d.uuid}`, own())
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await k.exists(d.name)).toBe(false)
    await expect(connectAs({ ...d, name: '' })).rejects.toThrow(/Access denied/)
    expect(await rows(server)).toEqual([])
    expect(await k.events(server)).toContainEqual(['server:database.delete', { uuid: d.uuid, name: d.name }])
    expect((await k.call('DELETE', server, `/${d.uuid}`, own())).status).toBe(404)
  })

  test('a host in maintenance: size, rotate, recreate and delete answer 417', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    expect(
      (await t.request('PATCH', `/api/admin/database-hosts/${host.uuid}`, { cookie: k.admin.cookie, body: { maintenance_enabled: true } }))
        .status,
    ).toBe(200)
    for (const [method, rest, what] of [
      ['GET', '/size', 'get database size'],
      ['POST', '/rotate-password', 'rotate database password'],
      ['POST', '/recreate', 'recreate database'],
      ['DELETE', '', 'delete database'],
    ]) {
      const res = await k.call(method, server, `/${d.uuid}${rest}`, own())
      expect([res.status, res.body.errors]).toEqual([417, [`cannot ${what} while database host is in maintenance mode`]])
    }
  })

  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    await k.expectGuarded(server, [
      ['GET', '/databases', undefined, 'databases.read'],
      ['GET', '/databases/hosts', undefined, 'databases.read'],
      ['POST', '/databases', { database_host_uuid: host.uuid, name: 'guarded' }, 'databases.create'],
      ['GET', `/databases/${d.uuid}`, undefined, 'databases.read'],
      ['PATCH', `/databases/${d.uuid}`, { locked: true }, 'databases.update'],
      ['DELETE', `/databases/${d.uuid}`, undefined, 'databases.delete'],
      ['POST', `/databases/${d.uuid}/rotate-password`, undefined, 'databases.update'],
      ['POST', `/databases/${d.uuid}/recreate`, undefined, 'databases.recreate'],
      ['GET', `/databases/${d.uuid}/size`, undefined, 'databases.read'],
    ])
    const deleter = await makeApiKey(t, k.owner.cookie, { server_permissions: ['databases.delete'] })
    const res = await k.call('DELETE', server, `/${d.uuid}`, { token: deleter.key })
    expect([res.status, res.body.errors]).toEqual([403, ['you do not have permission to perform this action: databases.read']])
    expect(await k.exists(d.name)).toBe(true)
  })
})

describe('deleting a server', () => {
  test('drops its databases on the host and their rows', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(2), await k.host()]
    const [a, b] = [await create(server, host.uuid), await create(server, host.uuid)]
    const res = await t.request('DELETE', `/api/admin/servers/${server}`, { cookie: k.admin.cookie, body: {} })
    expect(res.status).toBe(200)
    expect([await k.exists(a.name), await k.exists(b.name)]).toEqual([false, false])
    expect(await k.row(server)).toBeUndefined()
  })

  test('a host that cannot drop them: 417 failed to delete database and the server stays, unless force', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    const closed = { type: 'details', host: '127.0.0.1', port: await freePort(), username: 'u', password: 'p' }
    await t.request('PATCH', `/api/admin/database-hosts/${host.uuid}`, { cookie: k.admin.cookie, body: { credentials: closed } })
    const refused = await t.request('DELETE', `/api/admin/servers/${server}`, { cookie: k.admin.cookie, body: {} })
    expect(refused.status).toBe(417)
    expect(refused.body.errors[0]).toStartWith(`failed to delete database: database host ${host.name} is unreachable`)
    expect(await k.row(server)).toBeDefined()
    expect(await rows(server)).toHaveLength(1)
    const forced = await t.request('DELETE', `/api/admin/servers/${server}`, { cookie: k.admin.cookie, body: { force: true } })
    expect(forced.status).toBe(200)
    expect(await k.row(server)).toBeUndefined()
    expect(await k.exists(d.name)).toBe(true)
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { DatabaseHost } from './model'
import { databaseHosts } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let outsider: AdminCaller
let outsiderKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: outsider, limitedKey: outsiderKey } = await adminCallers(t, ['stats.read']))
}, SETUP_TIMEOUT)

const PASSWORD = 'pw-Zq8!never-answered'
const uniq = (p = 'dbh') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const details = (o: Record<string, unknown> = {}) => ({
  type: 'details',
  host: 'db.lan',
  port: 3306,
  username: 'panel',
  password: PASSWORD,
  ...o,
})
const hostBody = (o: Record<string, unknown> = {}) => ({
  name: uniq(),
  type: 'mysql',
  deployment_enabled: true,
  maintenance_enabled: false,
  public_host: 'db.example.com',
  public_port: 3306,
  credentials: details(),
  ...o,
})
async function makeHost(o: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: hostBody(o) })
  expect(res.status).toBe(200)
  return res.body.database_host as { uuid: string; name: string }
}
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(databaseHosts).where(eq(databaseHosts.uuid, uuid)))[0]
const secretOf = async (uuid: string) => {
  const c = (await stored(uuid)).credentials
  return t.kernel.secrets.decrypt(c.type === 'details' ? c.password : c.connection_string)
}
const MISSING = '00000000-0000-4000-8000-000000000000'

test('every database-host route is guarded', async () => {
  const h = await makeHost()
  const routes = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'database-hosts',
    bodies: { 'POST /api/admin/database-hosts': hostBody() },
    params: { database_host: h.uuid },
  })
  expect(routes.length).toBe(6)
})

describe('POST /api/admin/database-hosts', () => {
  test('creates a host; the password is stored encrypted and answered as ""', async () => {
    const body = hostBody()
    const res = await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body })
    expect(res.status).toBe(200)
    expectModel(DatabaseHost, res.body.database_host)
    expect(res.body.database_host).toMatchObject({
      name: body.name,
      type: 'mysql',
      deployment_enabled: true,
      public_host: 'db.example.com',
      public_port: 3306,
    })
    expect(res.body.database_host.credentials).toEqual({ type: 'details', host: 'db.lan', port: 3306, username: 'panel', password: '' })
    expect(res.text).not.toContain(PASSWORD)
    const row = await stored(res.body.database_host.uuid)
    expect(JSON.stringify(row)).not.toContain(PASSWORD)
    expect(await secretOf(row.uuid)).toBe(PASSWORD)
    const [event] = await adminEvents(t, admin, 'database-host:create')
    expect(event.data).toEqual({
      uuid: row.uuid,
      name: body.name,
      type: 'mysql',
      deployment_enabled: true,
      maintenance_enabled: false,
      public_host: 'db.example.com',
      public_port: 3306,
      credentials: { type: 'details', host: 'db.lan', port: 3306, username: 'panel', password: '' },
    })
  })

  test('a connection string is stored encrypted whole and answered as ""', async () => {
    const url = `postgresql://panel:${encodeURIComponent(PASSWORD)}@10.0.0.5:5433/postgres`
    const res = await t.request('POST', '/api/admin/database-hosts', {
      cookie: admin.cookie,
      body: hostBody({
        type: 'postgres',
        public_host: undefined,
        public_port: undefined,
        credentials: { type: 'connection_string', connection_string: url },
      }),
    })
    expect(res.status).toBe(200)
    expect(res.body.database_host.credentials).toEqual({ type: 'connection_string', connection_string: '' })
    expect(res.body.database_host.public_host).toBeNull()
    expect(res.text).not.toContain('10.0.0.5')
    expect(await secretOf(res.body.database_host.uuid)).toBe(url)
  })

  test('a taken name is a 409', async () => {
    const h = await makeHost()
    const res = await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: hostBody({ name: h.name }) })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['database host with name already exists'])
  })

  test.each([
    ['unknown type', { type: 'oracle' }],
    ['empty name', { name: '' }],
    ['name too long', { name: 'n'.repeat(256) }],
    ['public_host too short', { public_host: 'ab' }],
    ['public_host not a host', { public_host: 'db host!' }],
    ['public_port 0', { public_port: 0 }],
    ['public_port 65536', { public_port: 65536 }],
    ['port 0', { credentials: details({ port: 0 }) }],
    ['port 70000', { credentials: details({ port: 70000 }) }],
    ['port fractional', { credentials: details({ port: 3306.5 }) }],
    ['host empty', { credentials: details({ host: '' }) }],
    ['host with a space', { credentials: details({ host: 'db lan' }) }],
    ['host with a scheme', { credentials: details({ host: 'mysql://db' }) }],
    ['empty password', { credentials: details({ password: '' }) }],
    ['password too long', { credentials: details({ password: 'p'.repeat(256) }) }],
    ['empty username', { credentials: details({ username: '' }) }],
    ['unknown credentials type', { credentials: { type: 'file', path: '/x' } }],
    ['connection string not a URL', { credentials: { type: 'connection_string', connection_string: 'not a url' } }],
    ['connection string without password', { credentials: { type: 'connection_string', connection_string: 'mysql://panel@db.lan' } }],
    ['connection string without username', { credentials: { type: 'connection_string', connection_string: 'mysql://:pw@db.lan' } }],
    ['connection string of another scheme', { credentials: { type: 'connection_string', connection_string: 'redis://u:p@db.lan' } }],
    ['connection string of another type', { credentials: { type: 'connection_string', connection_string: 'postgres://u:p@db.lan' } }],
    ['missing deployment_enabled', { deployment_enabled: undefined }],
  ])('400: %s', async (_, o) => {
    const res = await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: hostBody(o) })
    expect(res.status).toBe(400)
    expect(res.body.errors.length).toBeGreaterThan(0)
  })

  test('400: a port of 1e999 (JSON infinity)', async () => {
    const raw = JSON.stringify(hostBody({ public_port: 1234 })).replace('"public_port":1234', '"public_port":1e999')
    const res = await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: raw })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['public_port: number out of range'])
    const port = JSON.stringify(hostBody({ credentials: details({ port: 1 }) })).replace('"port":1,', '"port":1e999,')
    expect((await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: port })).status).toBe(400)
  })

  test('mariadb:// URLs are accepted for mysql hosts, IPv6 hosts too', async () => {
    await makeHost({ credentials: { type: 'connection_string', connection_string: 'mariadb://u:p@[::1]:3307/x' } })
    await makeHost({ credentials: details({ host: '2001:db8::1' }) })
  })

  test('401, 403 for a role and a narrowed key without the permission', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/database-hosts', body: hostBody() },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.create',
    )
  })
})

describe('GET /api/admin/database-hosts', () => {
  test('pages and searches by name, oldest first; no secret in any encoding', async () => {
    const tag = uniq('search')
    const a = await makeHost({ name: `${tag}_a` })
    const b = await makeHost({
      name: `${tag}_b`,
      credentials: { type: 'connection_string', connection_string: `mysql://u:${PASSWORD}@db.lan` },
    })
    for (const as of ['json', 'msgpack', 'xml'] as const) {
      const res = await t.request('GET', `/api/admin/database-hosts?search=${tag}&per_page=1&page=2`, { cookie: admin.cookie, as })
      expect(res.status).toBe(200)
      expect(res.text).not.toContain(PASSWORD)
      if (as === 'msgpack') expect(JSON.stringify(res.body)).not.toContain(PASSWORD)
    }
    const res = await t.request('GET', `/api/admin/database-hosts?search=${tag}`, { cookie: admin.cookie })
    expect(res.body.database_hosts.total).toBe(2)
    expect(res.body.database_hosts.data.map((h: any) => h.uuid)).toEqual([a.uuid, b.uuid])
    for (const h of res.body.database_hosts.data) expectModel(DatabaseHost, h)
    const past = await t.request('GET', `/api/admin/database-hosts?search=${tag}&page=5`, { cookie: admin.cookie })
    expect(past.body.database_hosts).toMatchObject({ total: 2, data: [] })
  })

  test('400 on a bad page, 401/403', async () => {
    expect((await t.request('GET', '/api/admin/database-hosts?page=0', { cookie: admin.cookie })).status).toBe(400)
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/database-hosts' },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.read',
    )
  })
})

describe('GET /api/admin/database-hosts/{database_host}', () => {
  test('answers the host; 400 invalid uuid; 404 unknown', async () => {
    const h = await makeHost()
    const res = await t.request('GET', `/api/admin/database-hosts/${h.uuid}`, { cookie: admin.cookie, as: 'xml' })
    expect(res.status).toBe(200)
    expect(res.text).not.toContain(PASSWORD)
    const json = await t.request('GET', `/api/admin/database-hosts/${h.uuid}`, { cookie: admin.cookie })
    expectModel(DatabaseHost, json.body.database_host)
    const bad = await t.request('GET', '/api/admin/database-hosts/nope', { cookie: admin.cookie })
    expect(bad).toMatchObject({ status: 400, body: { errors: ['invalid database host uuid'] } })
    const missing = await t.request('GET', `/api/admin/database-hosts/${MISSING}`, { cookie: admin.cookie })
    expect(missing).toMatchObject({ status: 404, body: { errors: ['database host not found'] } })
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/database-hosts/${h.uuid}` },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.read',
    )
  })
})

describe('PATCH /api/admin/database-hosts/{database_host}', () => {
  test('changes fields; null clears public_host/port; the event has no type and no secret', async () => {
    const h = await makeHost()
    const res = await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { name: `${h.name}_x`, maintenance_enabled: true, public_host: null, public_port: null },
    })
    expect(res).toMatchObject({ status: 200, body: {} })
    const row = await stored(h.uuid)
    expect(row).toMatchObject({ name: `${h.name}_x`, maintenance_enabled: true, public_host: null, public_port: null })
    expect(await secretOf(h.uuid)).toBe(PASSWORD)
    const [event] = await adminEvents(t, admin, 'database-host:update')
    expect(event.data.uuid).toBe(h.uuid)
    expect(event.data.type).toBeUndefined()
    expect(event.data.credentials.password).toBe('')
    expect(JSON.stringify(event)).not.toContain(PASSWORD)
  })

  test('credentials sent back as read ("" secret) keep the stored secret; a new one replaces it', async () => {
    const h = await makeHost()
    const read = (await t.request('GET', `/api/admin/database-hosts/${h.uuid}`, { cookie: admin.cookie })).body.database_host
    const keep = await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: { ...read.credentials, host: 'db2.lan' } },
    })
    expect(keep.status).toBe(200)
    expect((await stored(h.uuid)).credentials).toMatchObject({ host: 'db2.lan' })
    expect(await secretOf(h.uuid)).toBe(PASSWORD)
    const url = `mysql://root:${PASSWORD}@db3.lan`
    await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: { type: 'connection_string', connection_string: url } },
    })
    expect(await secretOf(h.uuid)).toBe(url)
    const again = await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: { type: 'connection_string', connection_string: '' } },
    })
    expect(again.status).toBe(200)
    expect(await secretOf(h.uuid)).toBe(url)
    const back = await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: details({ password: '' }) },
    })
    expect(back.status).toBe(200)
    expect(await secretOf(h.uuid)).toBe(PASSWORD)
    await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: details({ password: 'new-secret' }) },
    })
    expect(await secretOf(h.uuid)).toBe('new-secret')
  })

  test('the read-back round trip keeps the secret in MessagePack and XML too', async () => {
    for (const as of ['msgpack', 'xml'] as const) {
      const h = await makeHost()
      const body = {
        name: `${h.name}_${as}`,
        credentials: { type: 'details', host: 'db.lan', port: 3306, username: 'panel', password: '' },
      }
      const res = await t.request('PATCH', `/api/admin/database-hosts/${h.uuid}`, { cookie: admin.cookie, body, as })
      expect([as, res.status]).toEqual([as, 200])
      expect(await secretOf(h.uuid)).toBe(PASSWORD)
      expect((await stored(h.uuid)).name).toBe(`${h.name}_${as}`)
    }
  })

  test('400s, 404, 409', async () => {
    const h = await makeHost()
    const other = await makeHost()
    const path = `/api/admin/database-hosts/${h.uuid}`
    for (const body of [
      { public_port: 0 },
      { public_port: 65536 },
      { public_host: 'x y z' },
      { name: '' },
      { credentials: details({ port: 99999 }) },
      { credentials: { type: 'connection_string', connection_string: 'postgres://u:p@db' } },
    ]) {
      const res = await t.request('PATCH', path, { cookie: admin.cookie, body })
      expect([body, res.status]).toEqual([body, 400])
    }
    expect((await t.request('PATCH', path, { cookie: admin.cookie, body: { type: 'postgres' } })).status).toBe(200)
    expect((await stored(h.uuid)).type).toBe('mysql')
    const dup = await t.request('PATCH', path, { cookie: admin.cookie, body: { name: other.name } })
    expect(dup).toMatchObject({ status: 409, body: { errors: ['database host with name already exists'] } })
    expect((await t.request('PATCH', '/api/admin/database-hosts/zzz', { cookie: admin.cookie, body: {} })).status).toBe(400)
    expect((await t.request('PATCH', `/api/admin/database-hosts/${MISSING}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'PATCH', path, body: {} },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.update',
    )
  })
})

describe('DELETE /api/admin/database-hosts/{database_host}', () => {
  test('deletes with or without a body; event {uuid, name}; 404 afterwards', async () => {
    const a = await makeHost()
    const b = await makeHost()
    expect((await t.request('DELETE', `/api/admin/database-hosts/${a.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await t.request('DELETE', `/api/admin/database-hosts/${b.uuid}`, { cookie: admin.cookie, body: { force: true } })).status).toBe(
      200,
    )
    expect(await stored(a.uuid)).toBeUndefined()
    const events = await adminEvents(t, admin, 'database-host:delete')
    expect(events.find((e) => e.data.uuid === a.uuid)?.data).toEqual({ uuid: a.uuid, name: a.name })
    expect((await t.request('DELETE', `/api/admin/database-hosts/${a.uuid}`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('DELETE', '/api/admin/database-hosts/1', { cookie: admin.cookie })).status).toBe(400)
    expect(
      (await t.request('DELETE', `/api/admin/database-hosts/${b.uuid}`, { cookie: admin.cookie, body: { force: 'yes' } })).status,
    ).toBe(400)
    const c = await makeHost()
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/database-hosts/${c.uuid}` },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.delete',
    )
  })
})

describe('POST /api/admin/database-hosts/{database_host}/test', () => {
  test('mongodb hosts: 417 mongodb hosts are not supported', async () => {
    const h = await makeHost({ type: 'mongodb', credentials: { type: 'connection_string', connection_string: 'mongodb://u:p@db.lan' } })
    const res = await t.request('POST', `/api/admin/database-hosts/${h.uuid}/test`, { cookie: admin.cookie })
    expect(res).toMatchObject({ status: 417, body: { errors: ['mongodb hosts are not supported'] } })
  })

  test('400, 404, 401, 403', async () => {
    expect((await t.request('POST', '/api/admin/database-hosts/x/test', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('POST', `/api/admin/database-hosts/${MISSING}/test`, { cookie: admin.cookie })).status).toBe(404)
    const h = await makeHost()
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/database-hosts/${h.uuid}/test` },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'database-hosts.test',
    )
  })
})

describe('GET /api/admin/stats/general', () => {
  test('counts database hosts', async () => {
    const before = (await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })).body.stats.database_hosts
    expect((await t.request('POST', '/api/admin/database-hosts', { cookie: admin.cookie, body: hostBody({ name: uniq() }) })).status).toBe(
      200,
    )
    const after = await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })
    expect(after.status).toBe(200)
    expect(after.body.stats.database_hosts).toBe(before + 1)
    expect(after.body.stats.database_hosts).toBe(await t.kernel.database.db.$count(databaseHosts))
  })
})

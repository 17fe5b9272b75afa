import { beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
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
import { Empty } from 'hatchery'
import { LocationDatabaseHost } from './model'
import { locationDatabaseHosts } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  // locations.read alone: the implicit read of `{location}` passes, the link permission does not
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['locations.read', 'database-hosts.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'l') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const PASSWORD = 'pw-never-answered-9q'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const path = (l: string, rest = '') => `/api/admin/locations/${l}/database-hosts${rest}`

async function makeLocation() {
  const res = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq('loc') } })
  expect(res.status).toBe(200)
  return res.body.location as { uuid: string; name: string }
}
async function makeHost(name = uniq('dbh')) {
  const res = await t.request('POST', '/api/admin/database-hosts', {
    cookie: admin.cookie,
    body: {
      name,
      type: 'mysql',
      deployment_enabled: true,
      maintenance_enabled: false,
      public_host: null,
      public_port: null,
      credentials: { type: 'details', host: 'db.lan', port: 3306, username: 'panel', password: PASSWORD },
    },
  })
  expect(res.status).toBe(200)
  return res.body.database_host as { uuid: string; name: string }
}
async function link(location: string, host: string) {
  const res = await t.request('POST', path(location), { cookie: admin.cookie, body: { database_host_uuid: host } })
  expect(res.status).toBe(200)
}
const links = async (location: string) =>
  (await t.kernel.database.db.select().from(locationDatabaseHosts).where(eq(locationDatabaseHosts.location_uuid, location))).map(
    (l) => l.database_host_uuid,
  )

test('every location route is guarded, the link routes by locations.database-hosts', async () => {
  const l = await makeLocation()
  const h = await makeHost()
  const routes = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'locations',
    admin,
    params: { location: l.uuid, database_host: h.uuid },
    bodies: { 'POST /api/admin/locations/:location/database-hosts': { database_host_uuid: h.uuid } },
  })
  const linkRoutes = routes.filter((r) => r.path.includes('/database-hosts'))
  expect(linkRoutes.map((r) => r.method).sort()).toEqual(['DELETE', 'GET', 'POST'])
  for (const r of linkRoutes) expect(r.permissions).toEqual(['admin:locations.read', 'admin:locations.database-hosts'])
})

describe('POST /api/admin/locations/{location}/database-hosts', () => {
  test('links a host and logs location:database-host.create', async () => {
    const l = await makeLocation()
    const h = await makeHost()
    const res = await t.request('POST', path(l.uuid), { cookie: admin.cookie, body: { database_host_uuid: h.uuid.toUpperCase() } })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await links(l.uuid)).toEqual([h.uuid])
    const [event] = await adminEvents(t, admin, 'location:database-host.create')
    expect(event.data).toEqual({ location_uuid: l.uuid, database_host_uuid: h.uuid })
  })

  test('an unknown host is the relation error; a linked one 409; bad input 400; unknown location 404', async () => {
    const l = await makeLocation()
    const h = await makeHost()
    const rel = await t.request('POST', path(l.uuid), { cookie: admin.cookie, body: { database_host_uuid: NO_SUCH } })
    expect([rel.status, rel.body.errors]).toEqual([400, ['invalid relation `database_host` provided']])
    await link(l.uuid, h.uuid)
    const again = await t.request('POST', path(l.uuid), { cookie: admin.cookie, body: { database_host_uuid: h.uuid } })
    expect([again.status, again.body.errors]).toEqual([409, ['database host already exists in this location']])
    expect(await links(l.uuid)).toEqual([h.uuid])
    for (const body of [{}, { database_host_uuid: 'nope' }, { database_host_uuid: 5 }]) {
      const res = await t.request('POST', path(l.uuid), { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
      expect(res.body.errors.join()).toContain('database_host_uuid')
    }
    const none = await t.request('POST', path(NO_SUCH), { cookie: admin.cookie, body: { database_host_uuid: h.uuid } })
    expect([none.status, none.body.errors]).toEqual([404, ['location not found']])
    const bad = await t.request('POST', path('nope'), { cookie: admin.cookie, body: { database_host_uuid: h.uuid } })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid location uuid']])
  })

  test('refuses without locations.database-hosts (session and narrowed key)', async () => {
    const l = await makeLocation()
    const h = await makeHost()
    await expectGuarded(
      t,
      { method: 'POST', path: path(l.uuid), body: { database_host_uuid: h.uuid } },
      plain,
      denied(),
      'locations.database-hosts',
    )
    expect(await links(l.uuid)).toEqual([])
  })
})

describe('GET /api/admin/locations/{location}/database-hosts', () => {
  test('lists the linked hosts with censored credentials, by link creation, searchable by host name', async () => {
    const l = await makeLocation()
    const tag = uniq('srch')
    const a = await makeHost(`${tag}-a`)
    const b = await makeHost(uniq('other'))
    const c = await makeHost(`${tag.toUpperCase()}-c`)
    await makeHost(`${tag}-unlinked`)
    for (const h of [c, a, b]) await link(l.uuid, h.uuid)
    const res = await t.request('GET', path(l.uuid), { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.database_hosts).toMatchObject({ total: 3, page: 1 })
    expect(res.body.database_hosts.data.map((x: any) => x.database_host.uuid)).toEqual([c.uuid, a.uuid, b.uuid])
    for (const item of res.body.database_hosts.data) expectModel(LocationDatabaseHost, item)
    expect(res.body.database_hosts.data[0].database_host.credentials).toEqual({
      type: 'details',
      host: 'db.lan',
      port: 3306,
      username: 'panel',
      password: '',
    })
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD)
    const found = await t.request('GET', path(l.uuid, `?search=${tag}&per_page=1&page=2`), { cookie: admin.cookie })
    expect(found.body.database_hosts).toMatchObject({ total: 2, per_page: 1, page: 2 })
    expect(found.body.database_hosts.data.map((x: any) => x.database_host.uuid)).toEqual([a.uuid])
  })

  test('an empty page for a location without hosts; 404, 400, 403', async () => {
    const l = await makeLocation()
    const res = await t.request('GET', path(l.uuid, '?per_page=5'), { cookie: admin.cookie })
    expect(res.body).toEqual({ database_hosts: { total: 0, per_page: 5, page: 1, data: [] } })
    expect((await t.request('GET', path(NO_SUCH), { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', path('nope'), { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', path(l.uuid, '?page=0'), { cookie: admin.cookie })).status).toBe(400)
    await expectGuarded(t, { method: 'GET', path: path(l.uuid) }, plain, denied(), 'locations.database-hosts')
  })

  test('the implicit locations.read: holding only locations.database-hosts is not enough', async () => {
    const l = await makeLocation()
    const { limited, limitedKey } = await adminCallers(t, ['locations.database-hosts'])
    await expectGuarded(
      t,
      { method: 'GET', path: path(l.uuid) },
      plain,
      [{ cookie: limited.cookie }, { token: limitedKey }],
      'locations.read',
    )
    const { limited: both } = await adminCallers(t, ['locations.database-hosts', 'locations.read'])
    expect((await t.request('GET', path(l.uuid), { cookie: both.cookie })).status).toBe(200)
  })
})

describe('DELETE /api/admin/locations/{location}/database-hosts/{database_host}', () => {
  test('unlinks and logs location:database-host.delete; the host itself stays', async () => {
    const l = await makeLocation()
    const [a, b] = [await makeHost(), await makeHost()]
    await link(l.uuid, a.uuid)
    await link(l.uuid, b.uuid)
    await expectGuarded(t, { method: 'DELETE', path: path(l.uuid, `/${a.uuid}`) }, plain, denied(), 'locations.database-hosts')
    const res = await t.request('DELETE', path(l.uuid, `/${a.uuid}`), { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await links(l.uuid)).toEqual([b.uuid])
    expect((await t.request('GET', `/api/admin/database-hosts/${a.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    const [event] = await adminEvents(t, admin, 'location:database-host.delete')
    expect(event.data).toEqual({ location_uuid: l.uuid, database_host_uuid: a.uuid })
  })

  test('a host not linked here is 404; malformed 400; unknown location 404', async () => {
    const [l, other] = [await makeLocation(), await makeLocation()]
    const h = await makeHost()
    await link(other.uuid, h.uuid)
    const notHere = await t.request('DELETE', path(l.uuid, `/${h.uuid}`), { cookie: admin.cookie })
    expect([notHere.status, notHere.body.errors]).toEqual([404, ['database host not found']])
    expect(await links(other.uuid)).toEqual([h.uuid])
    const bad = await t.request('DELETE', path(l.uuid, '/nope'), { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid database host uuid']])
    const none = await t.request('DELETE', path(NO_SUCH, `/${h.uuid}`), { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['location not found']])
  })
})

describe('links follow their ends', () => {
  test('duplicating a location copies its hosts', async () => {
    const l = await makeLocation()
    const [a, b] = [await makeHost(), await makeHost()]
    await link(l.uuid, a.uuid)
    await link(l.uuid, b.uuid)
    const res = await t.request('POST', `/api/admin/locations/${l.uuid}/duplicate`, { cookie: admin.cookie, body: { name: uniq('copy') } })
    expect(res.status).toBe(200)
    expect((await links(res.body.location.uuid)).sort()).toEqual([a.uuid, b.uuid].sort())
    expect((await links(l.uuid)).sort()).toEqual([a.uuid, b.uuid].sort())
  })

  test('deleting a host or a location removes its links', async () => {
    const [l, m] = [await makeLocation(), await makeLocation()]
    const [a, b] = [await makeHost(), await makeHost()]
    await link(l.uuid, a.uuid)
    await link(l.uuid, b.uuid)
    await link(m.uuid, a.uuid)
    expect((await t.request('DELETE', `/api/admin/database-hosts/${b.uuid}`, { cookie: admin.cookie, body: {} })).status).toBe(200)
    expect(await links(l.uuid)).toEqual([a.uuid])
    expect((await t.request('DELETE', `/api/admin/locations/${l.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    const left = await t.kernel.database.db
      .select()
      .from(locationDatabaseHosts)
      .where(and(eq(locationDatabaseHosts.database_host_uuid, a.uuid)))
    expect(left.map((x) => x.location_uuid)).toEqual([m.uuid])
  })
})

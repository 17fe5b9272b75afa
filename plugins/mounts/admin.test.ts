import { beforeAll, describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
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
import { Empty } from 'hatchery'
import { Mount } from './model'
import { mounts } from './tables'
import { mountPathProblem } from './service'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['mounts.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'mnt') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const body = (over: Record<string, unknown> = {}) => {
  const n = uniq()
  return { name: n, source: `/srv/mounts/${n}`, target: `/mnt/${n}`, read_only: false, user_mountable: false, ...over }
}

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/mounts', { cookie: admin.cookie, body: body(over) })
  expect(res.status).toBe(200)
  return res.body.mount as { uuid: string; name: string; source: string; target: string; description: string | null }
}
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(mounts).where(eq(mounts.uuid, uuid)))[0]
const dataDir = () => resolve(t.kernel.contexts.get('mounts')!.dataDir)

const BAD_PATHS: [string, string][] = [
  ['relative/path', 'must be an absolute path'],
  ['/', 'may not be `/`'],
  ['//', 'may not be `/`'],
  ['/srv/../etc', 'may not contain `.` or `..` segments'],
  ['/srv/./x', 'may not contain `.` or `..` segments'],
  ['/srv/a\u0000b', 'may not contain control characters'],
  ['/srv/a\nb', 'may not contain control characters'],
]

test('every route is guarded', async () => {
  await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'mounts', admin })
})

describe('mount paths', () => {
  test('refuses relative, root, dot segments, control characters and the data folder (inside or above)', () => {
    for (const [p, why] of BAD_PATHS) expect(mountPathProblem(p)).toBe(why)
    expect(mountPathProblem('/data/minecraft')).toBeNull()
    expect(mountPathProblem('/var/lib/panel/data', '/var/lib/panel/data')).toContain('data folder')
    expect(mountPathProblem('/var/lib/panel/data/', '/var/lib/panel/data')).toContain('data folder')
    expect(mountPathProblem('/var/lib/panel/data/db', '/var/lib/panel/data')).toContain('data folder')
    expect(mountPathProblem('/var/lib', '/var/lib/panel/data')).toContain('data folder')
    expect(mountPathProblem('/var/lib/panel/database', '/var/lib/panel/data')).toBeNull()
  })
})

describe('POST /api/admin/mounts', () => {
  test('creates and logs mount:create', async () => {
    const res = await t.request('POST', '/api/admin/mounts', {
      cookie: admin.cookie,
      body: { name: 'Maps', description: 'shared maps', source: '/srv/maps', target: '/maps', read_only: true, user_mountable: true },
    })
    expect(res.status).toBe(200)
    const m = res.body.mount
    expectModel(Mount, m)
    expect(m).toMatchObject({
      name: 'Maps',
      description: 'shared maps',
      source: '/srv/maps',
      target: '/maps',
      read_only: true,
      user_mountable: true,
    })
    const [event] = await adminEvents(t, admin, 'mount:create')
    expect(event.data).toEqual({
      uuid: m.uuid,
      name: 'Maps',
      description: 'shared maps',
      source: '/srv/maps',
      target: '/maps',
      read_only: true,
      user_mountable: true,
    })
    expect((await make()).description).toBeNull()
  })

  test('a taken name or source/target pair is 409', async () => {
    const a = await make()
    for (const over of [{ name: a.name }, { source: a.source, target: a.target }]) {
      const res = await t.request('POST', '/api/admin/mounts', { cookie: admin.cookie, body: body(over) })
      expect([res.status, res.body.errors]).toEqual([409, ['mount with name/source/target already exists']])
    }
    expect((await make({ source: a.source })).source).toBe(a.source)
  })

  test('bad input is 400; bad paths name the field', async () => {
    for (const over of [
      { name: '' },
      { name: 'x'.repeat(256) },
      { description: '' },
      { description: 'x'.repeat(1025) },
      { source: '' },
      { target: `/${'x'.repeat(255)}` },
      { read_only: 'yes' },
      { user_mountable: 1 },
      { read_only: undefined },
      { source: undefined },
    ]) {
      const res = await t.request('POST', '/api/admin/mounts', { cookie: admin.cookie, body: body(over) })
      expect(res.status).toBe(400)
    }
    for (const field of ['source', 'target']) {
      for (const [path, why] of BAD_PATHS) {
        const res = await t.request('POST', '/api/admin/mounts', { cookie: admin.cookie, body: body({ [field]: path }) })
        // The kernel refuses a NUL byte in any string before the handler (still naming the field).
        if (path.includes('\u0000')) expect([res.status, res.body.errors[0].startsWith(`${field}: `)]).toEqual([400, true])
        else expect([res.status, res.body.errors]).toEqual([400, [`${field}: ${why}`]])
      }
    }
    for (const source of [dataDir(), `${dataDir()}/avatars`, resolve(dataDir(), '..')]) {
      const res = await t.request('POST', '/api/admin/mounts', { cookie: admin.cookie, body: body({ source }) })
      expect([res.status, res.body.errors]).toEqual([400, ["source: may not be the panel's data folder, inside it or above it"]])
    }
    // The target lives in the container: the panel's folder name there is harmless.
    expect((await make({ target: dataDir() })).target).toBe(dataDir())
  })

  test('refuses a reader', async () => {
    await expectGuarded(t, { method: 'POST', path: '/api/admin/mounts', body: body() }, plain, denied(), 'mounts.create')
  })
})

describe('GET /api/admin/mounts', () => {
  test('lists by creation, searchable by name', async () => {
    const a = await make({ name: uniq('findme') })
    const b = await make({ name: uniq('FINDME') })
    const res = await t.request('GET', '/api/admin/mounts?search=findme', { token: readerKey })
    expect(res.status).toBe(200)
    expect(res.body.mounts).toMatchObject({ total: 2, page: 1 })
    expect(res.body.mounts.data.map((m: any) => m.uuid)).toEqual([a.uuid, b.uuid])
    for (const m of res.body.mounts.data) expectModel(Mount, m)
    expect((await t.request('GET', '/api/admin/mounts?page=0', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', '/api/admin/mounts?per_page=abc', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', '/api/admin/mounts')).status).toBe(401)
  })
})

describe('GET /api/admin/mounts/{mount}', () => {
  test('reads one; malformed 400, unknown 404', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/mounts/${a.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(Mount, res.body.mount)
    expect(res.body.mount).toEqual(a)
    const bad = await t.request('GET', '/api/admin/mounts/nope', { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid mount uuid']])
    const none = await t.request('GET', `/api/admin/mounts/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['mount not found']])
    expect((await t.request('GET', `/api/admin/mounts/${a.uuid}`)).status).toBe(401)
  })
})

describe('PATCH /api/admin/mounts/{mount}', () => {
  test('updates, null clears the description, logs mount:update', async () => {
    const a = await make({ description: 'old' })
    const res = await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, {
      cookie: admin.cookie,
      body: { name: `${a.name}-x`, source: '/srv/other', read_only: true },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toMatchObject({
      name: `${a.name}-x`,
      source: '/srv/other',
      target: a.target,
      read_only: true,
      description: 'old',
    })
    const [event] = await adminEvents(t, admin, 'mount:update')
    expect(event.data).toEqual({
      uuid: a.uuid,
      name: `${a.name}-x`,
      description: 'old',
      source: '/srv/other',
      target: a.target,
      read_only: true,
      user_mountable: false,
    })
    expect((await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie, body: { description: null } })).status).toBe(
      200,
    )
    expect((await stored(a.uuid)).description).toBeNull()
  })

  test('409, bad input 400 naming the field, 404, 401, 403', async () => {
    const a = await make()
    const b = await make()
    for (const over of [{ name: b.name }, { source: b.source, target: b.target }]) {
      const res = await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie, body: over })
      expect([res.status, res.body.errors]).toEqual([409, ['mount with name/source/target already exists']])
    }
    const bad = await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie, body: { target: '/x/../..' } })
    expect([bad.status, bad.body.errors]).toEqual([400, ['target: may not contain `.` or `..` segments']])
    const data = await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie, body: { source: dataDir() } })
    expect(data.status).toBe(400)
    expect((await stored(a.uuid)).source).toBe(a.source)
    for (const over of [{ name: '' }, { read_only: 'no' }, { description: '' }, { source: 'x'.repeat(256) }]) {
      expect((await t.request('PATCH', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie, body: over })).status).toBe(400)
    }
    expect((await t.request('PATCH', `/api/admin/mounts/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    expect((await t.request('PATCH', '/api/admin/mounts/nope', { cookie: admin.cookie, body: {} })).status).toBe(400)
    await expectGuarded(t, { method: 'PATCH', path: `/api/admin/mounts/${a.uuid}`, body: {} }, plain, denied(), 'mounts.update')
  })
})

describe('DELETE /api/admin/mounts/{mount}', () => {
  test('deletes and logs mount:delete; then 404', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'DELETE', path: `/api/admin/mounts/${a.uuid}` }, plain, denied(), 'mounts.delete')
    const res = await t.request('DELETE', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'mount:delete')
    expect(event.data).toEqual({ uuid: a.uuid, name: a.name })
    const again = await t.request('DELETE', `/api/admin/mounts/${a.uuid}`, { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['mount not found']])
  })
})

describe('POST /api/admin/mounts/{mount}/duplicate', () => {
  test('copies description and flags under a new name, source and target; logs mount:duplicate', async () => {
    const a = await make({ description: 'd', read_only: true, user_mountable: true })
    const copyBody = { name: `${a.name}-copy`, source: `${a.source}-copy`, target: `${a.target}-copy` }
    const res = await t.request('POST', `/api/admin/mounts/${a.uuid}/duplicate`, { cookie: admin.cookie, body: copyBody })
    expect(res.status).toBe(200)
    expectModel(Mount, res.body.mount)
    expect(res.body.mount).toMatchObject({ ...copyBody, description: 'd', read_only: true, user_mountable: true })
    expect(res.body.mount.uuid).not.toBe(a.uuid)
    const [event] = await adminEvents(t, admin, 'mount:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, source_name: a.name, uuid: res.body.mount.uuid, name: copyBody.name })
  })

  test('409 in its own words, 400, 404, 403', async () => {
    const a = await make()
    for (const over of [{ name: a.name }, { source: a.source, target: a.target }]) {
      const res = await t.request('POST', `/api/admin/mounts/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { ...body(), ...over } })
      expect([res.status, res.body.errors]).toEqual([409, ['mount with name, source or target already exists']])
    }
    for (const over of [{ name: '' }, { source: '/' }, { target: 'rel' }, { source: dataDir() }, { name: undefined }]) {
      const { read_only: _r, user_mountable: _u, ...rest } = body()
      const res = await t.request('POST', `/api/admin/mounts/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { ...rest, ...over } })
      expect(res.status).toBe(400)
    }
    const { read_only: _r, user_mountable: _u, ...fresh } = body()
    expect((await t.request('POST', `/api/admin/mounts/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: fresh })).status).toBe(404)
    await expectGuarded(t, { method: 'POST', path: `/api/admin/mounts/${a.uuid}/duplicate`, body: fresh }, plain, denied(), 'mounts.create')
  })
})

describe('link lists', () => {
  for (const [path, key, perm] of [
    ['nodes', 'node_mounts', 'nodes.read'],
    ['nest-eggs', 'nest_egg_mounts', 'eggs.read'],
    ['servers', 'server_mounts', 'servers.read'],
  ] as const) {
    test(`GET /api/admin/mounts/{mount}/${path}: a true empty page until those exist; needs ${perm}`, async () => {
      const a = await make()
      const res = await t.request('GET', `/api/admin/mounts/${a.uuid}/${path}?per_page=3&page=2`, { cookie: admin.cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ [key]: { total: 0, per_page: 3, page: 2, data: [] } })
      expect((await t.request('GET', `/api/admin/mounts/${NO_SUCH}/${path}`, { cookie: admin.cookie })).status).toBe(404)
      expect((await t.request('GET', `/api/admin/mounts/nope/${path}`, { cookie: admin.cookie })).status).toBe(400)
      expect((await t.request('GET', `/api/admin/mounts/${a.uuid}/${path}?per_page=0`, { cookie: admin.cookie })).status).toBe(400)
      await expectGuarded(t, { method: 'GET', path: `/api/admin/mounts/${a.uuid}/${path}` }, plain, denied(), perm)
    })
  }
})

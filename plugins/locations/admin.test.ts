import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  runCli,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Conflict, Empty } from 'hatchery'
import { Location } from './model'
import { locations } from './tables'
import locationsPlugin from '.'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['locations.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'loc') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]

async function makeBackupConfiguration() {
  const res = await t.request('POST', '/api/admin/backup-configurations', {
    cookie: admin.cookie,
    body: {
      name: uniq('bc'),
      maintenance_enabled: false,
      shared: false,
      backup_disk: 's3',
      backup_configs: {
        s3: {
          access_key: 'a',
          secret_key: 'hidden',
          bucket: 'b',
          region: 'r',
          endpoint: 'https://s3.example.com',
          path_style: false,
          part_size: 0,
        },
      },
    },
  })
  expect(res.status).toBe(200)
  return res.body.backup_configuration as { uuid: string; name: string }
}

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq(), ...over } })
  expect(res.status).toBe(200)
  return res.body.location as { uuid: string; name: string; flag: string | null; backup_configuration: any }
}
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(locations).where(eq(locations.uuid, uuid)))[0]
const hooks = () => t.kernel.contexts.get('locations')!.api(locationsPlugin)

test('every route is guarded', async () => {
  await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'locations',
    admin,
    bodies: { 'POST /api/admin/locations/:location/database-hosts': { database_host_uuid: NO_SUCH } },
  })
})

describe('POST /api/admin/locations', () => {
  test('creates with its backup configuration (secrets masked) and logs location:create', async () => {
    const bc = await makeBackupConfiguration()
    const res = await t.request('POST', '/api/admin/locations', {
      cookie: admin.cookie,
      body: { name: 'Frankfurt', description: 'DE-1', flag: 'de', backup_configuration_uuid: bc.uuid },
    })
    expect(res.status).toBe(200)
    const l = res.body.location
    expectModel(Location, l)
    expect(l).toMatchObject({ name: 'Frankfurt', description: 'DE-1', flag: 'de', backup_configuration: { uuid: bc.uuid, name: bc.name } })
    expect(l.backup_configuration.backup_configs.s3.secret_key).toBe('********')
    const [event] = await adminEvents(t, admin, 'location:create')
    expect(event.data).toEqual({ uuid: l.uuid, name: 'Frankfurt', description: 'DE-1' })
  })

  test('without a backup configuration it is null', async () => {
    const l = await make()
    expect(l.backup_configuration).toBeNull()
  })

  test('the flag is stored lowercase (the official frontend reads only lowercase flags)', async () => {
    expect((await make({ flag: 'DE' })).flag).toBe('de')
  })

  test('an unknown backup configuration is the relation error', async () => {
    const res = await t.request('POST', '/api/admin/locations', {
      cookie: admin.cookie,
      body: { name: uniq(), backup_configuration_uuid: NO_SUCH },
    })
    expect([res.status, res.body.errors]).toEqual([400, ['invalid relation `backup_configuration` provided']])
  })

  test('a taken name is 409; bad input 400', async () => {
    const a = await make()
    const taken = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: a.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['location with name already exists']])
    for (const body of [
      { name: '' },
      { name: 'x'.repeat(256) },
      { name: uniq(), flag: 'deu' },
      { name: uniq(), description: '' },
      { name: uniq(), backup_configuration_uuid: 'nope' },
      {},
    ]) {
      const res = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
    }
  })

  test('refuses a reader', async () => {
    await expectGuarded(t, { method: 'POST', path: '/api/admin/locations', body: { name: uniq() } }, plain, denied(), 'locations.create')
  })
})

describe('GET /api/admin/locations', () => {
  test('lists with backup configurations, searchable by name', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ name: uniq('where'), backup_configuration_uuid: bc.uuid })
    const b = await make({ name: uniq('WHERE') })
    const res = await t.request('GET', '/api/admin/locations?search=where', { token: readerKey })
    expect(res.status).toBe(200)
    expect(res.body.locations).toMatchObject({ total: 2, page: 1 })
    expect(res.body.locations.data.map((l: any) => l.uuid)).toEqual([a.uuid, b.uuid])
    for (const l of res.body.locations.data) expectModel(Location, l)
    expect(res.body.locations.data[0].backup_configuration.uuid).toBe(bc.uuid)
    expect(res.body.locations.data[1].backup_configuration).toBeNull()
    expect((await t.request('GET', '/api/admin/locations?page=0', { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('GET /api/admin/locations/{location}', () => {
  test('reads one; malformed 400, unknown 404', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/locations/${a.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(Location, res.body.location)
    const bad = await t.request('GET', '/api/admin/locations/nope', { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid location uuid']])
    const none = await t.request('GET', `/api/admin/locations/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['location not found']])
  })
})

describe('PATCH /api/admin/locations/{location}', () => {
  test('updates, null clears, logs location:update', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ description: 'old', flag: 'fr' })
    expect((await t.request('PATCH', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie, body: { flag: 'NL' } })).status).toBe(200)
    expect((await stored(a.uuid)).flag).toBe('nl')
    const res = await t.request('PATCH', `/api/admin/locations/${a.uuid}`, {
      cookie: admin.cookie,
      body: { name: `${a.name}-x`, flag: null, backup_configuration_uuid: bc.uuid },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toMatchObject({ name: `${a.name}-x`, flag: null, description: 'old', backup_configuration_uuid: bc.uuid })
    const [event] = await adminEvents(t, admin, 'location:update')
    expect(event.data).toEqual({ uuid: a.uuid, name: `${a.name}-x`, description: 'old' })
    expect(
      (await t.request('PATCH', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie, body: { backup_configuration_uuid: null } }))
        .status,
    ).toBe(200)
    expect((await stored(a.uuid)).backup_configuration_uuid).toBeNull()
  })

  test('409, relation 400, bad input 400, 404, 403', async () => {
    const a = await make()
    const b = await make()
    const taken = await t.request('PATCH', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie, body: { name: b.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['location with name already exists']])
    const rel = await t.request('PATCH', `/api/admin/locations/${a.uuid}`, {
      cookie: admin.cookie,
      body: { backup_configuration_uuid: NO_SUCH },
    })
    expect([rel.status, rel.body.errors]).toEqual([400, ['invalid relation `backup_configuration` provided']])
    expect((await t.request('PATCH', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie, body: { flag: 'x' } })).status).toBe(400)
    expect((await t.request('PATCH', `/api/admin/locations/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    await expectGuarded(t, { method: 'PATCH', path: `/api/admin/locations/${a.uuid}`, body: {} }, plain, denied(), 'locations.update')
  })
})

describe('DELETE /api/admin/locations/{location}', () => {
  test('deletes and logs location:delete; a deletion guard refuses with its 409', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'DELETE', path: `/api/admin/locations/${a.uuid}` }, plain, denied(), 'locations.delete')
    const res = await t.request('DELETE', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'location:delete')
    expect(event.data).toEqual({ uuid: a.uuid, name: a.name })
    expect((await t.request('DELETE', `/api/admin/locations/${a.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('a deletion guard refuses with its 409 and nothing is deleted', async () => {
    const api = hooks()
    const b = await make()
    const guard = async () => {
      throw new Conflict('location has nodes, cannot delete')
    }
    api.deletionGuards.add(guard)
    try {
      const res = await t.request('DELETE', `/api/admin/locations/${b.uuid}`, { cookie: admin.cookie })
      expect([res.status, res.body.errors]).toEqual([409, ['location has nodes, cannot delete']])
      expect(await stored(b.uuid)).toBeDefined()
    } finally {
      api.deletionGuards.delete(guard)
    }
  })
})

describe('POST /api/admin/locations/{location}/duplicate', () => {
  test('copies backup configuration, description and flag; logs location:duplicate', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ description: 'd', flag: 'nl', backup_configuration_uuid: bc.uuid })
    const res = await t.request('POST', `/api/admin/locations/${a.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: `${a.name}-copy` },
    })
    expect(res.status).toBe(200)
    expectModel(Location, res.body.location)
    expect(res.body.location).toMatchObject({
      name: `${a.name}-copy`,
      description: 'd',
      flag: 'nl',
      backup_configuration: { uuid: bc.uuid },
    })
    const [event] = await adminEvents(t, admin, 'location:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, source_name: a.name, uuid: res.body.location.uuid, name: `${a.name}-copy` })
    expect(
      (await t.request('POST', `/api/admin/locations/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: a.name } })).status,
    ).toBe(409)
    expect((await t.request('POST', `/api/admin/locations/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } })).status).toBe(
      400,
    )
    expect(
      (await t.request('POST', `/api/admin/locations/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: { name: uniq() } })).status,
    ).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/locations/${a.uuid}/duplicate`, body: { name: uniq() } },
      plain,
      denied(),
      'locations.create',
    )
  })
})

describe('GET /api/admin/locations/{location}/nodes', () => {
  test('a true empty page until nodes exist; needs nodes.read', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/locations/${a.uuid}/nodes?per_page=3`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ nodes: { total: 0, per_page: 3, page: 1, data: [] } })
    expect((await t.request('GET', `/api/admin/locations/${NO_SUCH}/nodes`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', `/api/admin/locations/${a.uuid}/nodes?per_page=0`, { cookie: admin.cookie })).status).toBe(400)
    await expectGuarded(t, { method: 'GET', path: `/api/admin/locations/${a.uuid}/nodes` }, plain, denied(), 'nodes.read')
  })
})

describe('backup configurations and locations', () => {
  test('GET /api/admin/backup-configurations/{bc}/locations lists the locations using it', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ backup_configuration_uuid: bc.uuid })
    await make()
    const res = await t.request('GET', `/api/admin/backup-configurations/${bc.uuid}/locations`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.locations).toMatchObject({ total: 1, page: 1 })
    expect(res.body.locations.data[0].uuid).toBe(a.uuid)
    expectModel(Location, res.body.locations.data[0])
  })

  test('deleting a backup configuration leaves its locations without one (the reference: SET NULL)', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ backup_configuration_uuid: bc.uuid })
    expect((await t.request('DELETE', `/api/admin/backup-configurations/${bc.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await stored(a.uuid)).backup_configuration_uuid).toBeNull()
  })
})

describe('panel locations create', () => {
  test('creates a location and logs it', async () => {
    const bc = await makeBackupConfiguration()
    const res = await runCli(t, ['locations', 'create', '--name', 'CLI Town', '--flag', 'us', '--backup-configuration', bc.uuid, '--json'])
    expect(res.code).toBe(0)
    const l = JSON.parse(res.stdout)
    expect(l).toMatchObject({ name: 'CLI Town', flag: 'us', description: null, backup_configuration: { uuid: bc.uuid } })
    const [event] = await adminEvents(t, admin, 'location:create')
    expect(event.data).toMatchObject({ uuid: l.uuid, name: 'CLI Town', source: 'cli' })
  })

  test('a taken name, a bad flag and a missing --name fail', async () => {
    await make({ name: 'CLI Taken' })
    const taken = await runCli(t, ['locations', 'create', '--name', 'CLI Taken'])
    expect(taken.code).toBe(1)
    expect(taken.stderr).toContain('location with name already exists')
    expect((await runCli(t, ['locations', 'create', '--name', 'X', '--flag', 'abc'])).code).toBe(1)
    expect((await runCli(t, ['locations', 'create'])).code).toBe(2)
  })
})

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
import { Empty } from 'hatchery'
import { tables as nestTables } from '../nests'
import { EggConfiguration } from './model'
import { eggConfigurations } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['egg-configurations.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'ec') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const BASE = '/api/admin/egg-configurations'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const db = () => t.kernel.database.db

/** An egg, straight into the nests plugin's table (its routes are another plugin's business). */
async function makeEgg(): Promise<string> {
  const [nest] = await db()
    .insert(nestTables.nests)
    .values({ author: 'a@b.c', name: uniq('nest') })
    .returning()
  const [egg] = await db()
    .insert(nestTables.nestEggs)
    .values({
      nest_uuid: nest.uuid,
      author: 'a@b.c',
      name: uniq('egg'),
      config_startup: { done: ['ready'], strip_ansi: false },
      config_stop: { type: 'command', value: 'stop' },
      config_script: { container: 'alpine', entrypoint: 'ash', content: '' },
      startup_commands: [['Default', './run']],
      docker_images: [['Java', 'ghcr.io/java']],
    })
    .returning()
  return egg.uuid
}

const allocationsIn = {
  user_self_assign: { enabled: true, require_primary_allocation: false, start_port: 30000, end_port: 30100 },
  deployment: {
    dedicated: true,
    primary: { start_port: 25565, end_port: 25600, assign_to_variable: 'SERVER_PORT' },
    additional: [
      { mode: { type: 'random' } },
      { mode: { type: 'range', start_port: 27000, end_port: 27010 }, assign_to_variable: 'QUERY_PORT' },
      { mode: { type: 'add_primary', value: 1 }, assign_to_variable: null },
      { mode: { type: 'subtract_primary', value: 2 } },
      { mode: { type: 'multiply_primary', value: 1.5 } },
      { mode: { type: 'divide_primary', value: 2 } },
    ],
  },
}
const routesIn = {
  order: [
    { type: 'route', path: '/console' },
    { type: 'divider', name: null, name_translations: { de: 'Dateien' } },
    { type: 'redirect', name: 'Wiki', name_translations: {}, destination: 'https://wiki.example.com' },
  ],
}

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { name: uniq(), order: 0, eggs: [], ...over } })
  expect(res.status).toBe(200)
  return res.body.egg_configuration as { uuid: string; name: string; eggs: string[]; [k: string]: any }
}
const stored = async (uuid: string) => (await db().select().from(eggConfigurations).where(eq(eggConfigurations.uuid, uuid)))[0]
const get = async (uuid: string) => (await t.request('GET', `${BASE}/${uuid}`, { cookie: admin.cookie })).body.egg_configuration

test('every route is guarded', async () => {
  const routes = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'egg-configurations', admin })
  expect(routes.length).toBe(6)
})

describe('POST /api/admin/egg-configurations', () => {
  test('creates with every section, fills the defaults and logs egg-configuration:create', async () => {
    const [e1, e2] = [await makeEgg(), await makeEgg()]
    const res = await t.request('POST', BASE, {
      cookie: admin.cookie,
      body: {
        name: 'Minecraft ports',
        description: 'java',
        order: -3,
        eggs: [e2, e1, e2.toUpperCase()],
        config_allocations: allocationsIn,
        config_startup: { allow_custom_startup_command: true },
        config_routes: routesIn,
      },
    })
    expect(res.status).toBe(200)
    const c = res.body.egg_configuration
    expectModel(EggConfiguration, c)
    expect(c).toMatchObject({ name: 'Minecraft ports', description: 'java', order: -3, eggs: [e2, e1] })
    expect(c.config_allocations.deployment.additional[0]).toEqual({ mode: { type: 'random' }, assign_to_variable: null })
    expect(c.config_allocations.deployment.additional[1].assign_to_variable).toBe('QUERY_PORT')
    expect(c.config_startup).toEqual({ allow_custom_startup_command: true })
    expect(c.config_routes).toEqual(routesIn)
    expect(await get(c.uuid)).toEqual(c)
    const [event] = await adminEvents(t, admin, 'egg-configuration:create')
    expect(event.data).toMatchObject({ uuid: c.uuid, name: 'Minecraft ports', order: -3, eggs: [e2, e1] })
  })

  test('the sections default to null; a missing user_self_assign or deployment takes the default', async () => {
    const a = await make()
    expect(a).toMatchObject({ description: null, eggs: [], config_allocations: null, config_startup: null, config_routes: null })
    const b = await make({ config_allocations: {} })
    expect(b.config_allocations).toEqual({
      user_self_assign: { enabled: false, require_primary_allocation: true, start_port: 49152, end_port: 65535 },
      deployment: { dedicated: false, primary: null, additional: [] },
    })
  })

  test('an unknown egg is the relation error and nothing is created', async () => {
    const name = uniq()
    const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { name, order: 0, eggs: [await makeEgg(), NO_SUCH] } })
    expect([res.status, res.body.errors]).toEqual([400, ['invalid relation `egg` provided']])
    expect(await db().$count(eggConfigurations, eq(eggConfigurations.name, name))).toBe(0)
  })

  test("a taken name is 409 with the reference's create wording", async () => {
    const a = await make()
    const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { name: a.name, order: 1, eggs: [] } })
    expect([res.status, res.body.errors]).toEqual([409, ['egg configuration with name/source/location already exists']])
  })

  test('bad input is a 400 naming the field', async () => {
    const post = (body: unknown) => t.request('POST', BASE, { cookie: admin.cookie, body })
    const ok = { name: uniq(), order: 0, eggs: [] }
    const dep = (d: Record<string, unknown>) => ({ ...ok, config_allocations: { deployment: { dedicated: false, additional: [], ...d } } })
    const cases: [unknown, string][] = [
      [{ ...ok, name: '' }, 'name'],
      [{ ...ok, name: 'x'.repeat(256) }, 'name'],
      [{ ...ok, description: '' }, 'description'],
      [{ ...ok, order: 32768 }, 'order'],
      [{ ...ok, order: 1.5 }, 'order'],
      [{ ...ok, eggs: ['nope'] }, 'eggs'],
      [{ ...ok, eggs: Array.from({ length: 101 }, () => NO_SUCH) }, 'eggs'],
      [{ name: uniq(), eggs: [] }, 'order'],
      [{ ...ok, config_startup: {} }, 'config_startup'],
      [{ ...ok, config_routes: { order: [{ type: 'page', path: '/x' }] } }, 'config_routes'],
      [{ ...ok, config_routes: { order: Array.from({ length: 101 }, () => ({ type: 'route', path: '/x' })) } }, 'config_routes'],
      [dep({ primary: { start_port: 0, end_port: 10 } }), 'config_allocations'],
      [dep({ primary: { start_port: 10, end_port: 65536 } }), 'config_allocations'],
      [dep({ additional: [{ mode: { type: 'teleport' } }] }), 'config_allocations'],
      [dep({ additional: [{ mode: { type: 'range', start_port: 1, end_port: 70000 } }] }), 'config_allocations'],
      [dep({ additional: [{ mode: { type: 'add_primary', value: -1 } }] }), 'config_allocations'],
      [dep({ additional: [{ mode: { type: 'divide_primary', value: 0 } }] }), 'config_allocations'],
      [dep({ additional: [{ mode: { type: 'random' }, assign_to_variable: '' }] }), 'config_allocations'],
      [
        {
          ...ok,
          config_allocations: { user_self_assign: { enabled: true, require_primary_allocation: true, start_port: 2, end_port: 2 } },
        },
        'config_allocations.user_self_assign',
      ],
      [dep({ primary: { start_port: 30, end_port: 20 } }), 'config_allocations.deployment.primary'],
      [
        dep({ additional: [{ mode: { type: 'random' } }, { mode: { type: 'range', start_port: 9, end_port: 8 } }] }),
        'config_allocations.deployment.additional[1].mode',
      ],
    ]
    const mode = await post(dep({ additional: [{ mode: { type: 'teleport' } }] }))
    expect(mode.body.errors).toEqual([
      'config_allocations.deployment.additional[0].mode.type: must be one of: random, range, add_primary, subtract_primary, multiply_primary, divide_primary',
    ])
    for (const [body, field] of cases) {
      const res = await post(body)
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400])
      expect(res.body.errors.join('\n')).toContain(field)
    }
  })

  test('1e999 (JSON infinity) is a 400, never stored', async () => {
    const body = JSON.stringify({
      name: uniq(),
      order: 0,
      eggs: [],
      config_allocations: { deployment: { dedicated: false, additional: [{ mode: { type: 'multiply_primary', value: 7 } }] } },
    })
    const value = await t.request('POST', BASE, { cookie: admin.cookie, body: body.replace('"value":7', '"value":1e999') })
    expect([value.status, value.body.errors]).toEqual([
      400,
      ['config_allocations.deployment.additional[0].mode.value: number out of range'],
    ])
    const order = await t.request('POST', BASE, { cookie: admin.cookie, body: body.replace('"order":0', '"order":1e999') })
    expect([order.status, order.body.errors]).toEqual([400, ['order: number out of range']])
    expect((await t.request('POST', BASE, { cookie: admin.cookie, body })).status).toBe(200)
  })

  test('refuses a reader (session and narrowed key)', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: BASE, body: { name: uniq(), order: 0, eggs: [] } },
      plain,
      denied(),
      'egg-configurations.create',
    )
  })
})

describe('GET /api/admin/egg-configurations', () => {
  test('lists by (order, created), searchable by name', async () => {
    const tag = uniq('find')
    const late = await make({ name: `${tag}-b`, order: 5 })
    const early = await make({ name: `${tag}-a`, order: -5, eggs: [await makeEgg()] })
    const same = await make({ name: `${tag.toUpperCase()}-c`, order: 5 })
    const res = await t.request('GET', `${BASE}?search=${tag}`, { token: readerKey })
    expect(res.status).toBe(200)
    expect(res.body.egg_configurations).toMatchObject({ total: 3, page: 1 })
    expect(res.body.egg_configurations.data.map((c: any) => c.uuid)).toEqual([early.uuid, late.uuid, same.uuid])
    for (const c of res.body.egg_configurations.data) expectModel(EggConfiguration, c)
    expect(res.body.egg_configurations.data[0].eggs).toEqual(early.eggs)
    expect((await t.request('GET', `${BASE}?per_page=101`, { cookie: admin.cookie })).status).toBe(400)
  })

  test('refuses without egg-configurations.read', async () => {
    const { limited, limitedKey } = await adminCallers(t, ['nests.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: BASE },
      plain,
      [{ cookie: limited.cookie }, { token: limitedKey }],
      'egg-configurations.read',
    )
  })
})

describe('GET /api/admin/egg-configurations/{egg_configuration}', () => {
  test('reads one; malformed 400, unknown 404', async () => {
    const a = await make({ config_startup: { allow_custom_startup_command: false } })
    const res = await t.request('GET', `${BASE}/${a.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(EggConfiguration, res.body.egg_configuration)
    expect(res.body.egg_configuration).toEqual(a)
    const bad = await t.request('GET', `${BASE}/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid egg configuration uuid']])
    const none = await t.request('GET', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['egg configuration not found']])
    const { limited, limitedKey } = await adminCallers(t, ['nests.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: `${BASE}/${a.uuid}` },
      plain,
      [{ cookie: limited.cookie }, { token: limitedKey }],
      'egg-configurations.read',
    )
  })
})

describe('PATCH /api/admin/egg-configurations/{egg_configuration}', () => {
  test('updates, replaces eggs, null clears, logs egg-configuration:update', async () => {
    const [e1, e2] = [await makeEgg(), await makeEgg()]
    const a = await make({ description: 'd', eggs: [e1], config_allocations: allocationsIn, config_routes: routesIn })
    const res = await t.request('PATCH', `${BASE}/${a.uuid}`, {
      cookie: admin.cookie,
      body: {
        name: `${a.name}-x`,
        order: 7,
        eggs: [e2, e1, e2],
        config_startup: { allow_custom_startup_command: true },
        config_routes: null,
      },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const now = await get(a.uuid)
    expect(now).toMatchObject({
      name: `${a.name}-x`,
      description: 'd',
      order: 7,
      eggs: [e2, e1],
      config_allocations: a.config_allocations,
      config_startup: { allow_custom_startup_command: true },
      config_routes: null,
    })
    const [event] = await adminEvents(t, admin, 'egg-configuration:update')
    expect(event.data).toMatchObject({ uuid: a.uuid, name: `${a.name}-x`, order: 7, eggs: [e2, e1] })
    expect((await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: { description: null, eggs: [] } })).status).toBe(
      200,
    )
    expect(await get(a.uuid)).toMatchObject({ description: null, eggs: [], order: 7 })
    expect((await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: {} })).status).toBe(200)
  })

  test('409, relation 400, bad input 400, 404, 403', async () => {
    const a = await make()
    const b = await make()
    const taken = await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: { name: b.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['egg configuration with name already exists']])
    const rel = await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: { eggs: [NO_SUCH] } })
    expect([rel.status, rel.body.errors]).toEqual([400, ['invalid relation `egg` provided']])
    const ports = await t.request('PATCH', `${BASE}/${a.uuid}`, {
      cookie: admin.cookie,
      body: { config_allocations: { deployment: { dedicated: false, primary: { start_port: 1, end_port: 99999 }, additional: [] } } },
    })
    expect(ports.status).toBe(400)
    expect(ports.body.errors.join()).toContain('config_allocations')
    expect((await stored(a.uuid)).config_allocations).toBeNull()
    const raw = await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: '{"order":1e999}' })
    expect(raw.status).toBe(400)
    const none = await t.request('PATCH', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie, body: {} })
    expect([none.status, none.body.errors]).toEqual([404, ['egg configuration not found']])
    expect((await t.request('PATCH', `${BASE}/nope`, { cookie: admin.cookie, body: {} })).status).toBe(400)
    await expectGuarded(t, { method: 'PATCH', path: `${BASE}/${a.uuid}`, body: {} }, plain, denied(), 'egg-configurations.update')
  })
})

describe('DELETE /api/admin/egg-configurations/{egg_configuration}', () => {
  test('deletes and logs egg-configuration:delete; its egg links go with it', async () => {
    const egg = await makeEgg()
    const a = await make({ eggs: [egg] })
    await expectGuarded(t, { method: 'DELETE', path: `${BASE}/${a.uuid}` }, plain, denied(), 'egg-configurations.delete')
    const res = await t.request('DELETE', `${BASE}/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'egg-configuration:delete')
    expect(event.data).toEqual({ uuid: a.uuid, name: a.name })
    expect((await t.request('DELETE', `${BASE}/${a.uuid}`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('DELETE', `${BASE}/nope`, { cookie: admin.cookie })).status).toBe(400)
  })

  test('deleting an egg removes it from the configurations listing it', async () => {
    const [keep, gone] = [await makeEgg(), await makeEgg()]
    const a = await make({ eggs: [gone, keep] })
    await db().delete(nestTables.nestEggs).where(eq(nestTables.nestEggs.uuid, gone))
    expect((await get(a.uuid)).eggs).toEqual([keep])
  })
})

describe('POST /api/admin/egg-configurations/{egg_configuration}/duplicate', () => {
  test('copies everything but the name; logs egg-configuration:duplicate', async () => {
    const eggs = [await makeEgg(), await makeEgg()]
    const a = await make({
      description: 'd',
      order: 3,
      eggs,
      config_allocations: allocationsIn,
      config_startup: { allow_custom_startup_command: true },
      config_routes: routesIn,
    })
    const res = await t.request('POST', `${BASE}/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: `${a.name}-copy` } })
    expect(res.status).toBe(200)
    const copy = res.body.egg_configuration
    expectModel(EggConfiguration, copy)
    const { uuid: _, created: __, name: ___, ...rest } = a
    expect(copy).toMatchObject({ ...rest, name: `${a.name}-copy` })
    expect(copy.uuid).not.toBe(a.uuid)
    expect(await get(copy.uuid)).toEqual(copy)
    const [event] = await adminEvents(t, admin, 'egg-configuration:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, source_name: a.name, uuid: copy.uuid, name: `${a.name}-copy` })
  })

  test('409, 400, 404, 403', async () => {
    const a = await make()
    const taken = await t.request('POST', `${BASE}/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: a.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['egg configuration with name already exists']])
    expect((await t.request('POST', `${BASE}/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } })).status).toBe(400)
    expect((await t.request('POST', `${BASE}/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: { name: uniq() } })).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `${BASE}/${a.uuid}/duplicate`, body: { name: uniq() } },
      plain,
      denied(),
      'egg-configurations.create',
    )
  })
})

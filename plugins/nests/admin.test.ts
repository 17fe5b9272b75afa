import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Conflict, Empty } from 'hatchery'
import { toXml } from '../../src/kernel/wire'
import nestsPlugin from '.'
import { AdminNestEgg, EggMount, MountNestEgg, Nest } from './model'
import { nestEggMounts, nestEggs, nestEggVariables, nests } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nests.read', 'eggs.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'n') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const hooks = () => t.kernel.contexts.get('nests')!.api(nestsPlugin)
const db = () => t.kernel.database.db
const storedEgg = async (uuid: string) => (await db().select().from(nestEggs).where(eq(nestEggs.uuid, uuid)))[0]
const storedNest = async (uuid: string) => (await db().select().from(nests).where(eq(nests.uuid, uuid)))[0]

async function makeNest(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/nests', {
    cookie: admin.cookie,
    body: { author: 'me@example.com', name: uniq(), ...over },
  })
  expect(res.status).toBe(200)
  return res.body.nest as { uuid: string; name: string; author: string; description: string | null }
}

/** Docker image and startup keys whose alphabetical order differs from the order given. */
const IMAGES = { 'Zulu 21': 'ghcr.io/z:21', 'Alpha 8': 'ghcr.io/a:8', middle: 'ghcr.io/m:1' }
const STARTUP = { zz: 'java -jar server.jar', aa: 'java -Xmx1G -jar server.jar' }

const eggBody = (over: Record<string, unknown> = {}) => ({
  author: 'author@example.com',
  name: uniq('egg'),
  description: 'An egg',
  config_files: [
    { file: 'server.properties', parser: 'properties', replace: [{ match: 'server-port', replace_with: '{{server.build.default.port}}' }] },
  ],
  config_startup: { done: ')! For help', strip_ansi: true },
  config_stop: { type: 'command', value: 'stop' },
  config_script: { container: 'alpine', entrypoint: 'ash', script: 'echo hi' },
  startup_commands: STARTUP,
  force_outgoing_ip: false,
  separate_port: false,
  features: ['eula'],
  docker_images: IMAGES,
  file_denylist: ['*.jar'],
  ...over,
})

async function makeEgg(nest: string, over: Record<string, unknown> = {}) {
  const res = await t.request('POST', `/api/admin/nests/${nest}/eggs`, { cookie: admin.cookie, body: eggBody(over) })
  expect(res.status).toBe(200)
  return res.body.egg as { uuid: string; name: string; docker_images: Record<string, string> }
}

async function makeMount() {
  const n = uniq('m')
  const res = await t.request('POST', '/api/admin/mounts', {
    cookie: admin.cookie,
    body: { name: n, source: `/srv/${n}`, target: `/mnt/${n}`, read_only: false, user_mountable: false },
  })
  expect(res.status).toBe(200)
  return res.body.mount as { uuid: string; name: string }
}

test('every route is guarded', async () => {
  const swept = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'nests',
    admin,
    bodies: {
      'POST /api/admin/nests/:nest/eggs': eggBody(),
      'POST /api/admin/nests/:nest/eggs/move': { egg_uuids: [], destination_nest_uuid: NO_SUCH },
      'POST /api/admin/nests/:nest/eggs/delete': { egg_uuids: [] },
      'POST /api/admin/nests/:nest/eggs/:egg/duplicate': { name: 'x', nest_uuid: NO_SUCH },
      'POST /api/admin/nests/:nest/eggs/:egg/move': { destination_nest_uuid: NO_SUCH },
      'POST /api/admin/nests/:nest/eggs/:egg/mounts': { mount_uuid: NO_SUCH },
      'PUT /api/admin/nests/:nest/eggs/:egg/variables/order': { variable_order: [] },
      'DELETE /api/admin/nests/:nest': {},
      'POST /api/admin/nests/:nest/eggs/import/url': { urls: ['https://example.com/egg.json'] },
      'POST /api/admin/nests/:nest/eggs/:egg/update/import/url': { url: 'https://example.com/egg.json' },
    },
  })
  expect(swept.length).toBeGreaterThanOrEqual(23)
})

describe('POST /api/admin/nests', () => {
  test('creates and logs nest:create; 409 on a taken name', async () => {
    const res = await t.request('POST', '/api/admin/nests', {
      cookie: admin.cookie,
      body: { author: 'me@example.com', name: 'Minecraft', description: 'Blocks' },
    })
    expect(res.status).toBe(200)
    expectModel(Nest, res.body.nest)
    expect(res.body.nest).toMatchObject({ name: 'Minecraft', author: 'me@example.com', description: 'Blocks' })
    const [event] = await adminEvents(t, admin, 'nest:create')
    expect(event.data).toEqual({ uuid: res.body.nest.uuid, author: 'me@example.com', name: 'Minecraft', description: 'Blocks' })
    const again = await t.request('POST', '/api/admin/nests', {
      cookie: admin.cookie,
      body: { author: 'me@example.com', name: 'Minecraft' },
    })
    expect([again.status, again.body.errors]).toEqual([409, ['nest with name already exists']])
  })

  test('bad input is 400; refuses a reader', async () => {
    for (const body of [
      { author: 'x', name: 'ok' },
      { author: 'me', name: '' },
      { author: 'me', name: 'x'.repeat(256) },
      { author: 'me', name: 'ok', description: '' },
      { author: 'me', name: 'ok', description: 'x'.repeat(1025) },
      { name: 'ok' },
    ]) {
      expect((await t.request('POST', '/api/admin/nests', { cookie: admin.cookie, body })).status).toBe(400)
    }
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/nests', body: { author: 'me', name: uniq() } },
      plain,
      denied(),
      'nests.create',
    )
  })
})

describe('GET /api/admin/nests, /{nest}', () => {
  test('lists (searchable) and reads one; 400, 404, 401', async () => {
    const a = await makeNest({ name: uniq('findme') })
    const b = await makeNest({ name: uniq('FINDME') })
    const res = await t.request('GET', '/api/admin/nests?search=findme', { token: readerKey })
    expect(res.status).toBe(200)
    expect(res.body.nests.data.map((n: any) => n.uuid)).toEqual([a.uuid, b.uuid])
    for (const n of res.body.nests.data) expectModel(Nest, n)
    const one = await t.request('GET', `/api/admin/nests/${a.uuid}`, { cookie: reader.cookie })
    expect([one.status, one.body.nest]).toEqual([200, a])
    const bad = await t.request('GET', '/api/admin/nests/nope', { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid nest uuid']])
    const none = await t.request('GET', `/api/admin/nests/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['nest not found']])
    expect((await t.request('GET', '/api/admin/nests')).status).toBe(401)
    expect((await t.request('GET', '/api/admin/nests?per_page=1e999', { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('PATCH /api/admin/nests/{nest}', () => {
  test('updates, null clears the description, logs nest:update; 409, 400, 404, 403', async () => {
    const a = await makeNest({ description: 'old' })
    const b = await makeNest()
    const res = await t.request('PATCH', `/api/admin/nests/${a.uuid}`, {
      cookie: admin.cookie,
      body: { name: `${a.name}-x`, description: null },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await storedNest(a.uuid)).toMatchObject({ name: `${a.name}-x`, description: null, author: a.author })
    const [event] = await adminEvents(t, admin, 'nest:update')
    expect(event.data).toEqual({ uuid: a.uuid, author: a.author, name: `${a.name}-x`, description: null })
    const taken = await t.request('PATCH', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: { name: b.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['nest with name already exists']])
    expect((await t.request('PATCH', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: { author: 'x' } })).status).toBe(400)
    expect((await t.request('PATCH', `/api/admin/nests/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    await expectGuarded(t, { method: 'PATCH', path: `/api/admin/nests/${a.uuid}`, body: {} }, plain, denied(), 'nests.update')
  })
})

describe('DELETE /api/admin/nests/{nest}', () => {
  test('an empty nest goes; logs nest:delete', async () => {
    const a = await makeNest()
    await expectGuarded(t, { method: 'DELETE', path: `/api/admin/nests/${a.uuid}`, body: {} }, plain, denied(), 'nests.delete')
    const res = await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: {} })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await storedNest(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'nest:delete')
    expect(event.data).toEqual({ uuid: a.uuid, author: a.author, name: a.name })
    expect((await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    // The body may be left out.
    const b = await makeNest()
    expect((await t.request('DELETE', `/api/admin/nests/${b.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect(await storedNest(b.uuid)).toBeUndefined()
  })

  test('with eggs: 409 without delete_eggs; with it the eggs go too, each logged', async () => {
    const a = await makeNest()
    const e1 = await makeEgg(a.uuid)
    const e2 = await makeEgg(a.uuid)
    for (const body of [{}, { delete_eggs: false }]) {
      const res = await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body })
      expect([res.status, res.body.errors]).toEqual([409, ['nest has eggs, cannot delete']])
    }
    expect((await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: { delete_eggs: 'yes' } })).status).toBe(
      400,
    )
    const res = await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: { delete_eggs: true } })
    expect(res.status).toBe(200)
    expect(await storedNest(a.uuid)).toBeUndefined()
    expect(await storedEgg(e1.uuid)).toBeUndefined()
    expect(await storedEgg(e2.uuid)).toBeUndefined()
    const events = (await adminEvents(t, admin, 'nest:egg.delete')).filter((e) => e.data.nest_uuid === a.uuid)
    expect(events.map((e) => e.data.uuid).sort()).toEqual([e1.uuid, e2.uuid].sort())
    expect(events[0].data).toEqual({ uuid: events[0].data.uuid, nest_uuid: a.uuid, author: 'author@example.com', name: expect.any(String) })
  })

  test('all or nothing: a guard refusing the 2nd egg leaves every egg and the nest in place', async () => {
    const a = await makeNest()
    const e1 = await makeEgg(a.uuid)
    const e2 = await makeEgg(a.uuid)
    let seen = 0
    const guard = async () => {
      if (++seen === 2) throw new Conflict('egg has servers, cannot delete')
    }
    hooks().eggDeletionGuards.add(guard)
    try {
      const res = await t.request('DELETE', `/api/admin/nests/${a.uuid}`, { cookie: admin.cookie, body: { delete_eggs: true } })
      expect([res.status, res.body.errors]).toEqual([409, ['nest has eggs that are still in use, cannot delete']])
    } finally {
      hooks().eggDeletionGuards.delete(guard)
    }
    expect(seen).toBe(2)
    expect(await storedNest(a.uuid)).toBeDefined()
    expect(await storedEgg(e1.uuid)).toBeDefined()
    expect(await storedEgg(e2.uuid)).toBeDefined()
    expect((await adminEvents(t, admin, 'nest:egg.delete')).filter((e) => e.data.nest_uuid === a.uuid)).toEqual([])
  })
})

describe('POST /api/admin/nests/{nest}/eggs', () => {
  test('creates with defaults filled, logs nest:egg.create', async () => {
    const nest = await makeNest()
    const res = await t.request('POST', `/api/admin/nests/${nest.uuid}/eggs`, { cookie: admin.cookie, body: eggBody({ name: 'Paper' }) })
    expect(res.status).toBe(200)
    const egg = res.body.egg
    expectModel(AdminNestEgg, egg)
    expect(egg).toMatchObject({
      egg_repository_egg: null,
      name: 'Paper',
      config_files: [
        {
          file: 'server.properties',
          create_new: true,
          parser: 'properties',
          replace: [
            {
              match: 'server-port',
              insert_new: false,
              update_existing: true,
              if_value: null,
              replace_with: '{{server.build.default.port}}',
            },
          ],
        },
      ],
      config_startup: { done: [')! For help'], strip_ansi: true },
      config_stop: { type: 'command', value: 'stop' },
      config_script: { container: 'alpine', entrypoint: 'ash', content: 'echo hi' },
      startup_commands: STARTUP,
      docker_images: IMAGES,
    })
    const [event] = await adminEvents(t, admin, 'nest:egg.create')
    // Activity data is stored as jsonb, which keeps no key order: compare the key sets.
    expect(Object.keys(event.data).sort()).toEqual(
      [
        'uuid',
        'nest_uuid',
        'egg_repository_egg_uuid',
        'author',
        'name',
        'description',
        'config_files',
        'config_startup',
        'config_stop',
        'config_script',
        'startup_commands',
        'force_outgoing_ip',
        'separate_port',
        'features',
        'docker_images',
        'file_denylist',
      ].sort(),
    )
    expect(event.data).toMatchObject({ uuid: egg.uuid, nest_uuid: nest.uuid, name: 'Paper', docker_images: IMAGES })
    const taken = await t.request('POST', `/api/admin/nests/${nest.uuid}/eggs`, { cookie: admin.cookie, body: eggBody({ name: 'Paper' }) })
    expect([taken.status, taken.body.errors]).toEqual([409, ['egg with name already exists']])
    // Names are unique per nest only.
    expect((await makeEgg((await makeNest()).uuid, { name: 'Paper' })).name).toBe('Paper')
  })

  for (const as of ['json', 'msgpack', 'xml'] as const) {
    test(`docker_images and startup_commands keep their order through create → get (${as})`, async () => {
      const nest = await makeNest()
      // The kit's XML encoder writes keys as element names; `Zulu 21` needs the kernel's `<entry key="…">`.
      const body = as === 'xml' ? toXml(eggBody()) : eggBody()
      const created = await t.request('POST', `/api/admin/nests/${nest.uuid}/eggs`, { cookie: admin.cookie, body, as })
      expect(created.status).toBe(200)
      const res = await t.request(
        'GET',
        `/api/admin/nests/${nest.uuid}/eggs/${(await db().select().from(nestEggs).where(eq(nestEggs.nest_uuid, nest.uuid)))[0].uuid}`,
        {
          cookie: admin.cookie,
          as,
        },
      )
      expect(res.status).toBe(200)
      if (as === 'xml') {
        const at = (s: string) => res.text.indexOf(s)
        expect(at('ghcr.io/z:21')).toBeLessThan(at('ghcr.io/a:8'))
        expect(at('ghcr.io/a:8')).toBeLessThan(at('ghcr.io/m:1'))
        expect(at('<zz>')).toBeLessThan(at('<aa>'))
        expect(at('<zz>')).toBeGreaterThan(0)
      } else {
        for (const body of [created.body.egg, res.body.egg]) {
          expect(Object.entries(body.docker_images)).toEqual(Object.entries(IMAGES))
          expect(Object.entries(body.startup_commands)).toEqual(Object.entries(STARTUP))
        }
      }
    })
  }

  test('the model rules: startup commands, unique values, done string, script alias, relations', async () => {
    const nest = await makeNest()
    const cases: [Record<string, unknown>, string[]][] = [
      [{ startup_commands: {} }, ['startup_commands: at least one startup command is required']],
      [{ startup_commands: { a: 'run', b: 'run' } }, ['startup_commands: duplicate startup command: run']],
      [{ docker_images: { a: 'img:1', b: 'img:1' } }, ['docker_images: duplicate docker image: img:1']],
      [{ config_script: { container: 'alpine', entrypoint: 'ash' } }, ['config_script: missing field `content`']],
      [{ egg_repository_egg_uuid: NO_SUCH }, ['invalid relation `egg_repository_egg` provided']],
    ]
    for (const [over, errors] of cases) {
      const res = await t.request('POST', `/api/admin/nests/${nest.uuid}/eggs`, { cookie: admin.cookie, body: eggBody(over) })
      expect([res.status, res.body.errors]).toEqual([400, errors])
    }
    const ok = await makeEgg(nest.uuid, {
      docker_images: {},
      egg_repository_egg_uuid: null,
      config_startup: {},
      config_stop: { type: 'signal' },
      config_script: { container: 'a', entrypoint: 'b', content: null },
    })
    expect(ok).toMatchObject({
      docker_images: {},
      config_startup: { done: [], strip_ansi: false },
      config_stop: { type: 'signal', value: null },
      config_script: { container: 'a', entrypoint: 'b', content: '' },
    })
    for (const over of [
      { name: 'ab' },
      { name: 'x'.repeat(256) },
      { author: 'a' },
      { description: '' },
      { config_files: [{ file: 'a', parser: 'nope', replace: [] }] },
      { features: 'eula' },
      { force_outgoing_ip: 1e999 },
      { docker_images: { a: 1 } },
      { separate_port: undefined },
      { egg_repository_egg_uuid: 'nope' },
    ]) {
      const res = await t.request('POST', `/api/admin/nests/${nest.uuid}/eggs`, { cookie: admin.cookie, body: eggBody(over) })
      expect(res.status).toBe(400)
    }
    expect((await t.request('POST', `/api/admin/nests/${NO_SUCH}/eggs`, { cookie: admin.cookie, body: eggBody() })).status).toBe(404)
    await expectGuarded(t, { method: 'POST', path: `/api/admin/nests/${nest.uuid}/eggs`, body: eggBody() }, plain, denied(), 'eggs.create')
  })
})

describe('GET /api/admin/nests/{nest}/eggs and /nests/eggs', () => {
  test('a nest’s eggs, searchable; every egg grouped by nest', async () => {
    const a = await makeNest()
    const b = await makeNest()
    await makeNest() // no eggs: not in the groups
    const a1 = await makeEgg(a.uuid, { name: uniq('findme') })
    const a2 = await makeEgg(a.uuid)
    const b1 = await makeEgg(b.uuid)
    const list = await t.request('GET', `/api/admin/nests/${a.uuid}/eggs`, { token: readerKey })
    expect(list.status).toBe(200)
    expect(list.body.eggs.data.map((e: any) => e.uuid)).toEqual([a1.uuid, a2.uuid])
    for (const e of list.body.eggs.data) expectModel(AdminNestEgg, e)
    const found = await t.request('GET', `/api/admin/nests/${a.uuid}/eggs?search=FINDME`, { cookie: admin.cookie })
    expect(found.body.eggs.data.map((e: any) => e.uuid)).toEqual([a1.uuid])
    const grouped = await t.request('GET', '/api/admin/nests/eggs', { cookie: reader.cookie })
    expect(grouped.status).toBe(200)
    const groups = grouped.body.nests as { nest: any; eggs: any[] }[]
    for (const g of groups) {
      expectModel(Nest, g.nest)
      expect(g.eggs.length).toBeGreaterThan(0)
    }
    const mine = groups.filter((g) => [a.uuid, b.uuid].includes(g.nest.uuid))
    expect(mine.map((g) => [g.nest.uuid, g.eggs.map((e) => e.uuid)])).toEqual([
      [a.uuid, [a1.uuid, a2.uuid]],
      [b.uuid, [b1.uuid]],
    ])
    expect((await t.request('GET', `/api/admin/nests/${NO_SUCH}/eggs`, { cookie: admin.cookie })).status).toBe(404)
    const nestsOnly = await roleCaller(t, admin, ['nests.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/nests/eggs' },
      plain,
      [{ cookie: nestsOnly.cookie }, { token: await keyWith(['nests.read']) }],
      'eggs.read',
    )
    // Reading a nest's eggs needs both.
    await expectGuarded(t, { method: 'GET', path: `/api/admin/nests/${a.uuid}/eggs` }, plain, [{ cookie: nestsOnly.cookie }], 'eggs.read')
  })
})

async function keyWith(permissions: string[]) {
  const res = await t.request('POST', '/api/client/account/api-keys', {
    cookie: admin.cookie,
    body: { name: uniq('k'), allowed_ips: [], user_permissions: [], admin_permissions: permissions, server_permissions: [] },
  })
  expect(res.status).toBe(200)
  return res.body.key as string
}

describe('GET/PATCH/DELETE /api/admin/nests/{nest}/eggs/{egg}', () => {
  test('the egg must belong to the nest', async () => {
    const a = await makeNest()
    const b = await makeNest()
    const egg = await makeEgg(a.uuid)
    const ok = await t.request('GET', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}`, { token: readerKey })
    expect(ok.status).toBe(200)
    expectModel(AdminNestEgg, ok.body.egg)
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', {}],
      ['DELETE', undefined],
    ] as const) {
      const other = await t.request(method, `/api/admin/nests/${b.uuid}/eggs/${egg.uuid}`, { cookie: admin.cookie, body })
      expect([other.status, other.body.errors]).toEqual([404, ['egg not found']])
    }
    const bad = await t.request('GET', `/api/admin/nests/${a.uuid}/eggs/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid egg uuid']])
    expect((await t.request('GET', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}`)).status).toBe(401)
  })

  test('PATCH updates only what is given (order kept), logs nest:egg.update; rules, 409, 403', async () => {
    const nest = await makeNest()
    const egg = await makeEgg(nest.uuid)
    const other = await makeEgg(nest.uuid)
    const images = { 'Java 8': 'img:8', 'Java 21': 'img:21', 'A first?': 'img:0' }
    const res = await t.request('PATCH', `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}`, {
      cookie: admin.cookie,
      body: { docker_images: images, description: null, config_startup: { done: ['a', 'b'] } },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const row = await storedEgg(egg.uuid)
    expect(row.docker_images).toEqual(Object.entries(images))
    expect(row).toMatchObject({ description: null, name: egg.name, config_startup: { done: ['a', 'b'], strip_ansi: false } })
    expect(row.startup_commands).toEqual(Object.entries(STARTUP))
    const [event] = await adminEvents(t, admin, 'nest:egg.update')
    expect(event.data).toMatchObject({ uuid: egg.uuid, description: null, docker_images: images })
    const cases: [Record<string, unknown>, number, string[]?][] = [
      [{ name: other.name }, 409, ['egg with name already exists']],
      [{ startup_commands: {} }, 400, ['startup_commands: at least one startup command is required']],
      [{ egg_repository_egg_uuid: NO_SUCH }, 400, ['invalid relation `egg_repository_egg` provided']],
      [{ name: 'ab' }, 400],
    ]
    for (const [body, status, errors] of cases) {
      const r = await t.request('PATCH', `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}`, { cookie: admin.cookie, body })
      expect(r.status).toBe(status)
      if (errors) expect(r.body.errors).toEqual(errors)
    }
    await expectGuarded(
      t,
      { method: 'PATCH', path: `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}`, body: {} },
      plain,
      denied(),
      'eggs.update',
    )
  })

  test('DELETE removes it with its variables; a guard refuses with its 409', async () => {
    const nest = await makeNest()
    const egg = await makeEgg(nest.uuid)
    await expectGuarded(t, { method: 'DELETE', path: `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}` }, plain, denied(), 'eggs.delete')
    const guard = async () => {
      throw new Conflict('egg has servers, cannot delete')
    }
    hooks().eggDeletionGuards.add(guard)
    try {
      const res = await t.request('DELETE', `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}`, { cookie: admin.cookie })
      expect([res.status, res.body.errors]).toEqual([409, ['egg has servers, cannot delete']])
    } finally {
      hooks().eggDeletionGuards.delete(guard)
    }
    expect(await storedEgg(egg.uuid)).toBeDefined()
    const res = await t.request('DELETE', `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await storedEgg(egg.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'nest:egg.delete')
    expect(event.data).toEqual({ uuid: egg.uuid, nest_uuid: nest.uuid, author: 'author@example.com', name: egg.name })
  })
})

describe('POST …/{egg}/duplicate', () => {
  test('copies fields, variables and mount links into the target nest; logs egg:duplicate', async () => {
    const a = await makeNest()
    const b = await makeNest()
    const egg = await makeEgg(a.uuid)
    const v = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/variables`, {
      cookie: admin.cookie,
      body: {
        name: 'Version',
        name_translations: {},
        description_translations: {},
        order: 3,
        env_variable: 'VERSION',
        default_value: 'latest',
        user_viewable: true,
        user_editable: true,
        secret: false,
        rules: ['required', 'string', 'max:20'],
      },
    })
    expect(v.status).toBe(200)
    const mount = await makeMount()
    expect(
      (
        await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/mounts`, {
          cookie: admin.cookie,
          body: { mount_uuid: mount.uuid },
        })
      ).status,
    ).toBe(200)
    const res = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: 'Copy', nest_uuid: b.uuid },
    })
    expect(res.status).toBe(200)
    const copy = res.body.egg
    expectModel(AdminNestEgg, copy)
    expect(copy.uuid).not.toBe(egg.uuid)
    expect({ ...copy, uuid: 0, created: 0 }).toEqual({ ...egg, uuid: 0, created: 0, name: 'Copy' })
    expect((await storedEgg(copy.uuid)).nest_uuid).toBe(b.uuid)
    const vars = await db().select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, copy.uuid))
    expect(vars.map((x) => [x.env_variable, x.order, x.rules])).toEqual([['VERSION', 3, ['required', 'string', 'max:20']]])
    const links = await db().select().from(nestEggMounts).where(eq(nestEggMounts.egg_uuid, copy.uuid))
    expect(links.map((l) => l.mount_uuid)).toEqual([mount.uuid])
    const [event] = await adminEvents(t, admin, 'egg:duplicate')
    expect(event.data).toEqual({
      nest_uuid: a.uuid,
      target_nest_uuid: b.uuid,
      source_uuid: egg.uuid,
      source_name: egg.name,
      uuid: copy.uuid,
      name: 'Copy',
    })
    const taken = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: 'Copy', nest_uuid: b.uuid },
    })
    expect([taken.status, taken.body.errors]).toEqual([409, ['egg with name already exists']])
    const none = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: 'C2', nest_uuid: NO_SUCH },
    })
    expect([none.status, none.body.errors]).toEqual([404, ['target nest not found']])
    for (const body of [
      { name: '', nest_uuid: b.uuid },
      { name: 'x'.repeat(256), nest_uuid: b.uuid },
      { name: 'ok', nest_uuid: 'nope' },
    ]) {
      expect(
        (await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/duplicate`, { cookie: admin.cookie, body })).status,
      ).toBe(400)
    }
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/duplicate`, body: { name: 'C3', nest_uuid: b.uuid } },
      plain,
      denied(),
      'eggs.create',
    )
  })
})

describe('move', () => {
  test('POST …/{egg}/move: moves, logs nest:egg.move; same nest 409, unknown 404, name clash 409', async () => {
    const a = await makeNest()
    const b = await makeNest()
    const egg = await makeEgg(a.uuid)
    const res = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/${egg.uuid}/move`, {
      cookie: admin.cookie,
      body: { destination_nest_uuid: b.uuid },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect((await storedEgg(egg.uuid)).nest_uuid).toBe(b.uuid)
    const [event] = await adminEvents(t, admin, 'nest:egg.move')
    expect(event.data).toEqual({ uuid: egg.uuid, nest_uuid: a.uuid, destination_nest_uuid: b.uuid })
    const same = await t.request('POST', `/api/admin/nests/${b.uuid}/eggs/${egg.uuid}/move`, {
      cookie: admin.cookie,
      body: { destination_nest_uuid: b.uuid },
    })
    expect([same.status, same.body.errors]).toEqual([409, ['cannot move egg to the same nest']])
    const none = await t.request('POST', `/api/admin/nests/${b.uuid}/eggs/${egg.uuid}/move`, {
      cookie: admin.cookie,
      body: { destination_nest_uuid: NO_SUCH },
    })
    expect([none.status, none.body.errors]).toEqual([404, ['destination nest not found']])
    await makeEgg(a.uuid, { name: egg.name })
    const clash = await t.request('POST', `/api/admin/nests/${b.uuid}/eggs/${egg.uuid}/move`, {
      cookie: admin.cookie,
      body: { destination_nest_uuid: a.uuid },
    })
    expect([clash.status, clash.body.errors]).toEqual([409, ['egg with name already exists']])
    expect((await storedEgg(egg.uuid)).nest_uuid).toBe(b.uuid)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${b.uuid}/eggs/${egg.uuid}/move`, body: { destination_nest_uuid: a.uuid } },
      plain,
      denied(),
      'eggs.update',
    )
  })

  test('POST …/eggs/move: moves the listed eggs of the nest; a clash moves nothing', async () => {
    const a = await makeNest()
    const b = await makeNest()
    const c = await makeNest()
    const e1 = await makeEgg(a.uuid)
    const e2 = await makeEgg(a.uuid)
    const elsewhere = await makeEgg(c.uuid)
    const res = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/move`, {
      cookie: admin.cookie,
      body: { egg_uuids: [e1.uuid, elsewhere.uuid, NO_SUCH], destination_nest_uuid: b.uuid },
    })
    expect([res.status, res.body]).toEqual([200, { moved: 1 }])
    expect((await storedEgg(e1.uuid)).nest_uuid).toBe(b.uuid)
    expect((await storedEgg(elsewhere.uuid)).nest_uuid).toBe(c.uuid)
    await makeEgg(b.uuid, { name: e2.name })
    const e3 = await makeEgg(a.uuid)
    const clash = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/move`, {
      cookie: admin.cookie,
      body: { egg_uuids: [e3.uuid, e2.uuid], destination_nest_uuid: b.uuid },
    })
    expect([clash.status, clash.body.errors]).toEqual([409, ['egg with name already exists']])
    expect((await storedEgg(e3.uuid)).nest_uuid).toBe(a.uuid)
    const same = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/move`, {
      cookie: admin.cookie,
      body: { egg_uuids: [e3.uuid], destination_nest_uuid: a.uuid },
    })
    expect(same.status).toBe(409)
    const none = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/move`, {
      cookie: admin.cookie,
      body: { egg_uuids: [e3.uuid], destination_nest_uuid: NO_SUCH },
    })
    expect([none.status, none.body.errors]).toEqual([404, ['destination nest not found']])
    for (const body of [
      { egg_uuids: ['nope'], destination_nest_uuid: b.uuid },
      { egg_uuids: e3.uuid, destination_nest_uuid: b.uuid },
      { egg_uuids: [] },
    ]) {
      expect((await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/move`, { cookie: admin.cookie, body })).status).toBe(400)
    }
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${a.uuid}/eggs/move`, body: { egg_uuids: [], destination_nest_uuid: b.uuid } },
      plain,
      denied(),
      'eggs.update',
    )
  })
})

describe('POST …/eggs/delete', () => {
  test('deletes the listed eggs of the nest, skipping guarded ones and those of other nests', async () => {
    const a = await makeNest()
    const b = await makeNest()
    const e1 = await makeEgg(a.uuid)
    const guarded = await makeEgg(a.uuid)
    const e3 = await makeEgg(a.uuid)
    const elsewhere = await makeEgg(b.uuid)
    const guard = async (_tx: unknown, egg: { uuid: string }) => {
      if (egg.uuid === guarded.uuid) throw new Conflict('egg has servers, cannot delete')
    }
    hooks().eggDeletionGuards.add(guard)
    try {
      const res = await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/delete`, {
        cookie: admin.cookie,
        body: { egg_uuids: [e1.uuid, guarded.uuid, e3.uuid, elsewhere.uuid] },
      })
      expect([res.status, res.body]).toEqual([200, { deleted: 2 }])
    } finally {
      hooks().eggDeletionGuards.delete(guard)
    }
    expect(await storedEgg(e1.uuid)).toBeUndefined()
    expect(await storedEgg(e3.uuid)).toBeUndefined()
    expect(await storedEgg(guarded.uuid)).toBeDefined()
    expect(await storedEgg(elsewhere.uuid)).toBeDefined()
    const events = (await adminEvents(t, admin, 'nest:egg.delete')).filter((e) => e.data.nest_uuid === a.uuid)
    expect(events.map((e) => e.data.uuid).sort()).toEqual([e1.uuid, e3.uuid].sort())
    expect(
      (await t.request('POST', `/api/admin/nests/${a.uuid}/eggs/delete`, { cookie: admin.cookie, body: { egg_uuids: ['x'] } })).status,
    ).toBe(400)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${a.uuid}/eggs/delete`, body: { egg_uuids: [] } },
      plain,
      denied(),
      'eggs.delete',
    )
  })
})

describe('GET …/{egg}/servers', () => {
  test('a true empty page until servers exist; needs servers.read', async () => {
    const nest = await makeNest()
    const egg = await makeEgg(nest.uuid)
    const res = await t.request('GET', `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}/servers?per_page=3&page=2`, { cookie: admin.cookie })
    expect([res.status, res.body]).toEqual([200, { servers: { total: 0, per_page: 3, page: 2, data: [] } }])
    expect((await t.request('GET', `/api/admin/nests/${nest.uuid}/eggs/${NO_SUCH}/servers`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}/servers` },
      plain,
      denied(),
      'servers.read',
    )
  })
})

describe('egg mounts', () => {
  test('link, list, refuse twice, unlink; the mounts plugin lists the egg; events', async () => {
    const nest = await makeNest()
    const egg = await makeEgg(nest.uuid)
    const m1 = await makeMount()
    const m2 = await makeMount()
    const base = `/api/admin/nests/${nest.uuid}/eggs/${egg.uuid}/mounts`
    for (const m of [m1, m2])
      expect((await t.request('POST', base, { cookie: admin.cookie, body: { mount_uuid: m.uuid } })).status).toBe(200)
    const [created] = await adminEvents(t, admin, 'nest:egg.mount.create')
    expect(created.data).toEqual({ nest_uuid: nest.uuid, egg_uuid: egg.uuid, mount_uuid: m2.uuid })
    const twice = await t.request('POST', base, { cookie: admin.cookie, body: { mount_uuid: m1.uuid } })
    expect([twice.status, twice.body.errors]).toEqual([409, ['mount already exists']])
    const unknown = await t.request('POST', base, { cookie: admin.cookie, body: { mount_uuid: NO_SUCH } })
    expect([unknown.status, unknown.body.errors]).toEqual([400, ['invalid relation `mount` provided']])
    expect((await t.request('POST', base, { cookie: admin.cookie, body: { mount_uuid: 'nope' } })).status).toBe(400)
    const list = await t.request('GET', `${base}?search=${m2.name}`, { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.mounts.total).toBe(1)
    expectModel(EggMount, list.body.mounts.data[0])
    expect(list.body.mounts.data[0].mount).toMatchObject({ uuid: m2.uuid, name: m2.name })
    const fromMount = await t.request('GET', `/api/admin/mounts/${m1.uuid}/nest-eggs`, { cookie: admin.cookie })
    expect(fromMount.status).toBe(200)
    expect(fromMount.body.nest_egg_mounts.total).toBe(1)
    expectModel(MountNestEgg, fromMount.body.nest_egg_mounts.data[0])
    expect(fromMount.body.nest_egg_mounts.data[0].nest.uuid).toBe(nest.uuid)
    expect(fromMount.body.nest_egg_mounts.data[0].nest_egg.uuid).toBe(egg.uuid)
    const del = await t.request('DELETE', `${base}/${m1.uuid}`, { cookie: admin.cookie })
    expect(del.status).toBe(200)
    const [deleted] = await adminEvents(t, admin, 'nest:egg.mount.delete')
    expect(deleted.data).toEqual({ nest_uuid: nest.uuid, egg_uuid: egg.uuid, mount_uuid: m1.uuid })
    const again = await t.request('DELETE', `${base}/${m1.uuid}`, { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['mount not found']])
    const bad = await t.request('DELETE', `${base}/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid mount uuid']])
    // Deleting the mount removes the link.
    expect((await t.request('DELETE', `/api/admin/mounts/${m2.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await t.request('GET', base, { cookie: admin.cookie })).body.mounts.total).toBe(0)
    for (const [method, path, body] of [
      ['GET', base, undefined],
      ['POST', base, { mount_uuid: m1.uuid }],
      ['DELETE', `${base}/${m1.uuid}`, undefined],
    ] as const) {
      await expectGuarded(t, { method, path, body }, plain, denied(), 'eggs.mounts')
    }
  })
})

describe('stats', () => {
  test('nest_eggs counts eggs', async () => {
    const before = (await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })).body
    await makeEgg((await makeNest()).uuid)
    const after = (await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })).body
    const count = (b: any) => b.stats.nest_eggs
    expect(count(after)).toBe(count(before) + 1)
  })
})

// The egg-repositories plugin fills the slot; its tests cover linked eggs end to end.
describe('the repository-egg slot', () => {
  test('is filled once: a second source is refused', () => {
    expect(hooks().repositoryEggs).not.toBeNull()
    expect(() =>
      hooks().provideRepositoryEggs({ exists: async () => true, describe: async () => new Map(), document: async () => null }),
    ).toThrow('already provided')
  })
})

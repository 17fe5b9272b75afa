import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, adminEvents, expectGuarded, expectModel, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { Empty } from 'hatchery'
import { NestEggVariable } from './model'
import { nestEggVariables } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let nest: string
let egg: string
let base: string

const uniq = (p = 'v') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const stored = async (uuid: string) =>
  (await t.kernel.database.db.select().from(nestEggVariables).where(eq(nestEggVariables.uuid, uuid)))[0]

async function makeEgg(nestUuid: string) {
  const res = await t.request('POST', `/api/admin/nests/${nestUuid}/eggs`, {
    cookie: admin.cookie,
    body: {
      author: 'author@example.com',
      name: uniq('egg'),
      config_files: [],
      config_startup: {},
      config_stop: { type: 'command', value: 'stop' },
      config_script: { container: 'alpine', entrypoint: 'ash', content: '' },
      startup_commands: { Default: 'run' },
      force_outgoing_ip: false,
      separate_port: false,
      features: [],
      docker_images: { Default: 'img:1' },
      file_denylist: [],
    },
  })
  expect(res.status).toBe(200)
  return res.body.egg.uuid as string
}

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nests.read', 'eggs.read']))
  const n = await t.request('POST', '/api/admin/nests', { cookie: admin.cookie, body: { author: 'me@example.com', name: uniq('nest') } })
  nest = n.body.nest.uuid
  egg = await makeEgg(nest)
  base = `/api/admin/nests/${nest}/eggs/${egg}/variables`
}, SETUP_TIMEOUT)

const varBody = (over: Record<string, unknown> = {}) => ({
  name: 'Server Version',
  name_translations: { de: 'Serverversion' },
  description: 'Which version to install',
  description_translations: {},
  order: 1,
  env_variable: uniq('ENV').toUpperCase(),
  default_value: 'latest',
  user_viewable: true,
  user_editable: true,
  secret: false,
  rules: ['required', 'string', 'max:20'],
  ...over,
})

async function make(over: Record<string, unknown> = {}, where = base) {
  const res = await t.request('POST', where, { cookie: admin.cookie, body: varBody(over) })
  expect(res.status).toBe(200)
  return res.body.variable as { uuid: string; name: string; env_variable: string; order: number }
}

describe('POST …/variables', () => {
  test('creates (secret answered as is_secret), logs nest:egg.variable.create', async () => {
    const res = await t.request('POST', base, { cookie: admin.cookie, body: varBody({ env_variable: 'SERVER_VERSION', secret: true }) })
    expect(res.status).toBe(200)
    const v = res.body.variable
    expectModel(NestEggVariable, v)
    expect(v).toMatchObject({
      name: 'Server Version',
      name_translations: { de: 'Serverversion' },
      env_variable: 'SERVER_VERSION',
      is_secret: true,
      rules: ['required', 'string', 'max:20'],
      order: 1,
    })
    const [event] = await adminEvents(t, admin, 'nest:egg.variable.create')
    expect(event.data).toEqual({
      uuid: v.uuid,
      nest_uuid: nest,
      egg_uuid: egg,
      name: 'Server Version',
      name_translations: { de: 'Serverversion' },
      description: 'Which version to install',
      description_translations: {},
      order: 1,
      env_variable: 'SERVER_VERSION',
      default_value: 'latest',
      user_viewable: true,
      user_editable: true,
      secret: true,
      rules: ['required', 'string', 'max:20'],
    })
    const taken = await t.request('POST', base, { cookie: admin.cookie, body: varBody({ env_variable: 'SERVER_VERSION' }) })
    expect([taken.status, taken.body.errors]).toEqual([409, ['variable with name already exists']])
    const optional = await make({ description: undefined, default_value: undefined })
    expect(await stored(optional.uuid)).toMatchObject({ description: null, default_value: null })
  })

  test('an unknown or malformed rule is a 400 naming it', async () => {
    const cases: [string[], string][] = [
      [['required', 'foo'], 'rules: unknown or unsupported validation rule: foo'],
      [['max:abc'], 'rules: max: `abc` is not a number'],
      [['between:1'], 'rules: between: needs exactly two numbers'],
      [['in'], 'rules: in: needs at least one value'],
      [['regex:^a$'], 'rules: regex: the pattern must be enclosed in delimiters, e.g. `/^[a-z]+$/`'],
      [['regex:/(/'], 'rules: regex: invalid regex pattern'],
    ]
    for (const [rules, message] of cases) {
      const res = await t.request('POST', base, { cookie: admin.cookie, body: varBody({ rules }) })
      expect([res.status, res.body.errors]).toEqual([400, [message]])
    }
  })

  test('bad input is 400 naming the field; 404, 401, 403', async () => {
    for (const over of [
      { name: 'ab' },
      { name: 'x'.repeat(256) },
      { order: 32768 },
      { order: -32769 },
      { order: 1.5 },
      { order: 1e999 },
      { env_variable: '' },
      { default_value: 'x'.repeat(1025) },
      { name_translations: { d: 'x' } },
      { name_translations: { de: '' } },
      { description: '' },
      { secret: undefined },
      { rules: 'required' },
    ]) {
      const res = await t.request('POST', base, { cookie: admin.cookie, body: varBody(over) })
      expect([JSON.stringify(over), res.status]).toEqual([JSON.stringify(over), 400])
      const field = Object.keys(over)[0]
      expect(res.body.errors.some((e: string) => e.startsWith(field))).toBe(true)
    }
    expect(
      (await t.request('POST', `/api/admin/nests/${nest}/eggs/${NO_SUCH}/variables`, { cookie: admin.cookie, body: varBody() })).status,
    ).toBe(404)
    await expectGuarded(t, { method: 'POST', path: base, body: varBody() }, plain, denied(), 'eggs.update')
  })
})

describe('GET …/variables and PUT …/variables/order', () => {
  test('ordered by order then creation; reordering sets 1-based positions of the listed ones', async () => {
    const eggUuid = await makeEgg(nest)
    const where = `/api/admin/nests/${nest}/eggs/${eggUuid}/variables`
    const a = await make({ order: 5 }, where)
    const b = await make({ order: 0 }, where)
    const c = await make({ order: 5 }, where)
    const d = await make({ order: 9 }, where)
    const list = async () => {
      const res = await t.request('GET', where, { token: readerKey })
      expect(res.status).toBe(200)
      for (const v of res.body.variables) expectModel(NestEggVariable, v)
      return res.body.variables.map((v: any) => [v.uuid, v.order])
    }
    expect(await list()).toEqual([
      [b.uuid, 0],
      [a.uuid, 5],
      [c.uuid, 5],
      [d.uuid, 9],
    ])
    const other = await make() // another egg's variable: left alone
    const res = await t.request('PUT', `${where}/order`, {
      cookie: admin.cookie,
      body: { variable_order: [c.uuid, a.uuid, other.uuid, NO_SUCH] },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await list()).toEqual([
      [b.uuid, 0],
      [c.uuid, 1],
      [a.uuid, 2],
      [d.uuid, 9],
    ])
    expect((await stored(other.uuid)).order).toBe(1)
    const [event] = await adminEvents(t, admin, 'nest:egg.variable.update-order')
    expect(event.data).toEqual({ nest_uuid: nest, egg_uuid: eggUuid, variable_order: [c.uuid, a.uuid, other.uuid, NO_SUCH] })
    for (const body of [{ variable_order: ['nope'] }, { variable_order: Array(1025).fill(NO_SUCH) }, {}]) {
      expect((await t.request('PUT', `${where}/order`, { cookie: admin.cookie, body })).status).toBe(400)
    }
    await expectGuarded(t, { method: 'PUT', path: `${where}/order`, body: { variable_order: [] } }, plain, denied(), 'eggs.update')
    expect((await t.request('GET', where)).status).toBe(401)
    expect((await t.request('GET', `/api/admin/nests/${nest}/eggs/${NO_SUCH}/variables`, { cookie: admin.cookie })).status).toBe(404)
  })
})

describe('PATCH/DELETE …/variables/{variable}', () => {
  test('PATCH changes what is given, null clears; logs nest:egg.variable.update; 409, 400, 404, 403', async () => {
    const v = await make()
    const w = await make()
    const res = await t.request('PATCH', `${base}/${v.uuid}`, {
      cookie: admin.cookie,
      body: { description: null, default_value: null, rules: ['nullable', 'integer'], secret: true },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(v.uuid)).toMatchObject({
      description: null,
      default_value: null,
      rules: ['nullable', 'integer'],
      secret: true,
      name: v.name,
    })
    const [event] = await adminEvents(t, admin, 'nest:egg.variable.update')
    expect(event.data).toMatchObject({ uuid: v.uuid, egg_uuid: egg, nest_uuid: nest, secret: true, rules: ['nullable', 'integer'] })
    const taken = await t.request('PATCH', `${base}/${v.uuid}`, { cookie: admin.cookie, body: { env_variable: w.env_variable } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['variable with name already exists']])
    const rule = await t.request('PATCH', `${base}/${v.uuid}`, { cookie: admin.cookie, body: { rules: ['digits:x'] } })
    expect([rule.status, rule.body.errors]).toEqual([400, ['rules: digits: `x` is not a whole number of digits']])
    expect((await t.request('PATCH', `${base}/${v.uuid}`, { cookie: admin.cookie, body: { order: 40000 } })).status).toBe(400)
    const none = await t.request('PATCH', `${base}/${NO_SUCH}`, { cookie: admin.cookie, body: {} })
    expect([none.status, none.body.errors]).toEqual([404, ['variable not found']])
    const bad = await t.request('PATCH', `${base}/nope`, { cookie: admin.cookie, body: {} })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid variable uuid']])
    // A variable of another egg is not found through this one.
    const otherEgg = await makeEgg(nest)
    const elsewhere = await make({}, `/api/admin/nests/${nest}/eggs/${otherEgg}/variables`)
    expect((await t.request('PATCH', `${base}/${elsewhere.uuid}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    await expectGuarded(t, { method: 'PATCH', path: `${base}/${v.uuid}`, body: {} }, plain, denied(), 'eggs.update')
  })

  test('DELETE removes it and logs nest:egg.variable.delete; then 404', async () => {
    const v = await make()
    await expectGuarded(t, { method: 'DELETE', path: `${base}/${v.uuid}` }, plain, denied(), 'eggs.update')
    const res = await t.request('DELETE', `${base}/${v.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await stored(v.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'nest:egg.variable.delete')
    expect(event.data).toEqual({ uuid: v.uuid, nest_uuid: nest, egg_uuid: egg, name: v.name, env_variable: v.env_variable })
    expect((await t.request('DELETE', `${base}/${v.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })
})

describe('POST …/variables/{variable}/duplicate', () => {
  test('copies everything else under a new name and env variable; logs; 409, 400, 404, 403', async () => {
    const v = await make({ order: 7, secret: true, rules: ['in:a,b'] })
    const res = await t.request('POST', `${base}/${v.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: 'Copy', env_variable: 'COPY_VAR' },
    })
    expect(res.status).toBe(200)
    const copy = res.body.variable
    expectModel(NestEggVariable, copy)
    expect(copy).toMatchObject({
      name: 'Copy',
      env_variable: 'COPY_VAR',
      order: 7,
      is_secret: true,
      rules: ['in:a,b'],
      default_value: 'latest',
    })
    const [event] = await adminEvents(t, admin, 'nest:egg.variable.duplicate')
    expect(event.data).toEqual({
      uuid: copy.uuid,
      nest_uuid: nest,
      egg_uuid: egg,
      source_uuid: v.uuid,
      source_name: v.name,
      name: 'Copy',
      env_variable: 'COPY_VAR',
    })
    const taken = await t.request('POST', `${base}/${v.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: 'Copy 2', env_variable: 'COPY_VAR' },
    })
    expect([taken.status, taken.body.errors]).toEqual([409, ['variable with name or env variable already exists']])
    for (const body of [{ name: '', env_variable: 'X' }, { name: 'x', env_variable: 'x'.repeat(256) }, { name: 'x' }]) {
      expect((await t.request('POST', `${base}/${v.uuid}/duplicate`, { cookie: admin.cookie, body })).status).toBe(400)
    }
    expect(
      (await t.request('POST', `${base}/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: { name: 'x', env_variable: 'Y' } })).status,
    ).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `${base}/${v.uuid}/duplicate`, body: { name: 'x', env_variable: 'Y' } },
      plain,
      denied(),
      'eggs.update',
    )
  })
})

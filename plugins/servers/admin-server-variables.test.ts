import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { t as tb } from 'elysia'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  makeUser,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { tables as nestTables, validateVariableValue } from '../nests'
import { ServerVariable } from './model'
import { serverVariables } from './tables'
import { insertServer, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let editor: AdminCaller
let editorKey: string
let reader: AdminCaller
let readerKey: string
let at: DoubleNode
let uuid: string
const PLAYERS = ['required', 'integer', 'between:1,100']
const URL_RULES = ['required_if:MODE,custom']

beforeAll(async () => {
  ;({ admin, plain, limited: editor, limitedKey: editorKey } = await adminCallers(t, ['servers.variables']))
  ;({ limited: reader, limitedKey: readerKey } = await adminCallers(t, ['servers.read', 'servers.update']))
  at = await nodeOnDouble(t, admin)
  const egg = await makeEgg(t)
  const v = nestTables.nestEggVariables
  const common = { egg_uuid: egg.uuid, user_viewable: true, user_editable: false }
  await db()
    .insert(v)
    .values([
      { ...common, name: 'Players', env_variable: 'MAX_PLAYERS', default_value: '20', rules: PLAYERS, order: 2, secret: true },
      { ...common, name: 'Mode', env_variable: 'MODE', default_value: 'vanilla', order: 3 },
      { ...common, name: 'Custom URL', env_variable: 'CUSTOM_URL', rules: URL_RULES, order: 4 },
    ])
  await db().update(v).set({ order: 1 }).where(eq(v.uuid, egg.variable))
  uuid = (await insertServer(t, { node: at.node.uuid, owner: (await makeUser(t)).uuid, egg: egg.uuid })).uuid
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const path = (id = uuid) => `/api/admin/servers/${id}/variables`
const get = (auth: { cookie?: string; token?: string } = { cookie: editor.cookie }, id = uuid) => t.request('GET', path(id), auth)
const put = (variables: unknown, auth: { cookie?: string; token?: string } = { cookie: editor.cookie }, id = uuid) =>
  t.request('PUT', path(id), { ...auth, body: { variables } })
const values = async () => Object.fromEntries((await get()).body.variables.map((v: any) => [v.env_variable, v.value]))

describe('GET /api/admin/servers/{server}/variables', () => {
  test("every egg variable in the egg's order, the default where the server has no value", async () => {
    const res = await get()
    expect(res.status).toBe(200)
    expectModel(tb.Object({ variables: tb.Array(ServerVariable) }), res.body)
    expect(res.body.variables.map((v: any) => [v.env_variable, v.value, v.is_secret, v.is_editable])).toEqual([
      ['SERVER_JARFILE', '', false, true],
      ['MAX_PLAYERS', '20', true, false],
      ['MODE', 'vanilla', false, false],
      ['CUSTOM_URL', '', false, false],
    ])
    expect(res.body.variables[1]).toMatchObject({ name: 'Players', default_value: '20', rules: PLAYERS })
    expect((await get({ token: editorKey })).status).toBe(200)
  })

  test('guarded; bad uuid 400, unknown 404', async () => {
    await expectGuarded(t, { method: 'GET', path: path() }, plain, [{ cookie: reader.cookie }, { token: readerKey }], 'servers.variables')
    expect(await get(undefined, 'nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await get(undefined, '00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { errors: ['server not found'] },
    })
  })
})

describe('PUT /api/admin/servers/{server}/variables', () => {
  test('stores the supplied values, ignores unknown env vars, logs server:variables.update', async () => {
    const sent = [
      { env_variable: 'MAX_PLAYERS', value: '64' },
      { env_variable: 'NOT_IN_EGG', value: 'x' },
    ]
    expect(await put(sent)).toMatchObject({ status: 200, body: {} })
    expect(await values()).toMatchObject({ MAX_PLAYERS: '64', MODE: 'vanilla' })
    expect(await db().$count(serverVariables, eq(serverVariables.server_uuid, uuid))).toBe(1)
    const [event] = await adminEvents(t, admin, 'server:variables.update')
    expect(event.data).toEqual({ uuid, variables: sent })
    expect(await put([{ env_variable: 'MAX_PLAYERS', value: '65' }], { token: editorKey })).toMatchObject({ status: 200 })
    expect((await values()).MAX_PLAYERS).toBe('65')
  })

  test('every variable is checked with the supplied, else the stored value: 400 `<ENV>: <why>`, nothing stored then', async () => {
    const res = await put([{ env_variable: 'MAX_PLAYERS', value: '500' }])
    expect(res).toMatchObject({ status: 400, body: { errors: [`MAX_PLAYERS: ${validateVariableValue(PLAYERS, '500')}`] } })
    expect((await values()).MAX_PLAYERS).toBe('65')
    // MODE=custom makes CUSTOM_URL required: refused until a URL is given along, then kept when only MODE changes back.
    const custom = await put([{ env_variable: 'MODE', value: 'custom' }])
    const why = validateVariableValue(URL_RULES, '', { MODE: 'custom' })
    expect(why).not.toBeNull()
    expect(custom).toMatchObject({ status: 400, body: { errors: [`CUSTOM_URL: ${why}`] } })
    expect(
      await put([
        { env_variable: 'MODE', value: 'custom' },
        { env_variable: 'CUSTOM_URL', value: 'https://example.com' },
      ]),
    ).toMatchObject({ status: 200 })
    expect(await put([{ env_variable: 'MAX_PLAYERS', value: '10' }])).toMatchObject({ status: 200 })
    expect(await values()).toMatchObject({ MODE: 'custom', CUSTOM_URL: 'https://example.com', MAX_PLAYERS: '10' })
    expect(await db().$count(serverVariables, eq(serverVariables.server_uuid, uuid))).toBe(3)
  })

  test('an env var named twice is 400 `duplicate environment variable: <ENV>`; bad bodies are 400', async () => {
    const twice = [
      { env_variable: 'MODE', value: 'a' },
      { env_variable: 'MODE', value: 'b' },
    ]
    expect(await put(twice)).toMatchObject({ status: 400, body: { errors: ['duplicate environment variable: MODE'] } })
    expect((await put([{ env_variable: '', value: 'x' }])).status).toBe(400)
    expect((await put([{ env_variable: 'MODE', value: 'x'.repeat(4097) }])).status).toBe(400)
    expect((await t.request('PUT', path(), { cookie: editor.cookie, body: {} })).status).toBe(400)
    expect((await values()).MODE).toBe('custom')
  })

  test('guarded; bad uuid 400, unknown 404', async () => {
    await expectGuarded(
      t,
      { method: 'PUT', path: path(), body: { variables: [] } },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.variables',
    )
    expect(await put([], undefined, 'nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await put([], undefined, '00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { errors: ['server not found'] },
    })
  })
})

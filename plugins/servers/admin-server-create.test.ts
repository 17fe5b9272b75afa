import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
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
import { tables as allocationTables } from '../allocations'
import { tables as nestTables } from '../nests'
import { AdminServer } from './model'
import { serverAllocations, servers, serverVariables } from './tables'
import { makeEgg, nodeOnDouble, serverBody, servingDocuments, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let creator: AdminCaller
let reader: AdminCaller
let at: DoubleNode
let second: DoubleNode
let egg: { uuid: string; nest: string; variable: string }
let owner: string
const free: string[] = []
let foreign: string

beforeAll(async () => {
  ;({ admin, plain, limited: creator } = await adminCallers(t, ['servers.create', 'servers.read']))
  ;({ limited: reader } = await adminCallers(t, ['servers.read']))
  at = await nodeOnDouble(t, admin, servingDocuments(t))
  second = await nodeOnDouble(t, admin, servingDocuments(t))
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  egg = await makeEgg(t)
  await db()
    .update(nestTables.nestEggVariables)
    .set({ rules: ['required', 'string', 'max:20'], default_value: 'server.jar' })
    .where(eq(nestTables.nestEggVariables.uuid, egg.variable))
  owner = (await makeUser(t)).uuid
  const ports = Array.from({ length: 12 }, (_, i) => 25565 + i)
  await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.3.0.1', ip_alias: null, ports },
  })
  await t.request('POST', `/api/admin/nodes/${second.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.3.0.2', ip_alias: null, ports: [30000] },
  })
  const na = allocationTables.nodeAllocations
  free.push(...(await db().select().from(na).where(eq(na.node_uuid, at.node.uuid)).orderBy(na.port)).map((a) => a.uuid))
  foreign = (await db().select().from(na).where(eq(na.node_uuid, second.node.uuid)))[0].uuid
}, SETUP_TIMEOUT)
afterAll(async () => {
  await at?.wings.stop()
  await second?.wings.stop()
})

const body = (over: Record<string, unknown> = {}) =>
  serverBody(
    { node_uuid: at.node.uuid, owner_uuid: owner, egg_uuid: egg.uuid },
    {
      limits: { cpu: 100, memory: 2048, memory_overhead: 0, swap: 0, disk: 8192 },
      feature_limits: { allocations: 2, databases: 0, backups: 1, schedules: 0 },
      variables: [{ env_variable: 'SERVER_JARFILE', value: 'paper.jar' }],
      ...over,
    },
  )
const create = (b: Record<string, unknown>, cookie = creator.cookie) => t.request('POST', '/api/admin/servers', { cookie, body: b })
const count = async () => db().$count(servers)

describe('POST /api/admin/servers', () => {
  test('creates the rows, tells Wings (which read the document), answers the AdminServer, logs server:create', async () => {
    const primary = free.shift()!
    const extra = free.shift()!
    const sent = body({ allocation_uuid: primary, allocation_uuids: [extra], external_id: 'billing-7', timezone: 'Europe/Amsterdam' })
    const res = await create(sent)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expectModel(AdminServer, res.body.server)
    const server = res.body.server
    expect(server).toMatchObject({
      name: 'survival',
      status: null,
      external_id: 'billing-7',
      timezone: 'Europe/Amsterdam',
      allocation: { port: 25565, is_primary: true },
    })
    expect(server.node.uuid).toBe(at.node.uuid)
    expect(at.wings.requests.findLast((r) => r.path === '/api/servers')?.body).toEqual({
      uuid: server.uuid,
      start_on_completion: false,
      skip_scripts: true,
    })
    expect(at.wings.servers.get(server.uuid)?.config.settings).toMatchObject({
      environment: { SERVER_JARFILE: 'paper.jar' },
      allocations: { default: { ip: '10.3.0.1', port: 25565 }, mappings: { '10.3.0.1': [25565, 25566] } },
    })
    expect(await db().$count(serverAllocations, eq(serverAllocations.server_uuid, server.uuid))).toBe(2)
    expect(await db().$count(serverVariables, eq(serverVariables.server_uuid, server.uuid))).toBe(1)
    const [event] = await adminEvents(t, admin, 'server:create')
    expect(event.data).toMatchObject({
      uuid: server.uuid,
      node_uuid: at.node.uuid,
      allocation_uuids: [extra],
      skip_installer: true,
      variables: sent.variables,
    })
    expect(at.wings.problems).toEqual([])
  })

  test('without skip_installer the server is installing', async () => {
    const res = await create(body({ skip_installer: false, variables: [] }))
    expect(res.status).toBe(200)
    expect(res.body.server.status).toBe('installing')
  })

  test('variables are checked against their rules (the default for those not given)', async () => {
    expect(await create(body({ variables: [{ env_variable: 'SERVER_JARFILE', value: 'x'.repeat(21) }] }))).toMatchObject({
      status: 400,
      body: { errors: [expect.stringMatching(/^SERVER_JARFILE: /)] },
    })
    await db()
      .update(nestTables.nestEggVariables)
      .set({ rules: ['required', 'frobnicate'] })
      .where(eq(nestTables.nestEggVariables.uuid, egg.variable))
    const broken = await create(body())
    await db()
      .update(nestTables.nestEggVariables)
      .set({ rules: ['required', 'string', 'max:20'] })
      .where(eq(nestTables.nestEggVariables.uuid, egg.variable))
    expect(broken).toMatchObject({ status: 400, body: { errors: [expect.stringMatching(/^invalid rule 'frobnicate': /)] } })
  })

  test('unknown relations, foreign or taken allocations, bad fields: 400/409 and nothing is left', async () => {
    const before = await count()
    const NO = '00000000-0000-4000-8000-000000000000'
    for (const [over, message] of [
      [{ node_uuid: NO }, 'invalid relation `node` provided'],
      [{ owner_uuid: NO }, 'invalid relation `owner` provided'],
      [{ egg_uuid: NO, variables: [] }, 'invalid relation `egg` provided'],
      [{ backup_configuration_uuid: NO }, 'invalid relation `backup_configuration` provided'],
      [{ allocation_uuids: [foreign] }, 'all allocations must belong to the node'],
      [{ allocation_uuid: NO }, 'all allocations must belong to the node'],
      [{ timezone: 'Mars/Olympus' }, "timezone: unknown time zone 'Mars/Olympus'"],
    ] as const) {
      expect(await create(body(over))).toMatchObject({ status: 400, body: { errors: [message] } })
    }
    const taken = (await db().select().from(serverAllocations).limit(1))[0].allocation_uuid
    expect(await create(body({ allocation_uuid: taken }))).toMatchObject({
      status: 409,
      body: { errors: ['server with allocation(s) or external id already exists'] },
    })
    for (const bad of [
      { name: 'ab' },
      { image: 'x' },
      { limits: { cpu: 1, memory: 1, memory_overhead: 0, swap: -2, disk: 1 } },
      { node_uuid: 'nope' },
    ]) {
      expect((await create(body(bad))).status).toBe(400)
    }
    expect(await count()).toBe(before)
  })

  test('Wings down, answering garbage or late: 502 within the deadline, the rows deleted again', async () => {
    const before = await count()
    const claimed = await db().$count(serverAllocations)
    const wanted = free.shift()!
    for (const fault of [
      { kind: 'down' },
      { kind: 'html', route: 'POST /api/servers' },
      { kind: 'slow', ms: 3_000, route: 'POST /api/servers' },
    ] as const) {
      const heal = at.wings.fail(fault)
      const started = performance.now()
      const res = await create(body({ allocation_uuid: wanted }))
      heal()
      expect(res, fault.kind).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
      expect(performance.now() - started).toBeLessThan(2_000)
    }
    expect(await count()).toBe(before)
    expect(await db().$count(serverAllocations)).toBe(claimed)
  })

  test('two creates claiming one allocation at once: one server, one 409', async () => {
    const shared = free.shift()!
    const answers = await Promise.all([create(body({ allocation_uuid: shared })), create(body({ allocation_uuid: shared }))])
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409])
    expect(await db().$count(serverAllocations, eq(serverAllocations.allocation_uuid, shared))).toBe(1)
  })

  test('guarded: 401, 403 outside the admin area or without servers.create', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/servers', body: body() },
      plain,
      [{ cookie: reader.cookie }],
      'servers.create',
    )
  })
})

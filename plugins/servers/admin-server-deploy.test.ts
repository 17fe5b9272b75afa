import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, inArray } from 'drizzle-orm'
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
import { tables as nodeTables } from '../nodes'
import { AdminServer } from './model'
import { serverAllocations, servers, serverVariables } from './tables'
import { insertServer, makeEgg, makeNode, nodeOnDouble, serverBody, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
const na = allocationTables.nodeAllocations
let admin: AdminCaller
let plain: AdminCaller
let creator: AdminCaller
let reader: AdminCaller
let owner: string
let egg: { uuid: string; nest: string; variable: string }
const doubles: DoubleNode[] = []

beforeAll(async () => {
  ;({ admin, plain, limited: creator } = await adminCallers(t, ['servers.create', 'servers.read']))
  ;({ limited: reader } = await adminCallers(t, ['servers.read']))
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  egg = await makeEgg(t)
  owner = (await makeUser(t)).uuid
}, SETUP_TIMEOUT)
afterAll(async () => {
  for (const d of doubles) await d.wings.stop()
})

async function doubleNode(
  ip: string,
  ports: number[],
  options: Parameters<typeof nodeOnDouble>[3] = {},
): Promise<DoubleNode & { location: string }> {
  const made = await nodeOnDouble(t, admin, undefined, options)
  doubles.push(made)
  if (ports.length) {
    const res = await t.request('POST', `/api/admin/nodes/${made.node.uuid}/allocations`, {
      cookie: admin.cookie,
      body: { ip, ip_alias: null, ports },
    })
    expect(res.status).toBe(200)
  }
  return { ...made, location: await locationOf(made.node.uuid) }
}
const locationOf = async (node: string) =>
  (await db().select().from(nodeTables.nodes).where(eq(nodeTables.nodes.uuid, node)))[0].location_uuid
const setNode = (node: string, values: Partial<typeof nodeTables.nodes.$inferInsert>) =>
  db().update(nodeTables.nodes).set(values).where(eq(nodeTables.nodes.uuid, node))

const body = (locations: string[], over: Record<string, unknown> = {}, deployment: Record<string, unknown> = {}) => {
  const { node_uuid: _, ...rest } = serverBody({ node_uuid: '', owner_uuid: owner, egg_uuid: egg.uuid }, over)
  return {
    ...rest,
    allocation_uuids: (over.allocation_uuids as string[] | undefined) ?? null,
    deployment: { location_uuids: locations, allow_overallocation: false, randomness: 0, ...deployment },
  }
}
const deploy = (b: Record<string, unknown>, cookie = creator.cookie) => t.request('POST', '/api/admin/servers/deploy', { cookie, body: b })
const claimsOf = async (server: string) =>
  db()
    .select({ uuid: serverAllocations.uuid, allocation: serverAllocations.allocation_uuid, port: na.port })
    .from(serverAllocations)
    .innerJoin(na, eq(na.uuid, serverAllocations.allocation_uuid))
    .where(eq(serverAllocations.server_uuid, server))
const rules = (primary: unknown, additional: unknown[] = [], dedicated = false) => ({ allocations: { dedicated, primary, additional } })
const refused = (reason: string) => ({ status: 400, body: { errors: [`could not deploy server: ${reason}`] } })

describe('POST /api/admin/servers/deploy', () => {
  test("the egg configuration's rules choose the allocations; the port goes to its variable; Wings creates it", async () => {
    const portEgg = await makeEgg(t)
    const [portVariable] = await db()
      .insert(nestTables.nestEggVariables)
      .values({
        egg_uuid: portEgg.uuid,
        name: 'Port',
        env_variable: 'SERVER_PORT',
        default_value: '1',
        rules: ['required', 'numeric'],
        user_viewable: true,
        user_editable: true,
      })
      .returning()
    const configured = await t.request('POST', '/api/admin/egg-configurations', {
      cookie: admin.cookie,
      body: {
        name: 'deploy rules',
        order: 0,
        eggs: [portEgg.uuid],
        config_allocations: {
          deployment: {
            dedicated: false,
            primary: { start_port: 25565, end_port: 25567, assign_to_variable: 'SERVER_PORT' },
            additional: [{ mode: { type: 'add_primary', value: 100 } }],
          },
        },
      },
    })
    expect(configured.status, JSON.stringify(configured.body)).toBe(200)
    const at = await doubleNode('10.4.0.1', [25565, 25566, 25567, 25665, 25666, 25667, 30000])
    const sent = body([at.location], { egg_uuid: portEgg.uuid, variables: [{ env_variable: 'SERVER_PORT', value: '7' }] })
    const res = await deploy(sent)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expectModel(AdminServer, res.body.server)
    const server = res.body.server
    expect(server.node.uuid).toBe(at.node.uuid)
    const port = server.allocation.port as number
    expect([25565, 25566, 25567]).toContain(port)
    expect((await claimsOf(server.uuid)).map((c) => c.port).sort()).toEqual([port, port + 100])
    const [stored] = await db().select().from(serverVariables).where(eq(serverVariables.variable_uuid, portVariable.uuid))
    expect(stored.value).toBe(String(port))
    expect(at.wings.servers.get(server.uuid)?.config.settings.environment).toMatchObject({ SERVER_PORT: String(port) })
    const [event] = (await adminEvents(t, admin, 'server:create')).filter((e) => e.data.uuid === server.uuid)
    const extra = (await claimsOf(server.uuid)).find((c) => c.port === port + 100)!.allocation
    expect(event.data).toMatchObject({ node_uuid: at.node.uuid, allocation_uuids: [extra], variables: sent.variables })
    expect(at.wings.problems).toEqual([])
  })

  test('deployment.allocations overrides: range, random and the four derived modes', async () => {
    const at = await doubleNode('10.5.0.1', [250, 500, 1000, 2000, 3000, 7000])
    const res = await deploy(
      body(
        [at.location],
        {},
        {
          ...rules({ start_port: 1000, end_port: 1000 }, [
            { mode: { type: 'subtract_primary', value: 500 } },
            { mode: { type: 'multiply_primary', value: 2 } },
            { mode: { type: 'divide_primary', value: 4 }, assign_to_variable: 'SERVER_JARFILE' },
            { mode: { type: 'range', start_port: 3000, end_port: 3001 } },
            { mode: { type: 'random' } },
          ]),
        },
      ),
    )
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.server.allocation.port).toBe(1000)
    expect((await claimsOf(res.body.server.uuid)).map((c) => c.port).sort((a, b) => a - b)).toEqual([250, 500, 1000, 2000, 3000, 7000])
    const [jar] = await db().select().from(serverVariables).where(eq(serverVariables.server_uuid, res.body.server.uuid))
    expect(jar.value).toBe('250')
  })

  test('neither allocations nor rules: one free allocation of the chosen node becomes the primary', async () => {
    const at = await doubleNode('10.6.0.1', [40000, 40001])
    const res = await deploy(body([at.location]))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.server.allocation).toMatchObject({ ip: '10.6.0.1', is_primary: true })
    expect(await claimsOf(res.body.server.uuid)).toHaveLength(1)
  })

  test('explicit allocations keep their node; allocations of several nodes are refused', async () => {
    const a = await doubleNode('10.7.0.1', [41000, 41001])
    const b = await doubleNode('10.7.0.2', [42000])
    await setNode(b.node.uuid, { location_uuid: a.location })
    const [first, second] = (await db().select().from(na).where(eq(na.node_uuid, a.node.uuid)).orderBy(na.port)).map((x) => x.uuid)
    const [foreign] = (await db().select().from(na).where(eq(na.node_uuid, b.node.uuid))).map((x) => x.uuid)
    // Node b is emptier of nothing: both fit; the explicit allocations decide.
    const res = await deploy(body([a.location], { allocation_uuid: first, allocation_uuids: [second] }))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.server.node.uuid).toBe(a.node.uuid)
    expect((await claimsOf(res.body.server.uuid)).map((c) => c.port).sort()).toEqual([41000, 41001])
    expect(await deploy(body([a.location], { allocation_uuid: foreign, allocation_uuids: [first] }))).toMatchObject({
      status: 400,
      body: { errors: ['all allocations must belong to the node'] },
    })
  })

  test('the allocation rules that cannot be met: each reason of spec 02 §8.3', async () => {
    const at = await doubleNode('10.8.0.1', [1000, 1001, 5000])
    const loc = [at.location]
    const before = await db().$count(servers)
    for (const [deployment, reason] of [
      [rules(null, [{ mode: { type: 'add_primary', value: 1 } }]), 'primary allocation is required for `add_primary` mode'],
      [rules({ start_port: 60000, end_port: 60010 }), 'only found 0 available allocations'],
      [
        rules({ start_port: 1000, end_port: 1001 }, [{ mode: { type: 'range', start_port: 9000, end_port: 9001 } }]),
        'only found 0 available allocations on this IP',
      ],
      [
        rules({ start_port: 5000, end_port: 5000 }, [{ mode: { type: 'add_primary', value: 7 } }]),
        'could not satisfy all additional allocation rules after 100 attempts',
      ],
      [
        rules({ start_port: 5000, end_port: 5000 }, [{ mode: { type: 'add_primary', value: 0 } }]),
        'allocated additional allocation is already in use',
      ],
    ] as const) {
      expect(await deploy(body(loc, {}, deployment)), reason).toMatchObject(refused(reason))
    }
    const held = await deploy(body(loc, {}, rules({ start_port: 1000, end_port: 1000 })))
    expect(held.status).toBe(200)
    expect(await deploy(body(loc, {}, rules({ start_port: 1001, end_port: 1001 }, [], true)))).toMatchObject(
      refused('only found 0 available dedicated allocations'),
    )
    expect(await db().$count(servers)).toBe(before + 1)
  })

  test('a dedicated primary takes an IP nobody holds', async () => {
    const at = await doubleNode('10.9.0.1', [1000, 1001])
    await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
      cookie: admin.cookie,
      body: { ip: '10.9.0.2', ip_alias: null, ports: [1000] },
    })
    const first = await deploy(body([at.location], {}, rules({ start_port: 1000, end_port: 1000 }, [], true)))
    expect(first.status).toBe(200)
    const second = await deploy(body([at.location], {}, rules({ start_port: 1000, end_port: 1001 }, [], true)))
    expect(second.status).toBe(200)
    expect(new Set([first.body.server.allocation.ip, second.body.server.allocation.ip]).size).toBe(2)
  })

  test('ports Wings reports in use are never chosen', async () => {
    const at = await doubleNode('10.10.0.1', [27015, 27016], { usedPorts: { '10.10.0.1': [27015] } })
    const res = await deploy(body([at.location]))
    expect(res.status).toBe(200)
    expect(res.body.server.allocation.port).toBe(27016)
    expect(await deploy(body([at.location]))).toMatchObject(refused('only found 0 available allocations'))
  })

  test('node choice: the reasons no node qualifies, in their order', async () => {
    const none = '00000000-0000-4000-8000-000000000001'
    expect(await deploy(body([none]))).toMatchObject(refused('no nodes exist in the selected location(s)'))
    const { node: big } = await makeNode(t, admin)
    const { node: other } = await makeNode(t, admin)
    const loc = await locationOf(big.uuid)
    await setNode(other.uuid, { location_uuid: loc })
    await setNode(big.uuid, { deployment_enabled: false })
    await setNode(other.uuid, { maintenance_enabled: true })
    expect(await deploy(body([loc]))).toMatchObject(refused('deployment is disabled on every node in the selected location(s)'))
    await setNode(big.uuid, { deployment_enabled: true, memory: 4096, disk: 1000 })
    await setNode(other.uuid, { maintenance_enabled: false, memory: 1000, disk: 4096 })
    const limits = (memory: number, disk: number) => ({ limits: { cpu: 100, memory, memory_overhead: 0, swap: 0, disk } })
    expect(await deploy(body([loc], limits(5000, 5000)))).toMatchObject(
      refused('no node in the selected location(s) has enough unallocated memory or disk'),
    )
    expect(await deploy(body([loc], limits(5000, 10)))).toMatchObject(
      refused('no node in the selected location(s) has enough unallocated memory'),
    )
    expect(await deploy(body([loc], limits(10, 5000)))).toMatchObject(
      refused('no node in the selected location(s) has enough unallocated disk'),
    )
    expect(await deploy(body([loc], limits(2000, 2000)))).toMatchObject(
      refused('no single node in the selected location(s) has enough unallocated memory and disk at the same time'),
    )
  })

  test('usage counts memory_overhead, suspended servers by the penalty; overallocation ignores limits', async () => {
    const at = await doubleNode('10.11.0.1', [1000, 1001, 1002])
    await setNode(at.node.uuid, { memory: 4096, disk: 0 })
    await insertServer(t, { node: at.node.uuid, owner, egg: egg.uuid }, { memory: 1024, memory_overhead: 1024, suspended: true, disk: 1 })
    const limits = (memory: number) => ({ limits: { cpu: 100, memory, memory_overhead: 0, swap: 0, disk: 50 } })
    // Suspended at penalty 0.5: 1024 used, 3072 free; at penalty 1: 2048 used.
    expect((await deploy(body([at.location], limits(3000), { suspension_penalty: 1 }))).status).toBe(400)
    const fits = await deploy(body([at.location], limits(3000), { suspension_penalty: 0.5 }))
    expect(fits.status, JSON.stringify(fits.body)).toBe(200)
    const over = await deploy(body([at.location], limits(100_000), { allow_overallocation: true }))
    expect(over.status).toBe(200)
  })

  test('variables and the time zone are checked before any node work', async () => {
    const at = await doubleNode('10.12.0.1', [1000])
    await db()
      .update(nestTables.nestEggVariables)
      .set({ rules: ['required', 'string', 'max:20'], default_value: 'server.jar' })
      .where(eq(nestTables.nestEggVariables.uuid, egg.variable))
    const seen = at.wings.requests.length
    expect(await deploy(body([at.location], { variables: [{ env_variable: 'SERVER_JARFILE', value: 'x'.repeat(21) }] }))).toMatchObject({
      status: 400,
      body: { errors: [expect.stringMatching(/^SERVER_JARFILE: /)] },
    })
    expect(await deploy(body([at.location], { timezone: 'Mars/Olympus' }))).toMatchObject({
      status: 400,
      body: { errors: ["timezone: unknown time zone 'Mars/Olympus'"] },
    })
    expect(at.wings.requests.length).toBe(seen)
  })

  test('bad input: 400', async () => {
    const good = body([crypto.randomUUID()])
    const { deployment, ...noDeployment } = good
    for (const bad of [
      noDeployment,
      { ...good, deployment: { ...deployment, suspension_penalty: 2 } },
      { ...good, deployment: { ...deployment, randomness: -1 } },
      { ...good, deployment: { ...deployment, location_uuids: ['nope'] } },
      { ...good, deployment: { location_uuids: [] } },
      { ...good, deployment: { ...deployment, ...rules({ start_port: 0, end_port: 10 }) } },
      { ...good, deployment: { ...deployment, ...rules(null, [{ mode: { type: 'sideways' } }]) } },
      { ...good, node_uuid: undefined, name: 'ab' },
    ]) {
      expect((await deploy(bad)).status, JSON.stringify(bad)).toBe(400)
    }
  })

  test('Wings down, late or failing: skipped while choosing (400), 502 at creation, nothing half-made', async () => {
    const at = await doubleNode('10.13.0.1', [1000])
    const servers0 = await db().$count(servers)
    const claims0 = await db().$count(serverAllocations)
    let heal = at.wings.fail({ kind: 'down' })
    expect(await deploy(body([at.location]))).toMatchObject(refused(`node ${at.node.name} is unreachable`))
    heal()
    heal = at.wings.fail({ kind: 'slow', ms: 3_500, route: 'GET /api/ports/used' })
    expect(await deploy(body([at.location]))).toMatchObject(refused('timed out asking the node which ports are in use'))
    heal()
    for (const fault of [
      { kind: 'html', route: 'POST /api/servers' },
      { kind: 'slow', ms: 3_000, route: 'POST /api/servers' },
    ] as const) {
      heal = at.wings.fail(fault)
      const started = performance.now()
      const res = await deploy(body([at.location]))
      heal()
      expect(res, fault.kind).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
      expect(performance.now() - started).toBeLessThan(2_500)
    }
    const [only] = await db().select().from(na).where(eq(na.node_uuid, at.node.uuid))
    heal = at.wings.fail({ kind: 'down' })
    expect((await deploy(body([at.location], { allocation_uuid: only.uuid, allocation_uuids: [] }))).status).toBe(502)
    heal()
    expect(await db().$count(servers)).toBe(servers0)
    expect(await db().$count(serverAllocations)).toBe(claims0)
  })

  test('eight deploys at once on a node with three free allocations: none claimed twice, each answered cleanly', async () => {
    const at = await doubleNode('10.14.0.1', [1000, 1001, 1002])
    // Wings' answer on the ports in use is cached first, so all eight choose before any of them claims.
    const [row] = await db().select().from(nodeTables.nodes).where(eq(nodeTables.nodes.uuid, at.node.uuid))
    await serversApi(t).usedPorts(row, ['10.14.0.1'])
    const answers = await Promise.all(Array.from({ length: 8 }, () => deploy(body([at.location]))))
    const ok = answers.filter((a) => a.status === 200)
    for (const a of answers) {
      if (a.status === 200) continue
      expect([400, 409]).toContain(a.status)
      expect(a.body.errors).toEqual([
        expect.stringMatching(
          /^(could not deploy server: only found 0 available allocations|server with allocation\(s\) or external id already exists)$/,
        ),
      ])
    }
    // The losers choose again without what they lost: every free allocation ends up used.
    expect(ok).toHaveLength(3)
    const made = await db().select().from(servers).where(eq(servers.node_uuid, at.node.uuid))
    expect(made.map((s) => s.uuid).sort()).toEqual(ok.map((a) => a.body.server.uuid).sort())
    const claims = await db()
      .select()
      .from(serverAllocations)
      .where(
        inArray(
          serverAllocations.server_uuid,
          made.map((s) => s.uuid),
        ),
      )
    expect(claims).toHaveLength(ok.length)
    expect(new Set(claims.map((c) => c.allocation_uuid)).size).toBe(ok.length)
    expect(new Set(ok.map((a) => a.body.server.allocation.port)).size).toBe(ok.length)
  })

  test('guarded: 401, 403 outside the admin area or without servers.create', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/servers/deploy', body: body([crypto.randomUUID()]) },
      plain,
      [{ cookie: reader.cookie }],
      'servers.create',
    )
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { t as tb } from 'elysia'
import { PageOf } from 'hatchery'
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
import { ServerAllocation } from './model'
import { serverAllocations, servers } from './tables'
import { insertServer, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
const na = allocationTables.nodeAllocations
let admin: AdminCaller
let plain: AdminCaller
let manager: AdminCaller
let managerKey: string
let reader: AdminCaller
let readerKey: string
let at: DoubleNode
let elsewhere: DoubleNode
let refs: { node: string; owner: string; egg: string }
/** Node-allocation uuids of `at` by port, and one of another node. */
const port: Record<number, string> = {}
let foreign: string

async function allocate(node: string, ip: string, ports: number[], alias: string | null = null) {
  const res = await t.request('POST', `/api/admin/nodes/${node}/allocations`, {
    cookie: admin.cookie,
    body: { ip, ip_alias: alias, ports },
  })
  expect(res.status).toBe(200)
  const rows = await db().select().from(na).where(eq(na.node_uuid, node))
  return rows.filter((r) => String(r.ip).split('/')[0] === ip).sort((x, y) => x.port - y.port)
}

beforeAll(async () => {
  ;({ admin, plain, limited: manager, limitedKey: managerKey } = await adminCallers(t, ['servers.allocations']))
  ;({ limited: reader, limitedKey: readerKey } = await adminCallers(t, ['servers.read', 'servers.update']))
  at = await nodeOnDouble(t, admin)
  elsewhere = await nodeOnDouble(t, admin)
  refs = { node: at.node.uuid, owner: (await makeUser(t)).uuid, egg: (await makeEgg(t)).uuid }
  await allocate(at.node.uuid, '10.5.0.1', [25565, 25566, 25567], 'play.example.com')
  for (const a of await allocate(at.node.uuid, '10.5.0.2', [30000, 30001])) port[a.port] = a.uuid
  foreign = (await allocate(elsewhere.node.uuid, '10.6.0.1', [25565]))[0].uuid
}, SETUP_TIMEOUT)
afterAll(async () => {
  await at?.wings.stop()
  await elsewhere?.wings.stop()
})

const base = (server: string) => `/api/admin/servers/${server}/allocations`
const as = (auth: { cookie?: string; token?: string } = { cookie: manager.cookie }) => auth
const add = (server: string, allocation_uuid: unknown, auth = as()) =>
  t.request('POST', base(server), { ...auth, body: { allocation_uuid } })
const list = (server: string, query = '', auth = as()) => t.request('GET', `${base(server)}${query}`, auth)
const patch = (server: string, allocation: string, body: unknown, auth = as()) =>
  t.request('PATCH', `${base(server)}/${allocation}`, { ...auth, body })
const remove = (server: string, allocation: string, auth = as()) => t.request('DELETE', `${base(server)}/${allocation}`, auth)
const primaryOf = async (server: string) => (await db().select().from(servers).where(eq(servers.uuid, server)))[0].allocation_uuid
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

/** A server without allocations. */
const fresh = async () => (await insertServer(t, refs)).uuid

describe('POST /api/admin/servers/{server}/allocations', () => {
  test("adds an allocation of the server's node, logs server:allocation.create", async () => {
    const server = await fresh()
    const res = await add(server, port[30000])
    expect(res.status).toBe(200)
    expectModel(tb.Object({ allocation: ServerAllocation }), res.body)
    expect(res.body.allocation).toMatchObject({ ip: '10.5.0.2', ip_alias: null, port: 30000, notes: null, is_primary: false })
    const [event] = await adminEvents(t, admin, 'server:allocation.create')
    expect(event.data).toEqual({ uuid: res.body.allocation.uuid, server_uuid: server, ip: '10.5.0.2', ip_alias: null, port: 30000 })
    expect((await add(server, port[30001], { token: managerKey })).status).toBe(200)
  })

  test("another node's or an unknown allocation is 404 `allocation not found`; a held one 409", async () => {
    const server = await fresh()
    expect(await add(server, foreign)).toMatchObject({ status: 404, body: { errors: ['allocation not found'] } })
    expect(await add(server, UNKNOWN)).toMatchObject({ status: 404, body: { errors: ['allocation not found'] } })
    const other = await fresh()
    const [free] = await allocate(at.node.uuid, '10.5.0.3', [40000])
    expect((await add(other, free.uuid)).status).toBe(200)
    for (const who of [server, other]) {
      expect(await add(who, free.uuid)).toMatchObject({ status: 409, body: { errors: ['allocation is already assigned to a server'] } })
    }
    expect(await db().$count(serverAllocations, eq(serverAllocations.server_uuid, server))).toBe(0)
  })

  test('bad input 400; guarded; unknown server 404', async () => {
    const server = await fresh()
    expect((await add(server, 'not-a-uuid')).status).toBe(400)
    expect((await t.request('POST', base(server), { cookie: manager.cookie, body: {} })).status).toBe(400)
    await expectGuarded(
      t,
      { method: 'POST', path: base(server), body: { allocation_uuid: UNKNOWN } },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.allocations',
    )
    expect(await add('nope', UNKNOWN)).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await add(UNKNOWN, UNKNOWN)).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
  })
})

describe('GET /api/admin/servers/{server}/allocations', () => {
  test('pages the allocations oldest first, marks the primary, searches ip:port, alias:port and notes', async () => {
    const [a, b, c] = (await db().select().from(na).where(eq(na.ip_alias, 'play.example.com'))).sort((x, y) => x.port - y.port)
    const server = (await insertServer(t, refs)).uuid
    const uuids: string[] = []
    for (const allocation of [a, b, c]) uuids.push((await add(server, allocation.uuid)).body.allocation.uuid)
    await db().update(servers).set({ allocation_uuid: uuids[1] }).where(eq(servers.uuid, server))
    await db().update(serverAllocations).set({ notes: 'Voice chat' }).where(eq(serverAllocations.uuid, uuids[2]))
    const res = await list(server, '?per_page=2')
    expect(res.status).toBe(200)
    expectModel(tb.Object({ allocations: PageOf(ServerAllocation) }), res.body)
    expect(res.body.allocations).toMatchObject({ total: 3, per_page: 2, page: 1 })
    expect(res.body.allocations.data.map((x: any) => [x.port, x.is_primary])).toEqual([
      [25565, false],
      [25566, true],
    ])
    expect((await list(server, '?page=3')).body.allocations).toMatchObject({ total: 3, data: [] })
    const ports = async (search: string) =>
      (await list(server, `?search=${encodeURIComponent(search)}`)).body.allocations.data.map((x: any) => x.port)
    expect(await ports('10.5.0.1:25566')).toEqual([25566])
    expect(await ports('play.example.com:2556')).toEqual([25565, 25566, 25567])
    expect(await ports('voice')).toEqual([25567])
    expect(await ports('10.9')).toEqual([])
    expect((await list(server, '', { token: managerKey })).status).toBe(200)
  })

  test('bad pagination 400; guarded; unknown server 404', async () => {
    const server = await fresh()
    expect((await list(server, '?page=0')).status).toBe(400)
    await expectGuarded(
      t,
      { method: 'GET', path: base(server) },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.allocations',
    )
    expect(await list(UNKNOWN)).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
  })
})

describe('PATCH /api/admin/servers/{server}/allocations/{allocation}', () => {
  test('notes are set and cleared, primary made and unmade; server:allocation.update logged', async () => {
    const server = await fresh()
    const [free] = await allocate(at.node.uuid, '10.5.0.4', [41000])
    const one = (await add(server, free.uuid)).body.allocation.uuid
    expect(await patch(server, one, { notes: 'Query port', primary: true })).toMatchObject({ status: 200, body: {} })
    expect(await primaryOf(server)).toBe(one)
    expect((await list(server)).body.allocations.data[0]).toMatchObject({ notes: 'Query port', is_primary: true })
    const [event] = await adminEvents(t, admin, 'server:allocation.update')
    expect(event.data).toEqual({
      uuid: one,
      server_uuid: server,
      ip: '10.5.0.4',
      ip_alias: null,
      port: 41000,
      notes: 'Query port',
      primary: true,
    })
    expect(await patch(server, one, {}, { token: managerKey })).toMatchObject({ status: 200 })
    expect((await list(server)).body.allocations.data[0]).toMatchObject({ notes: 'Query port', is_primary: true })
    expect(await patch(server, one, { notes: null, primary: false })).toMatchObject({ status: 200 })
    expect(await primaryOf(server)).toBeNull()
    expect((await list(server)).body.allocations.data[0]).toMatchObject({ notes: null, is_primary: false })
  })

  test('primary: false on another allocation keeps the primary', async () => {
    const server = await fresh()
    const [x, y] = await allocate(at.node.uuid, '10.5.0.5', [42000, 42001])
    const first = (await add(server, x.uuid)).body.allocation.uuid
    const second = (await add(server, y.uuid)).body.allocation.uuid
    await patch(server, first, { primary: true })
    expect(await patch(server, second, { primary: false })).toMatchObject({ status: 200 })
    expect(await primaryOf(server)).toBe(first)
    await patch(server, second, { primary: true })
    expect(await primaryOf(server)).toBe(second)
  })

  test("bad input 400; another server's or an unknown allocation 404; guarded", async () => {
    const server = await fresh()
    const [free] = await allocate(at.node.uuid, '10.5.0.6', [43000])
    const one = (await add(server, free.uuid)).body.allocation.uuid
    expect((await patch(server, one, { notes: '' })).status).toBe(400)
    expect((await patch(server, one, { notes: 'x'.repeat(1025) })).status).toBe(400)
    expect((await patch(server, one, { primary: 'yes' })).status).toBe(400)
    expect(await patch(server, 'nope', {})).toMatchObject({ status: 400, body: { errors: ['invalid allocation uuid'] } })
    expect(await patch(server, UNKNOWN, {})).toMatchObject({ status: 404, body: { errors: ['allocation not found'] } })
    expect(await patch(await fresh(), one, {})).toMatchObject({ status: 404, body: { errors: ['allocation not found'] } })
    expect(await patch(UNKNOWN, one, {})).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
    await expectGuarded(
      t,
      { method: 'PATCH', path: `${base(server)}/${one}`, body: {} },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.allocations',
    )
  })
})

describe('DELETE /api/admin/servers/{server}/allocations/{allocation}', () => {
  test('frees the allocation (the primary leaves none), logs server:allocation.delete', async () => {
    const server = await fresh()
    const [x, y] = await allocate(at.node.uuid, '10.5.0.7', [44000, 44001])
    const first = (await add(server, x.uuid)).body.allocation.uuid
    const second = (await add(server, y.uuid)).body.allocation.uuid
    await patch(server, first, { primary: true })
    expect(await remove(server, first)).toMatchObject({ status: 200, body: {} })
    expect(await primaryOf(server)).toBeNull()
    const [event] = await adminEvents(t, admin, 'server:allocation.delete')
    expect(event.data).toEqual({ uuid: first, server_uuid: server, ip: '10.5.0.7', ip_alias: null, port: 44000 })
    expect((await remove(server, second, { token: managerKey })).status).toBe(200)
    expect((await list(server)).body.allocations.total).toBe(0)
    expect((await add(await fresh(), x.uuid)).status).toBe(200)
  })

  test('bad uuid 400; unknown 404; guarded', async () => {
    const server = await fresh()
    const [free] = await allocate(at.node.uuid, '10.5.0.8', [45000])
    const one = (await add(server, free.uuid)).body.allocation.uuid
    expect(await remove(server, 'nope')).toMatchObject({ status: 400, body: { errors: ['invalid allocation uuid'] } })
    expect(await remove(server, UNKNOWN)).toMatchObject({ status: 404, body: { errors: ['allocation not found'] } })
    expect(await remove(UNKNOWN, one)).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
    await expectGuarded(
      t,
      { method: 'DELETE', path: `${base(server)}/${one}` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.allocations',
    )
    expect(await db().$count(serverAllocations, eq(serverAllocations.uuid, one))).toBe(1)
  })
})

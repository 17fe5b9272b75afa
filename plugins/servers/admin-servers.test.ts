import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, expectGuarded, expectModel, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { AdminServer } from './model'
import { serverAllocations, servers } from './tables'
import { insertServer, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let other: AdminCaller
let at: DoubleNode
let second: DoubleNode
let egg: { uuid: string; nest: string }
let owner: { uuid: string; username: string }
let bc: string
let first: typeof servers.$inferSelect
let elsewhere: typeof servers.$inferSelect

/** A server whose primary allocation is the node's `port` allocation (created for it). */
async function withPrimary(row: typeof servers.$inferSelect, node: string, port: number, notes: string | null = null) {
  const made = await t.request('POST', `/api/admin/nodes/${node}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.1.0.1', ip_alias: 'game', ports: [port] },
  })
  expect(made.status).toBe(200)
  const [allocation] = await db().select().from(allocationTables.nodeAllocations).where(eq(allocationTables.nodeAllocations.port, port))
  const [claim] = await db()
    .insert(serverAllocations)
    .values({ server_uuid: row.uuid, allocation_uuid: allocation.uuid, notes })
    .returning()
  await db().update(servers).set({ allocation_uuid: claim.uuid }).where(eq(servers.uuid, row.uuid))
  return { allocation, claim }
}

beforeAll(async () => {
  ;({ admin, plain, limited: reader } = await adminCallers(t, ['servers.read']))
  ;({ limited: other } = await adminCallers(t, ['nodes.read']))
  at = await nodeOnDouble(t, admin)
  second = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  owner = await makeUser(t)
  const config = await t.request('POST', '/api/admin/backup-configurations', {
    cookie: admin.cookie,
    body: { name: 'servers-bc', maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {} },
  })
  bc = config.body.backup_configuration.uuid
  const refs = { node: at.node.uuid, owner: owner.uuid, egg: egg.uuid }
  first = await insertServer(t, refs, {
    name: 'alpha survival',
    external_id: 'billing-1',
    backup_configuration_uuid: bc,
    pinned_cpus: [1, 3],
  })
  await withPrimary(first, at.node.uuid, 25565, 'main port')
  await insertServer(t, refs, { name: 'beta creative', external_id: 'billing-1' })
  elsewhere = await insertServer(t, { ...refs, node: second.node.uuid }, { name: 'gamma', suspended: true, status: 'installing' })
}, SETUP_TIMEOUT)
afterAll(async () => {
  await at?.wings.stop()
  await second?.wings.stop()
})

const get = (path: string) => t.request('GET', path, { cookie: reader.cookie })
const names = (page: { data: { name: string }[] }) => page.data.map((s) => s.name)

describe('GET /api/admin/servers', () => {
  test('every server, oldest first, as AdminServer; search by name', async () => {
    const res = await get('/api/admin/servers')
    expect(res.status).toBe(200)
    expect(res.body.servers).toMatchObject({ total: 3, page: 1 })
    expect(names(res.body.servers)).toEqual(['alpha survival', 'beta creative', 'gamma'])
    for (const server of res.body.servers.data) expectModel(AdminServer, server)
    expect(names((await get('/api/admin/servers?search=creat')).body.servers)).toEqual(['beta creative'])
  })

  test('the fields that are derived: uuid_short, primary allocation, relations, limits, transfer and state', async () => {
    const [alpha, , gamma] = (await get('/api/admin/servers')).body.servers.data
    expect(alpha.uuid_short).toBe(first.uuid.slice(0, 8))
    expect(alpha.allocation).toMatchObject({ ip: '10.1.0.1', ip_alias: 'game', port: 25565, notes: 'main port', is_primary: true })
    expect(alpha).toMatchObject({
      node: { uuid: at.node.uuid, name: at.node.name },
      owner: { uuid: owner.uuid, username: owner.username },
      egg: { uuid: egg.uuid, name: 'Paper' },
      nest: { uuid: egg.nest },
      backup_configuration: { uuid: bc, name: 'servers-bc' },
      limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 4096, io_weight: null },
      feature_limits: { allocations: 0, databases: 0, backups: 0, schedules: 0 },
      pinned_cpus: [1, 3],
      auto_kill: { enabled: false, seconds: 30 },
      auto_start_behavior: 'unless_stopped',
      is_transferring: false,
      status: null,
      is_suspended: false,
    })
    expect(gamma).toMatchObject({ allocation: null, backup_configuration: null, status: 'installing', is_suspended: true })
  })
})

describe('GET /api/admin/servers/{server} and /servers/external/{external_id}', () => {
  test('one server; bad uuid 400, unknown 404', async () => {
    const res = await get(`/api/admin/servers/${first.uuid}`)
    expect(res.status).toBe(200)
    expectModel(AdminServer, res.body.server)
    expect(res.body.server.uuid).toBe(first.uuid)
    expect(await get('/api/admin/servers/nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await get('/api/admin/servers/00000000-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { errors: ['server not found'] },
    })
  })

  test('by external id: the oldest match; unknown 404', async () => {
    expect((await get('/api/admin/servers/external/billing-1')).body.server.uuid).toBe(first.uuid)
    expect(await get('/api/admin/servers/external/billing-9')).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
  })

  test('401 / 403 without servers.read', async () => {
    for (const path of ['/api/admin/servers', `/api/admin/servers/${first.uuid}`, '/api/admin/servers/external/billing-1']) {
      await expectGuarded(t, { method: 'GET', path }, plain, [{ cookie: other.cookie }], 'servers.read')
    }
  })
})

describe('GET /api/admin/nodes/{node}/servers', () => {
  test("only the node's servers; bad uuid 400, unknown node 404", async () => {
    const onSecond = (await get(`/api/admin/nodes/${second.node.uuid}/servers`)).body.servers
    expect(onSecond.data.map((s: { uuid: string }) => s.uuid)).toEqual([elsewhere.uuid])
    expect((await get(`/api/admin/nodes/${at.node.uuid}/servers?search=alpha`)).body.servers.total).toBe(1)
    expect(await get('/api/admin/nodes/nope/servers')).toMatchObject({ status: 400, body: { errors: ['invalid node uuid'] } })
    expect((await get('/api/admin/nodes/00000000-0000-4000-8000-000000000000/servers')).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/nodes/${at.node.uuid}/servers` },
      plain,
      [{ cookie: other.cookie }],
      'servers.read',
    )
  })
})

describe('lists other plugins show, filled by servers', () => {
  test("an egg's and a backup configuration's servers", async () => {
    const eggServers = await t.request('GET', `/api/admin/nests/${egg.nest}/eggs/${egg.uuid}/servers`, { cookie: admin.cookie })
    expect(names(eggServers.body.servers)).toEqual(['alpha survival', 'beta creative', 'gamma'])
    const bcServers = await t.request('GET', `/api/admin/backup-configurations/${bc}/servers`, { cookie: admin.cookie })
    expect(names(bcServers.body.servers)).toEqual(['alpha survival'])
  })

  test('node allocations: assigned ones carry their server, filter by assigned and notes, and are kept by a plain delete', async () => {
    const list = (query = '') => t.request('GET', `/api/admin/nodes/${at.node.uuid}/allocations${query}`, { cookie: admin.cookie })
    const [allocation] = (await list()).body.allocations.data
    expect(allocation.server).toMatchObject({ uuid: first.uuid, name: 'alpha survival' })
    expect((await list('?assigned=false')).body.allocations.total).toBe(0)
    expect((await list('?search=main')).body.allocations.total).toBe(1)
    const available = await t.request('GET', `/api/admin/nodes/${at.node.uuid}/allocations/available`, { cookie: admin.cookie })
    expect(available.body.allocations.total).toBe(0)
    const plainDelete = await t.request('DELETE', `/api/admin/nodes/${at.node.uuid}/allocations`, {
      cookie: admin.cookie,
      body: { selector: { type: 'all' } },
    })
    expect(plainDelete.status).toBe(409)
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, adminEvents, expectGuarded, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { DESTINATION_DELETE_MS } from './service/clear-state'
import { serverAllocations, servers } from './tables'
import { insertServer, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
const na = allocationTables.nodeAllocations
let admin: AdminCaller
let plain: AdminCaller
let updater: AdminCaller
let updaterKey: string
let reader: AdminCaller
let readerKey: string
let source: DoubleNode
let destination: DoubleNode
let refs: { node: string; owner: string; egg: string }
let nextPort = 20000

beforeAll(async () => {
  ;({ admin, plain, limited: updater, limitedKey: updaterKey } = await adminCallers(t, ['servers.update']))
  ;({ limited: reader, limitedKey: readerKey } = await adminCallers(t, ['servers.read', 'servers.variables']))
  source = await nodeOnDouble(t, admin)
  destination = await nodeOnDouble(t, admin)
  refs = { node: source.node.uuid, owner: (await makeUser(t)).uuid, egg: (await makeEgg(t)).uuid }
}, SETUP_TIMEOUT)
afterAll(async () => {
  await source?.wings.stop()
  await destination?.wings.stop()
})

/** A node allocation of `node` given to `server` (inserted directly); its server-allocation uuid. */
async function claim(node: string, server: string): Promise<string> {
  const [allocation] = await db().insert(na).values({ node_uuid: node, ip: '10.7.0.1', port: nextPort++ }).returning()
  const [row] = await db().insert(serverAllocations).values({ server_uuid: server, allocation_uuid: allocation.uuid }).returning()
  return row.uuid
}

/** A server installing on `source` while moving to `destination`: a primary on each node. */
async function transferring() {
  const server = await insertServer(t, refs, { status: 'installing' })
  const own = await claim(source.node.uuid, server.uuid)
  const incoming = await claim(destination.node.uuid, server.uuid)
  await db()
    .update(servers)
    .set({ allocation_uuid: own, destination_node_uuid: destination.node.uuid, destination_allocation_uuid: incoming })
    .where(eq(servers.uuid, server.uuid))
  return { uuid: server.uuid, own, incoming }
}

const clear = (uuid: string, auth: { cookie?: string; token?: string } = { cookie: updater.cookie }) =>
  t.request('POST', `/api/admin/servers/${uuid}/clear-state`, auth)
const row = async (uuid: string) => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]
const claims = async (uuid: string) =>
  (await db().select().from(serverAllocations).where(eq(serverAllocations.server_uuid, uuid))).map((a) => a.uuid)

describe('POST /api/admin/servers/{server}/clear-state', () => {
  test('drops the transfer, frees the destination allocations, asks the destination to delete, logs server:clear-state', async () => {
    const s = await transferring()
    const mark = destination.wings.requests.length
    expect(await clear(s.uuid)).toMatchObject({ status: 200, body: {} })
    expect(await row(s.uuid)).toMatchObject({
      status: null,
      allocation_uuid: s.own,
      destination_node_uuid: null,
      destination_allocation_uuid: null,
    })
    expect(await claims(s.uuid)).toEqual([s.own])
    expect(destination.wings.requests.slice(mark).map((r) => `${r.method} ${r.path}`)).toContain(`DELETE /api/servers/${s.uuid}`)
    const [event] = await adminEvents(t, admin, 'server:clear-state')
    expect(event.data).toEqual({ uuid: s.uuid })
  })

  test('without a transfer only the status is cleared and no node is asked', async () => {
    const server = await insertServer(t, refs, { status: 'install_failed' })
    const own = await claim(source.node.uuid, server.uuid)
    const marks = [source.wings.requests.length, destination.wings.requests.length]
    expect(await clear(server.uuid, { token: updaterKey })).toMatchObject({ status: 200 })
    expect(await row(server.uuid)).toMatchObject({ status: null, destination_node_uuid: null })
    expect(await claims(server.uuid)).toEqual([own])
    expect([source.wings.requests.length, destination.wings.requests.length]).toEqual(marks)
  })

  test('a destination that is down or slow does not fail it, and is waited for at most DESTINATION_DELETE_MS', async () => {
    const down = await transferring()
    const heal = destination.wings.fail({ kind: 'down' })
    expect((await clear(down.uuid)).status).toBe(200)
    heal()
    expect(await row(down.uuid)).toMatchObject({ status: null, destination_node_uuid: null })
    const slow = await transferring()
    const unslow = destination.wings.fail({ kind: 'slow', ms: 20_000, route: 'DELETE /api/servers/*' })
    const started = performance.now()
    const res = await clear(slow.uuid)
    const took = performance.now() - started
    unslow()
    expect(res.status).toBe(200)
    expect(took).toBeGreaterThan(DESTINATION_DELETE_MS - 500)
    expect(took).toBeLessThan(DESTINATION_DELETE_MS + 1_500)
    expect(await claims(slow.uuid)).toEqual([slow.own])
  }, 20_000)

  test('guarded; bad uuid 400, unknown 404', async () => {
    const s = await transferring()
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/servers/${s.uuid}/clear-state` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'servers.update',
    )
    expect(await row(s.uuid)).toMatchObject({ status: 'installing', destination_node_uuid: destination.node.uuid })
    expect(await clear('nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await clear('00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
  })
})

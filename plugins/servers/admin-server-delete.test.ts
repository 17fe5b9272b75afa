import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, adminEvents, expectGuarded, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { getNode } from '../nodes'
import { serverAllocations, servers } from './tables'
import { makeEgg, nodeOnDouble, serverBody, servingDocuments, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let deleter: AdminCaller
let reader: AdminCaller
let at: DoubleNode
let refs: { owner_uuid: string; egg_uuid: string }
const free: string[] = []

beforeAll(async () => {
  ;({ admin, plain, limited: deleter } = await adminCallers(t, ['servers.delete']))
  ;({ limited: reader } = await adminCallers(t, ['servers.read']))
  at = await nodeOnDouble(t, admin, servingDocuments(t))
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  refs = { owner_uuid: (await makeUser(t)).uuid, egg_uuid: (await makeEgg(t)).uuid }
  await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.4.0.1', ip_alias: null, ports: [1, 2, 3, 4, 5] },
  })
  const na = allocationTables.nodeAllocations
  free.push(...(await db().select().from(na).where(eq(na.node_uuid, at.node.uuid))).map((a) => a.uuid))
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

/** A server made through the API (so Wings knows it), with a primary allocation. */
async function made(): Promise<string> {
  const res = await t.request('POST', '/api/admin/servers', {
    cookie: admin.cookie,
    body: serverBody({ ...refs, node_uuid: at.node.uuid }, { allocation_uuid: free.shift(), name: 'doomed' }),
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.server.uuid
}

const remove = (uuid: string, body: unknown = {}, cookie = deleter.cookie) =>
  t.request('DELETE', `/api/admin/servers/${uuid}`, { cookie, body })
const stored = async (uuid: string) => db().$count(servers, eq(servers.uuid, uuid))

describe('DELETE /api/admin/servers/{server}', () => {
  test('Wings forgets it, the row and its claims go, server:delete is logged', async () => {
    const uuid = await made()
    expect(at.wings.servers.has(uuid)).toBe(true)
    expect(await remove(uuid)).toMatchObject({ status: 200, body: {} })
    expect(at.wings.servers.has(uuid)).toBe(false)
    expect(await stored(uuid)).toBe(0)
    expect(await db().$count(serverAllocations, eq(serverAllocations.server_uuid, uuid))).toBe(0)
    const [event] = await adminEvents(t, admin, 'server:delete')
    expect(event.data).toEqual({ uuid, name: 'doomed' })
  })

  test('a node that fails keeps the server (502) unless forced', async () => {
    const uuid = await made()
    for (const fault of [{ kind: 'down' }, { kind: 'status', route: 'DELETE /api/servers/*' }] as const) {
      const heal = at.wings.fail(fault)
      const res = await remove(uuid)
      heal()
      expect(res).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
      expect(await stored(uuid)).toBe(1)
    }
    const heal = at.wings.fail({ kind: 'down' })
    const forced = await remove(uuid, { force: true })
    heal()
    expect(forced.status).toBe(200)
    expect(await stored(uuid)).toBe(0)
  })

  test('a server Wings no longer knows is deleted', async () => {
    const uuid = await made()
    await serversApi(t)
      .wings(await getNode(db(), at.node.uuid))
      .deleteServer(uuid)
    expect((await remove(uuid)).status).toBe(200)
    expect(await stored(uuid)).toBe(0)
  })

  test('guarded; bad uuid 400, unknown 404', async () => {
    const uuid = await made()
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/servers/${uuid}`, body: {} },
      plain,
      [{ cookie: reader.cookie }],
      'servers.delete',
    )
    expect(await remove('nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect(await remove('00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { errors: ['server not found'] } })
    expect(await stored(uuid)).toBe(1)
  })
})

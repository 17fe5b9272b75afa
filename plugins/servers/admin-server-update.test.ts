import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, adminEvents, expectGuarded, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { getNode } from '../nodes'
import { servers } from './tables'
import { makeEgg, nodeOnDouble, serverBody, servingDocuments, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let updater: AdminCaller
let reader: AdminCaller
let at: DoubleNode
let uuid: string

beforeAll(async () => {
  ;({ admin, plain, limited: updater } = await adminCallers(t, ['servers.update']))
  ;({ limited: reader } = await adminCallers(t, ['servers.read']))
  at = await nodeOnDouble(t, admin, servingDocuments(t))
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  const res = await t.request('POST', '/api/admin/servers', {
    cookie: admin.cookie,
    body: serverBody(
      { node_uuid: at.node.uuid, owner_uuid: (await makeUser(t)).uuid, egg_uuid: (await makeEgg(t)).uuid },
      { name: 'before', external_id: 'crm-1', limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 1024, io_weight: 100 } },
    ),
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  uuid = res.body.server.uuid
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const patch = (body: unknown, cookie = updater.cookie, id = uuid) => t.request('PATCH', `/api/admin/servers/${id}`, { cookie, body })
const row = async () => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]

/** The next configuration push the double receives for the server (the push is not awaited by the route). */
async function nextSync(after: number) {
  const deadline = performance.now() + 3_000
  while (performance.now() < deadline) {
    const sync = at.wings.requests.slice(after).find((r) => r.path === `/api/servers/${uuid}/sync`)
    if (sync) return sync.body as { server: { settings: Record<string, any> } }
    await Bun.sleep(10)
  }
  throw new Error('no sync reached the node')
}

describe('PATCH /api/admin/servers/{server}', () => {
  test('changes the row, pushes the new configuration to Wings, logs server:update', async () => {
    const mark = at.wings.requests.length
    const limits = { cpu: 200, memory: 4096, memory_overhead: 128, swap: -1, disk: 2048 }
    expect(await patch({ name: 'after', limits, pinned_cpus: [2], auto_kill: { enabled: true, seconds: 60 } })).toMatchObject({
      status: 200,
      body: {},
    })
    expect(await row()).toMatchObject({
      name: 'after',
      ...limits,
      io_weight: null,
      pinned_cpus: [2],
      auto_kill: { enabled: true, seconds: 60 },
      external_id: 'crm-1',
    })
    const { server } = await nextSync(mark)
    expect(server.settings).toMatchObject({
      meta: { name: 'after' },
      build: { memory_limit: 4096, swap: -1, threads: '2' },
      auto_kill: { seconds: 60 },
    })
    expect(at.wings.servers.get(uuid)?.config.settings.meta.name).toBe('after')
    const [event] = await adminEvents(t, admin, 'server:update')
    expect(event.data).toMatchObject({ uuid, name: 'after', limits, feature_limits: null })
    expect(event.data).not.toHaveProperty('suspended')
  })

  test('suspend and unsuspend: each is pushed, and Wings stops a suspended server', async () => {
    const wings = serversApi(t).wings(await getNode(db(), at.node.uuid))
    await wings.power(uuid, 'start')
    let mark = at.wings.requests.length
    expect((await patch({ suspended: true })).status).toBe(200)
    expect((await nextSync(mark)).server.settings.suspended).toBe(true)
    expect(at.wings.servers.get(uuid)?.state).toBe('offline')
    expect((await row()).suspended).toBe(true)
    mark = at.wings.requests.length
    expect((await patch({ suspended: false })).status).toBe(200)
    expect((await nextSync(mark)).server.settings.suspended).toBe(false)
  })

  test('null clears; bad relations, auto kill and time zones are 400', async () => {
    expect((await patch({ external_id: null, description: null, timezone: null })).status).toBe(200)
    expect(await row()).toMatchObject({ external_id: null, description: null, timezone: null })
    const NO = '00000000-0000-4000-8000-000000000000'
    for (const [body, message] of [
      [{ owner_uuid: NO }, 'invalid relation `owner` provided'],
      [{ egg_uuid: NO }, 'invalid relation `egg` provided'],
      [{ backup_configuration_uuid: NO }, 'invalid relation `backup_configuration` provided'],
      [{ auto_kill: { enabled: true, seconds: 0 } }, 'auto kill seconds must be between 1 and 3600'],
      [{ timezone: 'Nowhere/Land' }, "timezone: unknown time zone 'Nowhere/Land'"],
    ] as const) {
      expect(await patch(body)).toMatchObject({ status: 400, body: { errors: [message] } })
    }
    expect((await patch({ name: '' })).status).toBe(400)
    expect((await row()).name).toBe('after')
  })

  test('a node that is down does not fail the change (the push is only logged)', async () => {
    const heal = at.wings.fail({ kind: 'down' })
    const res = await patch({ name: 'offline edit' })
    await Bun.sleep(50)
    heal()
    expect(res.status).toBe(200)
    expect((await row()).name).toBe('offline edit')
  })

  test('guarded; bad uuid 400, unknown 404', async () => {
    await expectGuarded(
      t,
      { method: 'PATCH', path: `/api/admin/servers/${uuid}`, body: {} },
      plain,
      [{ cookie: reader.cookie }],
      'servers.update',
    )
    expect(await patch({}, admin.cookie, 'nope')).toMatchObject({ status: 400, body: { errors: ['invalid server uuid'] } })
    expect((await patch({}, admin.cookie, '00000000-0000-4000-8000-000000000000')).status).toBe(404)
  })
})

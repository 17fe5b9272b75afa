import { afterAll, beforeAll, expect, test } from 'bun:test'
import { adminCallers, expectGuarded, expectModel, roleCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { model as nodeModel } from '../nodes'
import { nodeOnDouble, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let inSync: DoubleNode
let ahead: DoubleNode
let behind: DoubleNode
let down: DoubleNode

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nodes.read']))
  inSync = await nodeOnDouble(t, admin)
  ahead = await nodeOnDouble(t, admin, undefined, { clockOffsetMs: 12_000 })
  behind = await nodeOnDouble(t, admin, undefined, { clockOffsetMs: -7_000 })
  down = await nodeOnDouble(t, admin)
  down.wings.fail({ kind: 'down' })
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 600 }
}, SETUP_TIMEOUT)
afterAll(async () => {
  for (const n of [inSync, ahead, behind, down]) await n?.wings.stop()
})

test('GET /api/admin/system/health/nodes: nodes 5 s or more off, with both times; nodes that do not answer are counted', async () => {
  const started = Date.now()
  const res = await t.request('GET', '/api/admin/system/health/nodes', { cookie: reader.cookie })
  expect(Date.now() - started).toBeLessThan(10_000)
  expect(res.status).toBe(200)
  expect(res.body.failed_nodes).toBe(1)
  expect(res.body.desync_nodes).toMatchObject({ total: 2, page: 1, per_page: 10 })
  const [first, second] = res.body.desync_nodes.data
  expect([first.node.uuid, second.node.uuid]).toEqual([ahead.node.uuid, behind.node.uuid])
  expectModel(nodeModel.Node, first.node)
  const drift = (x: any) => Date.parse(x.local_time) - Date.parse(x.panel_local_time)
  expect(drift(first)).toBeGreaterThan(11_000)
  expect(drift(second)).toBeLessThan(-6_000)
  expect(JSON.stringify(res.body)).not.toContain('"token"')
  // Paged over the drifting nodes; the node clocks are kept 30 s, so the down node is not asked again.
  const requests = down.wings.requests.length
  const second_page = await t.request('GET', '/api/admin/system/health/nodes?per_page=1&page=2', { token: readerKey })
  expect(second_page.body.desync_nodes).toMatchObject({ total: 2, page: 2, per_page: 1 })
  expect(second_page.body.desync_nodes.data.map((x: any) => x.node.uuid)).toEqual([behind.node.uuid])
  expect(down.wings.requests.length).toBe(requests)
})

test('guarded by nodes.read; bad paging is a 400', async () => {
  const statsOnly = await roleCaller(t, admin, ['stats.read'])
  await expectGuarded(t, { method: 'GET', path: '/api/admin/system/health/nodes' }, plain, [{ cookie: statsOnly.cookie }], 'nodes.read')
  expect((await t.request('GET', '/api/admin/system/health/nodes', { cookie: admin.cookie })).status).toBe(200)
  expect((await t.request('GET', '/api/admin/system/health/nodes?per_page=101', { cookie: admin.cookie })).status).toBe(400)
})

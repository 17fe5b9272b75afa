import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  adminCallers,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { nodeOnDouble, serverBody, serversApi, type DoubleNode } from './test-fixtures'
import { SystemLogs, SystemOverview, SystemStats } from './wings/model'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let limited: AdminCaller
let at: DoubleNode

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nodes.read']))
  ;({ limited } = await adminCallers(t, ['nodes.update']))
  at = await nodeOnDouble(t, admin)
  // Short deadlines, so that a slow node shows within a test.
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 600 }
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const path = (rest: string, node = at.node.uuid) => `/api/admin/nodes/${node}/system${rest}`
const get = (rest: string, node?: string) => t.request('GET', path(rest, node), { cookie: reader.cookie })
const UNREACHABLE = () => ({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
const SYSTEM = ['/overview', '/stats', '/logs', '/logs/wings.log']

test('every route of the plugin is guarded', async () => {
  const uuid = '00000000-0000-4000-8000-000000000000'
  const create = serverBody({ node_uuid: uuid, owner_uuid: uuid, egg_uuid: uuid })
  const { node_uuid: _node, ...deploy } = create
  const swept = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'servers',
    bodies: {
      'POST /api/admin/servers': create,
      'POST /api/admin/servers/deploy': { ...deploy, deployment: { location_uuids: [uuid], allow_overallocation: false } },
      'POST /api/admin/servers/:server/allocations': { allocation_uuid: uuid },
    },
  })
  expect(swept.length).toBeGreaterThanOrEqual(20)
})

describe('GET /api/admin/nodes/{node}/system/*', () => {
  test("overview, stats and logs are Wings' answers", async () => {
    const overview = await get('/overview')
    expect(overview.status).toBe(200)
    expectModel(SystemOverview, overview.body)
    expect(overview.body).toMatchObject({ version: '1.0.0-double', servers: { total: 0 } })
    expectModel(SystemStats, (await get('/stats')).body)
    const logs = await get('/logs')
    expectModel(SystemLogs, logs.body)
    expect(logs.body.log_files.map((f: { name: string }) => f.name)).toEqual(['wings.log'])
    expect(at.wings.requests.at(-1)?.headers.authorization).toStartWith('Bearer ')
  })

  test('a log file is text/plain, its last `lines` lines (default 1000)', async () => {
    const two = await get('/logs/wings.log?lines=2')
    expect(two.status).toBe(200)
    expect(two.headers.get('content-type')).toStartWith('text/plain')
    expect(two.text).toBe('INFO configured the panel connection\nINFO listening for HTTP requests\n')
    expect((await get('/logs/wings.log')).status).toBe(200)
    expect(at.wings.requests.at(-1)?.query).toBe('?lines=1000')
    expect(await get('/logs/missing.log')).toMatchObject({ status: 404, body: { errors: ['file not found'] } })
    expect((await get('/logs/wings.log?lines=0')).status).toBe(400)
  })

  test('unauthenticated 401, outside the admin area or without nodes.read 403', async () => {
    for (const rest of SYSTEM) {
      await expectGuarded(t, { method: 'GET', path: path(rest) }, plain, [{ cookie: limited.cookie }], 'nodes.read')
    }
    expect((await t.request('GET', path('/overview'), { token: readerKey })).status).toBe(200)
  })

  test('a bad node uuid is 400, an unknown node 404', async () => {
    for (const rest of SYSTEM) {
      expect(await get(rest, 'nope')).toMatchObject({ status: 400, body: { errors: ['invalid node uuid'] } })
      expect(await get(rest, '00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { errors: ['node not found'] } })
    }
  })

  test('a node that is down is 502 on every route', async () => {
    const heal = at.wings.fail({ kind: 'down' })
    try {
      for (const rest of SYSTEM) expect(await get(rest)).toMatchObject(UNREACHABLE())
    } finally {
      heal()
    }
    expect((await get('/overview')).status).toBe(200)
  })

  test('slow past the deadline, garbage and 500 are 502 within the deadline', async () => {
    at.wings.fail({ kind: 'slow', ms: 3_000, route: 'GET /api/system/stats', times: 1 })
    const started = performance.now()
    expect(await get('/stats')).toMatchObject(UNREACHABLE())
    expect(performance.now() - started).toBeLessThan(1_500)
    at.wings.fail({ kind: 'html', route: 'GET /api/system/overview', times: 1 })
    expect(await get('/overview')).toMatchObject(UNREACHABLE())
    at.wings.fail({ kind: 'truncated', route: 'GET /api/system/logs', times: 1 })
    expect(await get('/logs')).toMatchObject(UNREACHABLE())
    at.wings.fail({ kind: 'status', route: 'GET /api/system/logs/*', times: 1 })
    expect(await get('/logs/wings.log')).toMatchObject(UNREACHABLE())
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { adminCallers, adminEvents, expectGuarded, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { stripConfigPatch } from './service/node-config'
import { nodeOnDouble, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let updater: AdminCaller
let at: DoubleNode
let other: DoubleNode

beforeAll(async () => {
  ;({ admin, plain, limited: reader } = await adminCallers(t, ['nodes.read']))
  ;({ limited: updater } = await adminCallers(t, ['nodes.update']))
  at = await nodeOnDouble(t, admin)
  other = await nodeOnDouble(t, admin)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 600 }
}, SETUP_TIMEOUT)
afterAll(async () => {
  await at?.wings.stop()
  await other?.wings.stop()
})

const configPath = (node = at.node.uuid) => `/api/admin/nodes/${node}/config`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'

describe('stripConfigPatch (spec 02 §6.8 c)', () => {
  test('removes the forbidden paths, and a non-object where a path goes on', () => {
    const patch = {
      uuid: 'x',
      api: { port: 1, ssl: {}, upload_limit: 5, schedule: { steps: { http_request: {}, other: 1 } } },
      system: 'flat',
      docker: { socket: '/s', tmpfs_size: 9 },
    }
    expect(stripConfigPatch(patch)).toEqual({ api: { upload_limit: 5, schedule: { steps: { other: 1 } } }, docker: { tmpfs_size: 9 } })
    expect(patch.uuid).toBe('x')
  })
})

describe('GET /api/admin/nodes/{node}/config', () => {
  test('the live configuration; the token redacted without nodes.read-token; cached', async () => {
    const full = await t.request('GET', configPath(), { cookie: admin.cookie })
    expect(full.status).toBe(200)
    expect(full.body.config).toMatchObject({ uuid: expect.any(String), api: { port: at.wings.port } })
    expect(full.body.config.token).toHaveLength(64)
    const redacted = await t.request('GET', configPath(), { cookie: reader.cookie })
    expect(redacted.body.config).toMatchObject({ token_id: 'redacted', token: 'redacted' })
    at.wings.config.app_name = 'changed behind the panel'
    expect((await t.request('GET', configPath(), { cookie: admin.cookie })).body.config.app_name).toBe(full.body.config.app_name)
  })

  test('guarded; bad uuid 400, unknown 404, node down 502', async () => {
    await expectGuarded(t, { method: 'GET', path: configPath() }, plain, [{ cookie: updater.cookie }], 'nodes.read')
    expect(await t.request('GET', configPath('nope'), { cookie: admin.cookie })).toMatchObject({
      status: 400,
      body: { errors: ['invalid node uuid'] },
    })
    expect((await t.request('GET', configPath(NO_SUCH), { cookie: admin.cookie })).status).toBe(404)
    const heal = other.wings.fail({ kind: 'down' })
    const down = await t.request('GET', configPath(other.node.uuid), { cookie: admin.cookie })
    heal()
    expect(down).toMatchObject({ status: 502, body: { errors: [`node ${other.node.name} is unreachable`] } })
  })
})

describe('PATCH /api/admin/nodes/{node}/config', () => {
  test('forwards the stripped patch, drops the cache, logs node:update-config', async () => {
    const res = await t.request('PATCH', configPath(), {
      cookie: updater.cookie,
      body: { remote: 'http://evil', api: { port: 1, upload_limit: 300 }, throttles: { lines: 10 } },
    })
    expect(res).toMatchObject({ status: 200, body: { applied: true } })
    expect(at.wings.requests.findLast((r) => r.path === '/api/update')?.body).toEqual({
      api: { upload_limit: 300 },
      throttles: { lines: 10 },
    })
    expect(at.wings.problems).toEqual([])
    const config = (await t.request('GET', configPath(), { cookie: admin.cookie })).body.config
    expect(config).toMatchObject({ api: { upload_limit: 300 }, throttles: { lines: 10 }, app_name: 'changed behind the panel' })
    const [event] = await adminEvents(t, admin, 'node:update-config')
    expect(event.data).toEqual({ uuid: at.node.uuid, config: { api: { upload_limit: 300 }, throttles: { lines: 10 } } })
  })

  test('a node ignoring panel updates answers applied false (still logged)', async () => {
    other.wings.config.ignore_panel_config_updates = true
    const before = (await adminEvents(t, admin, 'node:update-config')).length
    const res = await t.request('PATCH', configPath(other.node.uuid), { cookie: admin.cookie, body: { debug: true } })
    other.wings.config.ignore_panel_config_updates = false
    expect(res).toMatchObject({ status: 200, body: { applied: false } })
    expect(await adminEvents(t, admin, 'node:update-config')).toHaveLength(before + 1)
  })

  test('guarded; a body that is not an object 400; node down 502', async () => {
    await expectGuarded(t, { method: 'PATCH', path: configPath(), body: {} }, plain, [{ cookie: reader.cookie }], 'nodes.update')
    expect((await t.request('PATCH', configPath(), { cookie: admin.cookie, body: [1] })).status).toBe(400)
    const heal = at.wings.fail({ kind: 'down' })
    const down = await t.request('PATCH', configPath(), { cookie: admin.cookie, body: { debug: true } })
    heal()
    expect(down).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
  })
})

describe('PATCH /api/admin/nodes/config', () => {
  test('counts the nodes that applied it: not unknown, failing or ignoring ones', async () => {
    const body = (node_uuids: string[]) => ({ node_uuids, config: { docker: { tmpfs_size: 123 } } })
    const both = await t.request('PATCH', '/api/admin/nodes/config', {
      cookie: updater.cookie,
      body: body([at.node.uuid, other.node.uuid, NO_SUCH]),
    })
    expect(both).toMatchObject({ status: 200, body: { applied: 2 } })
    expect(other.wings.config.docker).toMatchObject({ tmpfs_size: 123 })
    const heal = other.wings.fail({ kind: 'down' })
    const one = await t.request('PATCH', '/api/admin/nodes/config', { cookie: admin.cookie, body: body([at.node.uuid, other.node.uuid]) })
    heal()
    expect(one).toMatchObject({ status: 200, body: { applied: 1 } })
    await expectGuarded(
      t,
      { method: 'PATCH', path: '/api/admin/nodes/config', body: body([]) },
      plain,
      [{ cookie: reader.cookie }],
      'nodes.update',
    )
    expect((await t.request('PATCH', '/api/admin/nodes/config', { cookie: admin.cookie, body: body(['nope']) })).status).toBe(400)
  })
})

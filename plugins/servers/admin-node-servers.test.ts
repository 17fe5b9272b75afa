import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { adminCallers, adminEvents, expectGuarded, expectModel, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { remoteServer } from '../../tools/wings-double/fake-panel'
import { getNode } from '../nodes'
import { nodeOnDouble, serversApi, type DoubleNode } from './test-fixtures'
import { ResourceUsage } from './wings/model'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let powerer: AdminCaller
let at: DoubleNode
const onNode: string[] = []

/** Until the panel serves `/api/remote/servers/{uuid}`, the double reads a stand-in document. */
const standIn = (request: Request) => {
  const uuid = /^\/api\/remote\/servers\/([^/]+)$/.exec(new URL(request.url).pathname)?.[1]
  return uuid ? Response.json(remoteServer(uuid)) : t.handle(request)
}

beforeAll(async () => {
  ;({ admin, plain, limited: reader } = await adminCallers(t, ['servers.read']))
  ;({ limited: powerer } = await adminCallers(t, ['nodes.power']))
  at = await nodeOnDouble(t, admin, standIn)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 600 }
  const wings = serversApi(t).wings(await getNode(t.kernel.database.db, at.node.uuid))
  for (let i = 0; i < 2; i++) {
    const uuid = randomUUID()
    await wings.createServer({ uuid, start_on_completion: false, skip_scripts: true })
    onNode.push(uuid)
  }
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const path = (rest: string, node = at.node.uuid) => `/api/admin/nodes/${node}/servers${rest}`

describe('GET /api/admin/nodes/{node}/servers/resources', () => {
  test('the usage of each server on the node, by uuid', async () => {
    const res = await t.request('GET', path('/resources'), { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body.resources).sort()).toEqual([...onNode].sort())
    for (const usage of Object.values(res.body.resources)) expectModel(ResourceUsage, usage)
  })

  test('guarded; bad uuid 400; cached 15 s (a node failing meanwhile is not asked)', async () => {
    await expectGuarded(t, { method: 'GET', path: path('/resources') }, plain, [{ cookie: powerer.cookie }], 'servers.read')
    expect(await t.request('GET', path('/resources', 'x'), { cookie: admin.cookie })).toMatchObject({
      status: 400,
      body: { errors: ['invalid node uuid'] },
    })
    // Cached 15 s: a node failing meanwhile is not asked.
    const heal = at.wings.fail({ kind: 'down' })
    const cached = await t.request('GET', path('/resources'), { cookie: admin.cookie })
    heal()
    expect(cached.status).toBe(200)
  })
})

describe('POST /api/admin/nodes/{node}/servers/power', () => {
  test('forwards the action, counts the affected servers, logs node:servers.power, clears the usage cache', async () => {
    const body = { servers: { type: 'uuids', uuids: [onNode[0], randomUUID()] }, action: 'start' }
    const res = await t.request('POST', path('/power'), { cookie: powerer.cookie, body })
    expect(res).toMatchObject({ status: 200, body: { affected: 1 } })
    expect(at.wings.requests.findLast((r) => r.path === '/api/servers/power')?.body).toEqual({ ...body, wait_seconds: null })
    expect(at.wings.servers.get(onNode[0])?.state).toBe('running')
    const usage = await t.request('GET', path('/resources'), { cookie: admin.cookie })
    expect(usage.body.resources[onNode[0]].state).toBe('running')
    const [event] = await adminEvents(t, admin, 'node:servers.power')
    expect(event.data).toEqual({ node_uuid: at.node.uuid, servers: body.servers, action: 'start' })
    const all = await t.request('POST', path('/power'), { cookie: admin.cookie, body: { servers: { type: 'all' }, action: 'kill' } })
    expect(all.body).toEqual({ affected: 2 })
  })

  test('guarded; a bad action or selector 400; node down 502 (nothing logged)', async () => {
    const body = { servers: { type: 'all' }, action: 'stop' }
    await expectGuarded(t, { method: 'POST', path: path('/power'), body }, plain, [{ cookie: reader.cookie }], 'nodes.power')
    for (const bad of [{ ...body, action: 'explode' }, { ...body, servers: { type: 'some' } }, { action: 'stop' }]) {
      expect((await t.request('POST', path('/power'), { cookie: admin.cookie, body: bad })).status).toBe(400)
    }
    const before = (await adminEvents(t, admin, 'node:servers.power')).length
    const heal = at.wings.fail({ kind: 'down' })
    const down = await t.request('POST', path('/power'), { cookie: admin.cookie, body })
    heal()
    expect(down).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
    expect(await adminEvents(t, admin, 'node:servers.power')).toHaveLength(before)
    // A power action clears the usage cache: the next read asks the node, which answers garbage.
    expect((await t.request('POST', path('/power'), { cookie: admin.cookie, body })).status).toBe(200)
    const garbage = at.wings.fail({ kind: 'html', route: 'GET /api/servers/utilization' })
    expect(await t.request('GET', path('/resources'), { cookie: admin.cookie })).toMatchObject({
      status: 502,
      body: { errors: [`node ${at.node.name} is unreachable`] },
    })
    garbage()
  })
})

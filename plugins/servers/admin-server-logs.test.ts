import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { adminCallers, expectGuarded, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { getNode } from '../nodes'
import { insertServer, makeEgg, nodeOnDouble, servingDocuments, serversApi, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let other: AdminCaller
let at: DoubleNode
let uuid: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader } = await adminCallers(t, ['servers.read']))
  ;({ limited: other } = await adminCallers(t, ['nodes.read']))
  // Until the panel serves /api/remote, the double reads the document the plugin builds.
  at = await nodeOnDouble(t, admin, servingDocuments(t))
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 600 }
  const egg = await makeEgg(t)
  const row = await insertServer(t, { node: at.node.uuid, owner: (await makeUser(t)).uuid, egg: egg.uuid })
  uuid = row.uuid
  await serversApi(t)
    .wings(await getNode(db(), at.node.uuid))
    .createServer({ uuid, start_on_completion: false, skip_scripts: true })
  at.wings.servers.get(uuid)!.console.push('[00:00:01] Starting minecraft server', '[00:00:09] Done (8.0s)!')
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const get = (path: string) => t.request('GET', `/api/admin/servers/${uuid}${path}`, { cookie: reader.cookie })

describe('GET /api/admin/servers/{server}/logs', () => {
  test("the console's last lines as text/plain (default 100)", async () => {
    const res = await get('/logs?lines=1')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/plain')
    expect(res.text).toBe('[00:00:09] Done (8.0s)!\n')
    expect((await get('/logs')).status).toBe(200)
    expect(at.wings.requests.findLast((r) => r.path === `/api/servers/${uuid}/logs`)?.query).toBe('?lines=100')
    expect((await get('/logs?lines=0')).status).toBe(400)
  })

  test('guarded; bad uuid 400, unknown 404; node down 502', async () => {
    await expectGuarded(t, { method: 'GET', path: `/api/admin/servers/${uuid}/logs` }, plain, [{ cookie: other.cookie }], 'servers.read')
    expect(await t.request('GET', '/api/admin/servers/x/logs', { cookie: admin.cookie })).toMatchObject({
      status: 400,
      body: { errors: ['invalid server uuid'] },
    })
    expect((await t.request('GET', '/api/admin/servers/00000000-0000-4000-8000-000000000000/logs', { cookie: admin.cookie })).status).toBe(
      404,
    )
    const heal = at.wings.fail({ kind: 'down' })
    const down = await get('/logs')
    heal()
    expect(down).toMatchObject({ status: 502, body: { errors: [`node ${at.node.name} is unreachable`] } })
  })
})

describe('GET /api/admin/servers/{server}/logs/install', () => {
  test('404 `no install log found` until Wings has one, then its last lines (default 1000)', async () => {
    expect(await get('/logs/install')).toMatchObject({ status: 404, body: { errors: ['no install log found'] } })
    at.wings.servers.get(uuid)!.installLog = ['+ apt install curl', 'install finished']
    const res = await get('/logs/install')
    expect(res).toMatchObject({ status: 200, text: '+ apt install curl\ninstall finished\n' })
    expect(at.wings.requests.at(-1)?.query).toBe('?lines=1000')
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/servers/${uuid}/logs/install` },
      plain,
      [{ cookie: other.cookie }],
      'servers.read',
    )
  })
})

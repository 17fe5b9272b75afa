import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { eq } from 'drizzle-orm'
import { adminCallers, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { getNode } from '../../nodes'
import { servers } from '../tables'
import { insertServer, makeEgg, nodeOnDouble, serversApi, type DoubleNode } from '../test-fixtures'

// The panel on a real port and Wings doubles calling it over HTTP, as nodes do.
const t = useTestApp()
const db = () => t.kernel.database.db
let http: Server<undefined>
let admin: AdminCaller
let a: DoubleNode
let b: DoubleNode
let refs: { owner: string; egg: string }

const row = async (uuid: string) => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]
const wingsOf = async (n: DoubleNode) => serversApi(t).wings(await getNode(db(), n.node.uuid))

beforeAll(async () => {
  http = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request, server) => t.fetch(request, server) })
  const panelUrl = `http://127.0.0.1:${http.port}`
  ;({ admin } = await adminCallers(t, []))
  a = await nodeOnDouble(t, admin, (request) => fetch(request), { panelUrl })
  b = await nodeOnDouble(t, admin, (request) => fetch(request), { panelUrl })
  refs = { owner: (await makeUser(t)).uuid, egg: (await makeEgg(t)).uuid }
}, SETUP_TIMEOUT)
afterAll(async () => {
  await a?.wings.stop()
  await b?.wings.stop()
  await http?.stop(true)
})

describe('the Wings double against /api/remote over HTTP', () => {
  test('create: Wings fetches the configuration and the install script, reports the install; the server is installed', async () => {
    const server = await insertServer(t, { node: a.node.uuid, ...refs }, { status: 'installing', name: 'e2e' })
    await (await wingsOf(a)).createServer({ uuid: server.uuid, start_on_completion: false, skip_scripts: false })
    await a.wings.idle()
    expect(a.wings.problems).toEqual([])
    expect(a.wings.callbacks.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', `/api/remote/servers/${server.uuid}`, 200],
      ['GET', `/api/remote/servers/${server.uuid}/install`, 200],
      ['POST', `/api/remote/servers/${server.uuid}/install`, 200],
    ])
    expect(a.wings.servers.get(server.uuid)?.config as unknown).toEqual(await serversApi(t).document(db(), server))
    expect((await row(server.uuid)).status).toBeNull()
  })

  test('a failed install is reported as install_failed', async () => {
    const server = await insertServer(t, { node: a.node.uuid, ...refs }, { status: 'installing' })
    const heal = a.wings.fail({ kind: 'install-fails' })
    try {
      await (await wingsOf(a)).createServer({ uuid: server.uuid, start_on_completion: false, skip_scripts: false })
      await a.wings.idle()
    } finally {
      heal()
    }
    expect((await row(server.uuid)).status).toBe('install_failed')
    expect(a.wings.problems).toEqual([])
  })

  test('a sync without a document makes Wings fetch it again, changes included', async () => {
    const server = await insertServer(t, { node: a.node.uuid, ...refs })
    const wings = await wingsOf(a)
    await wings.createServer({ uuid: server.uuid, start_on_completion: false, skip_scripts: true })
    await db().update(servers).set({ name: 'renamed', suspended: true }).where(eq(servers.uuid, server.uuid))
    await wings.syncServer(server.uuid)
    expect(a.wings.servers.get(server.uuid)?.config.settings).toMatchObject({ meta: { name: 'renamed' }, suspended: true })
    expect(a.wings.problems).toEqual([])
  })

  test("a node asking for another node's server gets 404 and changes nothing", async () => {
    const server = await insertServer(t, { node: a.node.uuid, ...refs }, { status: 'installing' })
    const refused = await (await wingsOf(b)).createServer({ uuid: server.uuid, start_on_completion: false, skip_scripts: false }).then(
      () => null,
      (error: Error) => error,
    )
    expect(refused).not.toBeNull()
    expect(b.wings.callbacks.at(-1)).toMatchObject({ method: 'GET', path: `/api/remote/servers/${server.uuid}`, status: 404 })
    expect(b.wings.servers.has(server.uuid)).toBe(false)
    expect(await row(server.uuid)).toMatchObject({ status: 'installing', node_uuid: a.node.uuid })
  })

  test("Wings' boot: reset, then every page of configurations; a forged token is 401", async () => {
    const made = []
    for (let i = 0; i < 3; i++)
      made.push(await insertServer(t, { node: b.node.uuid, ...refs }, { created: new Date(Date.UTC(2026, 0, 1 + i)) }))
    const restoring = await insertServer(
      t,
      { node: b.node.uuid, ...refs },
      { status: 'restoring_backup', created: new Date(Date.UTC(2026, 0, 9)) },
    )
    const [before, problems] = [b.wings.callbacks.length, b.wings.problems.length]
    expect(await b.wings.boot(2)).toBe(4)
    expect(b.wings.problems.slice(problems)).toEqual([])
    expect(b.wings.callbacks.slice(before).map((c) => [c.method, c.path, c.status])).toEqual([
      ['POST', '/api/remote/servers/reset', 200],
      ['GET', '/api/remote/servers?page=1&per_page=2', 200],
      ['GET', '/api/remote/servers?page=2&per_page=2', 200],
    ])
    expect([...b.wings.servers.keys()].sort()).toEqual([...made, restoring].map((s) => s.uuid).sort())
    expect((await row(restoring.uuid)).status).toBe('backup_restore_failed')
    const token = (await t.request('GET', `/api/admin/nodes/${b.node.uuid}/token`, { cookie: admin.cookie })).body
    const forged = await fetch(`http://127.0.0.1:${http.port}/api/remote/servers`, {
      headers: { authorization: `Bearer ${token.token_id}.${'0'.repeat(64)}` },
    })
    expect(forged.status).toBe(401)
  })
})

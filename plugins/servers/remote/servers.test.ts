import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  expectModel,
  makeUser,
  SETUP_TIMEOUT,
  startSmtpSink,
  useTestApp,
  type AdminCaller,
  type SmtpSink,
} from 'hatchery/testing'
import { tables as allocationTables } from '../../allocations'
import { serverAllocations, servers } from '../tables'
import { makeEgg, nodeOnDouble, serversApi, type DoubleNode } from '../test-fixtures'
import type { NodeResetHook } from '../service/remote-servers'
import { RemoteServer } from '../wings/document-model'
import { InstallationScript, RemoteServerPage } from './model'
import { asNode, remoteNode, serverOn, type RemoteNode } from './test-kit'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let node: RemoteNode
let empty: RemoteNode
let refs: { owner: string; egg: string }
let owner: { uuid: string; email: string; username: string }
let sink: SmtpSink
const row = async (uuid: string) => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, []))
  node = await remoteNode(t, admin)
  empty = await remoteNode(t, admin)
  owner = await makeUser(t)
  refs = { owner: owner.uuid, egg: (await makeEgg(t)).uuid }
  sink = await startSmtpSink()
  await t.kernel.settings.update({ mail_mode: sink.mode(), 'app.url': 'https://panel.example' })
}, SETUP_TIMEOUT)
afterAll(() => sink?.close())

describe('GET /api/remote/servers', () => {
  test("pages through the node's documents, oldest first; last_page = ceil(total / per_page)", async () => {
    const made = []
    for (let i = 0; i < 3; i++) made.push(await serverOn(t, node, refs, { name: `s${i}`, created: new Date(Date.UTC(2026, 0, 1 + i)) }))
    await serverOn(t, empty, refs, { destination_node_uuid: node.uuid })
    const first = await asNode(t, node, 'GET', '/api/remote/servers?page=1&per_page=2')
    expect(first.status).toBe(200)
    expectModel(RemoteServerPage, first.body)
    expect(first.body.meta).toEqual({ current_page: 1, last_page: 2, total: 3 })
    expect(first.body.data.map((d: RemoteServer) => d.settings.uuid)).toEqual([made[0].uuid, made[1].uuid])
    const second = await asNode(t, node, 'GET', '/api/remote/servers?page=2&per_page=2')
    expect(second.body.data.map((d: RemoteServer) => d.settings.meta.name)).toEqual(['s2'])
    const past = await asNode(t, node, 'GET', '/api/remote/servers?page=5&per_page=2')
    expect(past.body).toEqual({ data: [], meta: { current_page: 5, last_page: 2, total: 3 } })
    const all = await asNode(t, node, 'GET', '/api/remote/servers')
    expect(all.body.meta).toEqual({ current_page: 1, last_page: 1, total: 3 })
  })

  test('an empty node answers last_page 0 (Wings stops paging)', async () => {
    const other = await remoteNode(t, admin)
    const res = await asNode(t, other, 'GET', '/api/remote/servers')
    expect(res.body).toEqual({ data: [], meta: { current_page: 1, last_page: 0, total: 0 } })
  })

  test('bad paging is 400', async () => {
    for (const query of ['page=0', 'per_page=0', 'per_page=101', 'page=x']) {
      expect([query, (await asNode(t, node, 'GET', `/api/remote/servers?${query}`)).status]).toEqual([query, 400])
    }
  })

  test('401 without a node token', async () => {
    expect((await asNode(t, null, 'GET', '/api/remote/servers')).status).toBe(401)
  })
})

describe('GET /api/remote/servers/{server}', () => {
  test('the configuration document, every §3.3 key', async () => {
    const server = await serverOn(t, node, refs, { name: 'doc', suspended: true })
    const res = await asNode(t, node, 'GET', `/api/remote/servers/${server.uuid}`)
    expect(res.status).toBe(200)
    expectModel(RemoteServer, res.body)
    expect(res.body.settings).toMatchObject({ uuid: server.uuid, meta: { name: 'doc', description: '' }, suspended: true })
    expect(res.body).toEqual(await serversApi(t).document(db(), server))
  })
})

describe('GET /api/remote/servers/{server}/install', () => {
  test("the egg's script with an empty environment", async () => {
    const server = await serverOn(t, node, refs)
    const res = await asNode(t, node, 'GET', `/api/remote/servers/${server.uuid}/install`)
    expect(res.status).toBe(200)
    expectModel(InstallationScript, res.body)
    expect(res.body).toEqual({ container_image: 'debian', entrypoint: 'bash', script: 'echo', environment: {} })
  })
})

describe('POST /api/remote/servers/{server}/install', () => {
  test('success clears the status, failure is install_failed, whatever the status was; reinstall is ignored', async () => {
    const server = await serverOn(t, node, refs, { status: 'installing' })
    const path = `/api/remote/servers/${server.uuid}/install`
    expect(await asNode(t, node, 'POST', path, { successful: false, reinstall: false })).toMatchObject({ status: 200, body: {} })
    expect((await row(server.uuid)).status).toBe('install_failed')
    expect((await asNode(t, node, 'POST', path, { successful: true, reinstall: true })).status).toBe(200)
    expect((await row(server.uuid)).status).toBeNull()
    await db().update(servers).set({ status: 'restoring_backup' }).where(eq(servers.uuid, server.uuid))
    expect((await asNode(t, node, 'POST', path, { successful: true })).status).toBe(200)
    expect((await row(server.uuid)).status).toBeNull()
  })

  test('the owner gets the server_installed mail with a link to the server', async () => {
    const server = await serverOn(t, node, refs, { status: 'installing', name: 'mailed' })
    expect((await asNode(t, node, 'POST', `/api/remote/servers/${server.uuid}/install`, { successful: true })).status).toBe(200)
    let mail = await sink.next()
    while (!mail.subject.startsWith('mailed')) mail = await sink.next()
    expect(mail.envelope.to).toEqual([owner.email.toLowerCase()])
    expect(mail.subject).toBe('mailed has been installed')
    expect(mail.text).toContain(`https://panel.example/server/${server.uuid.slice(0, 8)}`)
  })

  test('a body without successful is 400, and nothing changes', async () => {
    const server = await serverOn(t, node, refs, { status: 'installing' })
    for (const body of [{}, { successful: 'yes' }, []]) {
      expect((await asNode(t, node, 'POST', `/api/remote/servers/${server.uuid}/install`, body)).status).toBe(400)
    }
    expect((await row(server.uuid)).status).toBe('installing')
  })

  test('401 without a node token, and nothing changes', async () => {
    const server = await serverOn(t, node, refs, { status: 'installing' })
    expect((await asNode(t, null, 'POST', `/api/remote/servers/${server.uuid}/install`, { successful: true })).status).toBe(401)
    expect((await row(server.uuid)).status).toBe('installing')
  })
})

describe('POST /api/remote/servers/reset', () => {
  let caller: RemoteNode
  let destination: DoubleNode

  beforeAll(async () => {
    caller = await remoteNode(t, admin)
    destination = await nodeOnDouble(t, admin)
  })
  afterAll(() => destination?.wings.stop())

  async function claim(server: string, nodeUuid: string, port: number) {
    const made = await t.request('POST', `/api/admin/nodes/${nodeUuid}/allocations`, {
      cookie: admin.cookie,
      body: { ip: '10.9.0.1', ip_alias: null, ports: [port] },
    })
    expect(made.status).toBe(200)
    const na = allocationTables.nodeAllocations
    const [allocation] = await db().select().from(na).where(eq(na.node_uuid, nodeUuid))
    const [claimed] = await db().insert(serverAllocations).values({ server_uuid: server, allocation_uuid: allocation.uuid }).returning()
    return claimed
  }

  test('restores fail, installs stay, transfers are abandoned (allocations off the source released, the copy deleted)', async () => {
    const seen: string[] = []
    const hook: NodeResetHook = async (_tx, n) => void seen.push(n.uuid)
    const hooks = serversApi(t).nodeResetHooks
    hooks.add(hook)
    const restoring = await serverOn(t, caller, refs, { status: 'restoring_backup' })
    const installing = await serverOn(t, caller, refs, { status: 'installing' })
    const elsewhere = await serverOn(t, node, refs, { status: 'restoring_backup' })
    const moving = await serverOn(t, caller, refs, { destination_node_uuid: destination.node.uuid })
    const home = await claim(moving.uuid, caller.uuid, 25565)
    const away = await claim(moving.uuid, destination.node.uuid, 25565)
    await db()
      .update(servers)
      .set({ allocation_uuid: home.uuid, destination_allocation_uuid: away.uuid })
      .where(eq(servers.uuid, moving.uuid))

    const res = await asNode(t, caller, 'POST', '/api/remote/servers/reset')
    hooks.delete(hook)
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(restoring.uuid)).status).toBe('backup_restore_failed')
    expect((await row(installing.uuid)).status).toBe('installing')
    expect((await row(elsewhere.uuid)).status).toBe('restoring_backup')
    expect(await row(moving.uuid)).toMatchObject({
      destination_node_uuid: null,
      destination_allocation_uuid: null,
      allocation_uuid: home.uuid,
    })
    const left = await db().select().from(serverAllocations).where(eq(serverAllocations.server_uuid, moving.uuid))
    expect(left.map((a) => a.uuid)).toEqual([home.uuid])
    expect(seen).toEqual([caller.uuid])
    const deadline = Date.now() + 5_000
    const deleted = () => destination.wings.requests.some((r) => r.method === 'DELETE' && r.path === `/api/servers/${moving.uuid}`)
    while (!deleted() && Date.now() < deadline) await Bun.sleep(20)
    expect(deleted()).toBe(true)
  })

  test('401 without a node token, and nothing changes', async () => {
    const restoring = await serverOn(t, caller, refs, { status: 'restoring_backup' })
    expect((await asNode(t, null, 'POST', '/api/remote/servers/reset')).status).toBe(401)
    expect((await row(restoring.uuid)).status).toBe('restoring_backup')
  })
})

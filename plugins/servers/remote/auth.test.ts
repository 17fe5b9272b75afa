import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, expectRoutesGuarded, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { servers } from '../tables'
import { makeEgg } from '../test-fixtures'
import { asNode, remoteNode, serverOn, type RemoteNode } from './test-kit'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let node: RemoteNode
let other: RemoteNode
let refs: { owner: string; egg: string }

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, []))
  node = await remoteNode(t, admin)
  other = await remoteNode(t, admin)
  refs = { owner: (await makeUser(t)).uuid, egg: (await makeEgg(t)).uuid }
}, SETUP_TIMEOUT)

const withHeader = (authorization: string | null) =>
  t.request('GET', '/api/remote/servers', { headers: authorization === null ? {} : { authorization } })

describe('node authentication (spec 04 §3.1)', () => {
  test('every /api/remote route of the plugin answers 401 without credentials', async () => {
    const swept = await expectRoutesGuarded(t, { namespace: 'remote', plugin: 'servers' })
    expect(swept.length).toBe(10)
  })

  test('a malformed header is 401 invalid authorization header', async () => {
    const good = node.credential
    for (const header of [
      null,
      '',
      'Bearer',
      `Basic ${good}`,
      `bearer ${good}`,
      `Bearer ${good}x`,
      `Bearer ${good.slice(1)}`,
      `Bearer ${'a'.repeat(81)}`,
    ]) {
      const res = await withHeader(header)
      expect([header, res.status, res.body]).toEqual([header, 401, { errors: ['invalid authorization header'] }])
    }
  })

  test('a forged token, an unknown token id or a user session is 401 invalid token', async () => {
    const forged = `${node.tokenId}.${'x'.repeat(64)}`
    const unknown = `${'y'.repeat(16)}.${node.token}`
    const crossed = `${node.tokenId}.${other.token}`
    for (const credential of [forged, unknown, crossed]) {
      const res = await withHeader(`Bearer ${credential}`)
      expect([res.status, res.body]).toEqual([401, { errors: ['invalid token'] }])
    }
    expect((await t.request('GET', '/api/remote/servers', { cookie: admin.cookie })).status).toBe(401)
  })

  test("the node's token answers; after a reset the old one is refused at once (cached or not)", async () => {
    const fresh = await remoteNode(t, admin)
    expect((await asNode(t, fresh, 'GET', '/api/remote/servers')).status).toBe(200)
    const reset = await t.request('POST', `/api/admin/nodes/${fresh.uuid}/reset-token`, { cookie: admin.cookie })
    expect(reset.status).toBe(200)
    const res = await asNode(t, fresh, 'GET', '/api/remote/servers')
    expect([res.status, res.body]).toEqual([401, { errors: ['invalid token'] }])
    const renewed = (await t.request('GET', `/api/admin/nodes/${fresh.uuid}/token`, { cookie: admin.cookie })).body
    const again = await t.request('GET', '/api/remote/servers', { token: `${renewed.token_id}.${renewed.token}` })
    expect(again.status).toBe(200)
  })
})

describe('the remote:server scope (/api/remote/servers/{server})', () => {
  test("a server of the node answers; another node's is 404 server not found and stays untouched", async () => {
    const mine = await serverOn(t, node, refs)
    const theirs = await serverOn(t, other, refs, { status: 'installing' })
    expect((await asNode(t, node, 'GET', `/api/remote/servers/${mine.uuid}`)).status).toBe(200)
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['GET', '/install', undefined],
      ['POST', '/install', { successful: true }],
      ['PUT', '/startup/command', { command: 'java -jar server.jar' }],
      ['PUT', '/startup/docker-image', { image: 'ghcr.io/pterodactyl/yolks:java_21' }],
      ['PUT', '/startup/variables', { env_variable: 'SERVER_JARFILE', value: 'x.jar' }],
    ] as const) {
      const res = await asNode(t, node, method, `/api/remote/servers/${theirs.uuid}${path}`, body)
      expect([method, path, res.status, res.body]).toEqual([method, path, 404, { errors: ['server not found'] }])
    }
    const [after] = await db().select().from(servers).where(eq(servers.uuid, theirs.uuid))
    expect(after).toEqual(theirs)
  })

  test('the destination node of a transfer reaches the server too', async () => {
    const moving = await serverOn(t, other, refs, { destination_node_uuid: node.uuid })
    const res = await asNode(t, node, 'GET', `/api/remote/servers/${moving.uuid}`)
    expect([res.status, res.body.settings.uuid]).toEqual([200, moving.uuid])
  })

  test('a malformed server id is 400 invalid server id; an unknown one 404', async () => {
    const bad = await asNode(t, node, 'GET', '/api/remote/servers/not-a-uuid')
    expect([bad.status, bad.body]).toEqual([400, { errors: ['invalid server id'] }])
    const unknown = await asNode(t, node, 'GET', `/api/remote/servers/${crypto.randomUUID()}/install`)
    expect([unknown.status, unknown.body]).toEqual([404, { errors: ['server not found'] }])
  })

  test('an upper-case uuid names the same server', async () => {
    const mine = await serverOn(t, node, refs)
    const res = await asNode(t, node, 'GET', `/api/remote/servers/${mine.uuid.toUpperCase()}`)
    expect([res.status, res.body.settings.uuid]).toEqual([200, mine.uuid])
  })
})

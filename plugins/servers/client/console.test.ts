import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { compactVerify } from 'jose'
import { adminCallers, makeApiKey, plainCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { makeEgg, nodeOnDouble, ownedServer, serverEvents, serversApi, type DoubleNode } from '../test-fixtures'
import { servers } from '../tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let stranger: AdminCaller
let at: DoubleNode
let nodeToken: string
let egg: { uuid: string }

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  stranger = await plainCaller(t)
  at = await nodeOnDouble(t, admin)
  nodeToken = (await t.request('GET', `/api/admin/nodes/${at.node.uuid}/token`, { cookie: admin.cookie })).body.token
  egg = await makeEgg(t)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

/** The token's header and claims once its signature checks out with the node token (jose's jwtVerify refuses the null `nbf` Wings expects). */
async function verified(token: string) {
  const { payload, protectedHeader } = await compactVerify(token, new TextEncoder().encode(nodeToken))
  return { protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload)) }
}

const db = () => t.kernel.database.db
const events = (uuid: string) => serverEvents(t, uuid)

const server = () => ownedServer(t, admin, at, owner, egg)

/** The utilization is kept 15 s per node: tests that need Wings asked again drop it. */
const forgetUtilization = () => (serversApi(t) as unknown as { usage: { drop(node: string): void } }).usage.drop(at.node.uuid)

type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}${rest}`, { ...who, body })
const suspend = (uuid: string, suspended: boolean) => db().update(servers).set({ suspended }).where(eq(servers.uuid, uuid))

/** 401, 404 for a stranger, 409 for a suspended server, 502 when the node is down (within the deadline). */
async function commonFailures(method: string, rest: string, body?: unknown) {
  const uuid = await server()
  expect((await call(method, uuid, rest, {}, body)).status).toBe(401)
  const hidden = await call(method, uuid, rest, { cookie: stranger.cookie }, body)
  expect([hidden.status, hidden.body.errors]).toEqual([404, ['server not found']])
  await suspend(uuid, true)
  const gated = await call(method, uuid, rest, { cookie: owner.cookie }, body)
  expect([gated.status, gated.body.errors]).toEqual([409, ['server is suspended']])
  await suspend(uuid, false)
  const heal = at.wings.fail({ kind: 'down' })
  try {
    const started = Date.now()
    const down = await call(method, uuid, rest, { cookie: owner.cookie }, body)
    expect([down.status, down.body.errors]).toEqual([502, [`node ${at.node.name} is unreachable`]])
    expect(Date.now() - started).toBeLessThan(3_000)
  } finally {
    heal()
  }
}

describe('POST /api/client/servers/{server}/power', () => {
  test('the owner starts the server (and `signal` works as alias); Wings gets the action; logged', async () => {
    const uuid = await server()
    expect(await call('POST', uuid, '/power', { cookie: owner.cookie }, { action: 'start' })).toMatchObject({ status: 200, body: {} })
    const sent = at.wings.requests.findLast((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/power`)!
    expect(sent.body).toEqual({ action: 'start', wait_seconds: null })
    expect((await call('POST', uuid, '/power', { cookie: owner.cookie }, { signal: 'kill' })).status).toBe(200)
    expect(await events(uuid)).toEqual([
      ['server:power.action', { action: 'start' }],
      ['server:power.action', { action: 'kill' }],
    ])
  })

  test('403 for an API key without the action permission (kill needs control.stop); 400 for a bad action', async () => {
    const uuid = await server()
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['control.start'] })
    const denied = await call('POST', uuid, '/power', { token: key.key }, { action: 'kill' })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: control.stop']])
    expect((await call('POST', uuid, '/power', { token: key.key }, { action: 'start' })).status).toBe(200)
    expect((await call('POST', uuid, '/power', { cookie: owner.cookie }, { action: 'explode' })).status).toBe(400)
    expect((await call('POST', uuid, '/power', { cookie: owner.cookie }, {})).status).toBe(400)
  })

  test('401, 404, 409, 502', () => commonFailures('POST', '/power', { action: 'start' }))
})

describe('POST /api/client/servers/{server}/command', () => {
  test('sends the command to a running server; logged; Wings 417 for an offline one is passed through', async () => {
    const uuid = await server()
    const offline = await call('POST', uuid, '/command', { cookie: owner.cookie }, { command: 'say hi' })
    expect([offline.status, offline.body.errors]).toEqual([417, ['server is offline']])
    await call('POST', uuid, '/power', { cookie: owner.cookie }, { action: 'start' })
    for (let i = 0; i < 50; i++) {
      const res = await call('POST', uuid, '/command', { cookie: owner.cookie }, { command: 'say hi' })
      if (res.status === 200) break
      await Bun.sleep(20)
    }
    expect(at.wings.requests.findLast((r) => r.path === `/api/servers/${uuid}/commands`)?.body).toEqual({ commands: ['say hi'] })
    expect(await events(uuid)).toContainEqual(['server:console.command', { command: 'say hi' }])
  })

  test('400 for an empty or too long command; 403 without control.console', async () => {
    const uuid = await server()
    expect((await call('POST', uuid, '/command', { cookie: owner.cookie }, { command: '' })).status).toBe(400)
    expect((await call('POST', uuid, '/command', { cookie: owner.cookie }, { command: 'x'.repeat(1025) })).status).toBe(400)
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['control.start'] })
    const denied = await call('POST', uuid, '/command', { token: key.key }, { command: 'say hi' })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: control.console']])
  })

  test('401, 404, 409, 502', () => commonFailures('POST', '/command', { command: 'say hi' }))
})

describe('GET /api/client/servers/{server}/resources', () => {
  test('the server entry of the node utilization, for any caller who sees it (an API key without server permissions too)', async () => {
    const uuid = await server()
    const res = await call('GET', uuid, '/resources', { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.resources).toMatchObject({ state: expect.any(String), memory_bytes: expect.any(Number) })
    const key = await makeApiKey(t, owner.cookie, {})
    expect((await call('GET', uuid, '/resources', { token: key.key })).status).toBe(200)
  })

  test('404 when Wings reports nothing for the server', async () => {
    const uuid = await server()
    await at.wings.idle()
    const gone = await fetch(`${at.wings.url}/api/servers/${uuid}`, { method: 'DELETE', headers: { authorization: `Bearer ${nodeToken}` } })
    expect(gone.ok).toBe(true)
    forgetUtilization()
    const res = await call('GET', uuid, '/resources', { cookie: owner.cookie })
    expect([res.status, res.body.errors]).toEqual([404, ['no resource usage data found for server']])
  })

  test('401, 404, 409, 502', async () => {
    forgetUtilization()
    await commonFailures('GET', '/resources')
  })
})

describe('GET /api/client/servers/{server}/logs', () => {
  test('the console tail as text/plain; lines defaults to 100; 400 outside 1..1000; 403 without control.read-console', async () => {
    const uuid = await server()
    const res = await call('GET', uuid, '/logs?lines=5', { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/plain')
    expect(at.wings.requests.findLast((r) => r.path === `/api/servers/${uuid}/logs`)?.query).toBe('?lines=5')
    await call('GET', uuid, '/logs', { cookie: owner.cookie })
    expect(at.wings.requests.findLast((r) => r.path === `/api/servers/${uuid}/logs`)?.query).toBe('?lines=100')
    expect((await call('GET', uuid, '/logs?lines=0', { cookie: owner.cookie })).status).toBe(400)
    expect((await call('GET', uuid, '/logs?lines=1001', { cookie: owner.cookie })).status).toBe(400)
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['control.console'] })
    expect((await call('GET', uuid, '/logs', { token: key.key })).status).toBe(403)
  })

  test('401, 404, 409, 502', () => commonFailures('GET', '/logs'))
})

describe('GET /api/client/servers/{server}/activity', () => {
  test('newest first with the acting user; ip only with activity.read-ip; search and user filter', async () => {
    const uuid = await server()
    await call('POST', uuid, '/power', { cookie: owner.cookie }, { action: 'start' })
    await call('POST', uuid, '/power', { cookie: admin.cookie }, { action: 'stop' })
    const res = await call('GET', uuid, '/activity', { cookie: owner.cookie })
    expect(res.status).toBe(200)
    const rows = res.body.activities.data
    expect(rows.map((r: { event: string; data: unknown }) => r.data)).toEqual([{ action: 'stop' }, { action: 'start' }])
    expect(rows[1]).toMatchObject({ user: { uuid: owner.uuid, username: owner.username }, is_api: false, is_schedule: false })
    expect(typeof rows[1].ip).toBe('string')
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['activity.read'] })
    const noIp = await call('GET', uuid, '/activity', { token: key.key })
    expect(noIp.body.activities.data.map((r: { ip: unknown }) => r.ip)).toEqual([null, null])
    const mine = await call('GET', uuid, `/activity?user=${owner.uuid}`, { cookie: owner.cookie })
    expect(mine.body.activities.total).toBe(1)
    const byName = await call('GET', uuid, `/activity?search=${owner.username}`, { cookie: owner.cookie })
    expect(byName.body.activities.data.map((r: { data: unknown }) => r.data)).toEqual([{ action: 'start' }])
    const denied = await call('GET', uuid, '/activity', { token: (await makeApiKey(t, owner.cookie, {})).key })
    expect(denied.status).toBe(403)
    expect((await call('GET', uuid, '/activity', {})).status).toBe(401)
    expect((await call('GET', uuid, '/activity', { cookie: stranger.cookie })).status).toBe(404)
    expect((await call('GET', uuid, '/activity?user=nope', { cookie: owner.cookie })).status).toBe(400)
  })
})

describe('GET /api/client/servers/{server}/websocket', () => {
  test('a JWT signed with the node token, the claims of spec 04 §2.2, accepted by the console', async () => {
    const uuid = await server()
    const res = await call('GET', uuid, '/websocket', { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.url).toBe(`${at.wings.url.replace('http://', 'ws://')}/api/servers/${uuid}/ws`)
    const { payload, protectedHeader } = await verified(res.body.token)
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(payload).toMatchObject({
      scope: 'websocket',
      iss: 'panel',
      sub: null,
      aud: [],
      nbf: null,
      jti: owner.uuid,
      user_uuid: owner.uuid,
      user_name: owner.username,
      user_avatar: null,
      server_uuid: uuid,
      permissions: ['websocket.connect', 'meta.calagopus', 'admin.websocket.install', 'admin.websocket.transfer', '*'],
      ignored_files: [],
    })
    expect(payload.exp - payload.iat).toBe(600)
    expect(Math.abs(payload.iat - Date.now() / 1000)).toBeLessThan(5)

    const socket = new WebSocket(res.body.url)
    const frames: { event: string; args: string[] }[] = []
    socket.onmessage = (m) => typeof m.data === 'string' && frames.push(JSON.parse(m.data))
    await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)))
    socket.send(JSON.stringify({ event: 'auth', args: [res.body.token] }))
    for (let i = 0; i < 200 && !frames.some((f) => f.event === 'auth success'); i++) await Bun.sleep(10)
    socket.close()
    expect(frames.find((f) => f.event === 'auth success')?.args).toContain('websocket.connect')
  })

  test('an admin gets * and the admin views; an API key narrows the list; answers for a suspended server', async () => {
    const uuid = await server()
    await suspend(uuid, true)
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['control.console'] })
    const narrowed = await call('GET', uuid, '/websocket', { token: key.key })
    expect(narrowed.status).toBe(200)
    const { payload } = await verified(narrowed.body.token)
    expect(payload.permissions).toEqual([
      'websocket.connect',
      'meta.calagopus',
      'admin.websocket.install',
      'admin.websocket.transfer',
      'control.console',
    ])
    const byAdmin = await call('GET', uuid, '/websocket', { cookie: admin.cookie })
    const claims = (await verified(byAdmin.body.token)).payload
    expect(claims.permissions).toEqual([
      'websocket.connect',
      'meta.calagopus',
      '*',
      'admin.websocket.errors',
      'admin.websocket.install',
      'admin.websocket.transfer',
    ])
    expect((await call('GET', uuid, '/websocket', {})).status).toBe(401)
    expect((await call('GET', uuid, '/websocket', { cookie: stranger.cookie })).status).toBe(404)
  })

  test('a subuser: their permissions (read-console brings the install and transfer views) and ignored files; power refused', async () => {
    const uuid = await server()
    const api = serversApi(t)
    // Stand in for the subusers plugin's slot (and put back whatever filled it).
    const before = (api.subusers as any).lookup
    ;(api.subusers as any).lookup = async (_db: unknown, row: { uuid: string }, user: string) =>
      row.uuid === uuid && user === stranger.uuid
        ? { permissions: ['control.console', 'control.read-console'], ignored_files: ['*.log'] }
        : null
    try {
      const res = await call('GET', uuid, '/websocket', { cookie: stranger.cookie })
      expect(res.status).toBe(200)
      const { payload } = await verified(res.body.token)
      expect(payload.permissions).toEqual([
        'websocket.connect',
        'meta.calagopus',
        'control.console',
        'admin.websocket.install',
        'admin.websocket.transfer',
        'control.read-console',
      ])
      expect(payload.ignored_files).toEqual(['*.log'])
      const refused = await call('POST', uuid, '/power', { cookie: stranger.cookie }, { action: 'start' })
      expect([refused.status, refused.body.errors]).toEqual([403, ['you do not have permission to perform this action: control.start']])
      // Allowed to send: Wings' own 417 for an offline server comes back, not a 403.
      expect((await call('POST', uuid, '/command', { cookie: stranger.cookie }, { command: 'say hi' })).status).toBe(417)
    } finally {
      ;(api.subusers as any).lookup = before
    }
  })
})

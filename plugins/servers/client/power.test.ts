import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, makeApiKey, plainCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { makeEgg, nodeOnDouble, ownedServer, serverEvents, serversApi, type DoubleNode } from '../test-fixtures'
import { servers } from '../tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let stranger: AdminCaller
let a: DoubleNode
let b: DoubleNode
let egg: { uuid: string }

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  stranger = await plainCaller(t)
  a = await nodeOnDouble(t, admin)
  b = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
}, SETUP_TIMEOUT)
afterAll(() => Promise.all([a?.wings.stop(), b?.wings.stop()]))

const power = (who: { cookie?: string; token?: string }, body: unknown) => t.request('POST', '/api/client/servers/power', { ...who, body })
const powered = (at: DoubleNode) =>
  at.wings.requests.filter((r) => r.method === 'POST' && r.path === '/api/servers/power').map((r) => r.body)

describe('POST /api/client/servers/power (extension)', () => {
  test('powers servers named by uuid or short id: one Wings call per node; each logged', async () => {
    const [one, two, three] = [
      await ownedServer(t, admin, a, owner, egg),
      await ownedServer(t, admin, a, owner, egg),
      await ownedServer(t, admin, b, owner, egg),
    ]
    const short = two.slice(0, 8)
    const before = [powered(a).length, powered(b).length]
    const res = await power({ cookie: owner.cookie }, { servers: [one, short, three], action: 'start' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ results: { [one]: { ok: true }, [short]: { ok: true }, [three]: { ok: true } } })
    expect(powered(a).slice(before[0])).toEqual([{ servers: { type: 'uuids', uuids: [one, two] }, action: 'start', wait_seconds: null }])
    expect(powered(b).slice(before[1])).toEqual([{ servers: { type: 'uuids', uuids: [three] }, action: 'start', wait_seconds: null }])
    for (const uuid of [one, two, three]) expect(await serverEvents(t, uuid)).toEqual([['server:power.action', { action: 'start' }]])
  })

  test('per item: 404 for a server the caller cannot see or that does not exist, 409 for a suspended one, 403 for a missing permission', async () => {
    const mine = await ownedServer(t, admin, a, owner, egg)
    const suspended = await ownedServer(t, admin, a, owner, egg)
    const theirs = await ownedServer(t, admin, a, stranger, egg)
    await t.kernel.database.db.update(servers).set({ suspended: true }).where(eq(servers.uuid, suspended))
    const res = await power({ cookie: owner.cookie }, { servers: [mine, suspended, theirs, 'nope'], action: 'restart' })
    expect(res.body.results).toEqual({
      [mine]: { ok: true },
      [suspended]: { status: 409, error: 'server is suspended' },
      [theirs]: { status: 404, error: 'server not found' },
      nope: { status: 404, error: 'server not found' },
    })
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['control.start'] })
    const narrowed = await power({ token: key.key }, { servers: [mine], action: 'kill' })
    expect(narrowed.body.results).toEqual({
      [mine]: { status: 403, error: 'you do not have permission to perform this action: control.stop' },
    })
    expect((await power({ token: key.key }, { servers: [mine], action: 'start' })).body.results).toEqual({ [mine]: { ok: true } })
    expect(await serverEvents(t, theirs)).toEqual([])
  })

  test('a node that is down fails only its servers (502), within the deadline', async () => {
    const up = await ownedServer(t, admin, a, owner, egg)
    const down = await ownedServer(t, admin, b, owner, egg)
    const heal = b.wings.fail({ kind: 'down' })
    try {
      const started = Date.now()
      const res = await power({ cookie: owner.cookie }, { servers: [up, down], action: 'stop' })
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(res.body.results).toEqual({ [up]: { ok: true }, [down]: { status: 502, error: `node ${b.node.name} is unreachable` } })
      expect(await serverEvents(t, down)).toEqual([])
    } finally {
      heal()
    }
  })

  test('401; 400 for more than 100 ids, an id named twice, an unknown action or no ids', async () => {
    const uuid = await ownedServer(t, admin, a, owner, egg)
    expect((await power({}, { servers: [uuid], action: 'start' })).status).toBe(401)
    const many = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(8, '0'))
    expect((await power({ cookie: owner.cookie }, { servers: many, action: 'start' })).status).toBe(400)
    const twice = await power({ cookie: owner.cookie }, { servers: [uuid, uuid.toUpperCase()], action: 'start' })
    expect([twice.status, twice.body.errors]).toEqual([400, [`servers: ${uuid.toUpperCase()} is named twice`]])
    expect((await power({ cookie: owner.cookie }, { servers: [uuid], action: 'explode' })).status).toBe(400)
    expect((await power({ cookie: owner.cookie }, { servers: [], action: 'start' })).status).toBe(400)
    expect(await serverEvents(t, uuid)).toEqual([])
  })
})

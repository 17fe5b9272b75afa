import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, makeApiKey, plainCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { makeEgg, nodeOnDouble, serverBody, serversApi, type DoubleNode } from '../test-fixtures'
import { serverActivities, servers } from '../tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let stranger: AdminCaller
let at: DoubleNode
let egg: { uuid: string }

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  stranger = await plainCaller(t)
  at = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const db = () => t.kernel.database.db
const row = async (uuid: string) => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]
const events = async (uuid: string) =>
  (await db().select().from(serverActivities).where(eq(serverActivities.server_uuid, uuid))).map((e) => [e.event, e.data])

async function server(): Promise<string> {
  const res = await t.request('POST', '/api/admin/servers', {
    cookie: admin.cookie,
    body: serverBody(
      { node_uuid: at.node.uuid, owner_uuid: owner.uuid, egg_uuid: egg.uuid },
      { name: `srv${Math.random().toString(36).slice(2, 8)}` },
    ),
  })
  expect(res.status).toBe(200)
  return res.body.server.uuid
}

type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}/settings/${rest}`, { ...who, body })

describe('client server settings (spec 03 §3.4)', () => {
  test('rename: name and description change; description is required, null clears it; logged', async () => {
    const uuid = await server()
    const res = await call('POST', uuid, 'rename', { cookie: owner.cookie }, { name: 'Renamed', description: 'hello' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await row(uuid)).toMatchObject({ name: 'Renamed', description: 'hello' })
    expect(await events(uuid)).toContainEqual(['server:settings.rename', { name: 'Renamed', description: 'hello' }])
    expect((await call('POST', uuid, 'rename', { cookie: owner.cookie }, { name: 'Other' })).status).toBe(400)
    expect((await call('POST', uuid, 'rename', { cookie: owner.cookie }, { name: '', description: null })).status).toBe(400)
    expect((await call('POST', uuid, 'rename', { cookie: owner.cookie }, { description: null })).status).toBe(200)
    expect(await row(uuid)).toMatchObject({ name: 'Renamed', description: null })
  })

  test('timezone: an IANA zone is stored, null clears, an unknown zone is 400', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'timezone', { cookie: owner.cookie }, { timezone: 'Europe/Berlin' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).timezone).toBe('Europe/Berlin')
    expect(await events(uuid)).toContainEqual(['server:settings.timezone', { timezone: 'Europe/Berlin' }])
    const bad = await call('PUT', uuid, 'timezone', { cookie: owner.cookie }, { timezone: 'Mars/Olympus' })
    expect(bad.status).toBe(400)
    expect((await row(uuid)).timezone).toBe('Europe/Berlin')
    expect((await call('PUT', uuid, 'timezone', { cookie: owner.cookie }, {})).status).toBe(200)
    expect((await row(uuid)).timezone).toBeNull()
  })

  test('auto-kill: enabled and seconds; absent seconds keeps them; out of range 400; pushed to Wings', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'auto-kill', { cookie: owner.cookie }, { enabled: true, seconds: 90 })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).auto_kill).toEqual({ enabled: true, seconds: 90 })
    await call('PUT', uuid, 'auto-kill', { cookie: owner.cookie }, { enabled: false })
    expect((await row(uuid)).auto_kill).toEqual({ enabled: false, seconds: 90 })
    expect(await events(uuid)).toContainEqual(['server:settings.auto-kill', { enabled: true, seconds: 90 }])
    expect((await call('PUT', uuid, 'auto-kill', { cookie: owner.cookie }, { enabled: true, seconds: 0 })).status).toBe(400)
    expect((await call('PUT', uuid, 'auto-kill', { cookie: owner.cookie }, { enabled: true, seconds: 3601 })).status).toBe(400)
    for (let i = 0; i < 50 && !at.wings.requests.some((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/sync`); i++)
      await Bun.sleep(20)
    expect(at.wings.requests.some((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/sync`)).toBe(true)
  })

  test('auto-start: one of always, unless_stopped, never', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'auto-start', { cookie: owner.cookie }, { behavior: 'never' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).auto_start_behavior).toBe('never')
    expect(await events(uuid)).toContainEqual(['server:settings.auto-start', { auto_start_behavior: 'never' }])
    expect((await call('PUT', uuid, 'auto-start', { cookie: owner.cookie }, { behavior: 'sometimes' })).status).toBe(400)
  })

  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    const uuid = await server()
    const cases: [string, string, unknown, string][] = [
      ['POST', 'rename', { description: null }, 'settings.rename'],
      ['PUT', 'timezone', { timezone: 'UTC' }, 'settings.timezone'],
      ['PUT', 'auto-kill', { enabled: true }, 'settings.auto-kill'],
      ['PUT', 'auto-start', { behavior: 'always' }, 'settings.auto-start'],
    ]
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['settings.install'] })
    for (const [method, rest, body, permission] of cases) {
      expect((await call(method, uuid, rest, {}, body)).status).toBe(401)
      expect((await call(method, uuid, rest, { cookie: stranger.cookie }, body)).status).toBe(404)
      const denied = await call(method, uuid, rest, { token: key.key }, body)
      expect([denied.status, denied.body.errors]).toEqual([403, [`you do not have permission to perform this action: ${permission}`]])
    }
    expect((await row(uuid)).auto_start_behavior).toBe('unless_stopped')
  })
})

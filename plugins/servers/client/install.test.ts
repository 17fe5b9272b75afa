import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, makeApiKey, plainCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { makeEgg, nodeOnDouble, ownedServer, serverEvents, serversApi, type DoubleNode } from '../test-fixtures'
import { servers } from '../tables'

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
const status = async (uuid: string) => (await db().select({ s: servers.status }).from(servers).where(eq(servers.uuid, uuid)))[0].s
const setStatus = (uuid: string, s: 'installing' | 'install_failed' | null) =>
  db().update(servers).set({ status: s }).where(eq(servers.uuid, uuid))
const events = (uuid: string) => serverEvents(t, uuid)

const server = () => ownedServer(t, admin, at, owner, egg)

const post = (uuid: string, rest: string, who: { cookie?: string; token?: string }, body?: unknown) =>
  t.request('POST', `/api/client/servers/${uuid}/settings/install${rest}`, { ...who, body })

describe('POST /api/client/servers/{server}/settings/install', () => {
  test('the owner reinstalls: 202, status installing, Wings runs the egg script and reports back; logged', async () => {
    const uuid = await server()
    const res = await post(uuid, '', { cookie: owner.cookie }, { truncate_directory: true })
    expect([res.status, res.body]).toEqual([202, {}])
    const call = at.wings.requests.find((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/reinstall`)!
    expect(call.body).toMatchObject({ truncate_directory: true, installation_script: { container_image: 'debian', entrypoint: 'bash' } })
    expect(await events(uuid)).toContainEqual(['server:settings.install', { truncate_directory: true }])
    await at.wings.idle()
    // The double's install report clears the status again.
    for (let i = 0; i < 50 && (await status(uuid)) !== null; i++) await Bun.sleep(20)
    expect(await status(uuid)).toBeNull()
  })

  test('while installing: the state gate answers 409; a node that fails: 502 and the status goes back', async () => {
    const uuid = await server()
    await setStatus(uuid, 'installing')
    const gated = await post(uuid, '', { cookie: owner.cookie }, { truncate_directory: false })
    expect([gated.status, gated.body.errors]).toEqual([409, ['server is currently installing']])
    await setStatus(uuid, null)
    const heal = at.wings.fail({ kind: 'down' })
    try {
      const down = await post(uuid, '', { cookie: owner.cookie }, { truncate_directory: false })
      expect([down.status, down.body.errors]).toEqual([502, [`node ${at.node.name} is unreachable`]])
      expect(await status(uuid)).toBeNull()
    } finally {
      heal()
    }
  })

  test('401, 404 for strangers, 403 for an API key without settings.install, 400 for a bad body', async () => {
    const uuid = await server()
    expect((await post(uuid, '', {}, { truncate_directory: true })).status).toBe(401)
    expect((await post(uuid, '', { cookie: stranger.cookie }, { truncate_directory: true })).status).toBe(404)
    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['settings.rename'] })
    const denied = await post(uuid, '', { token: key.key }, { truncate_directory: true })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: settings.install']])
    expect((await post(uuid, '', { cookie: owner.cookie }, { truncate_directory: 'yes' })).status).toBe(400)
    expect((await post(uuid, '', { cookie: owner.cookie }, {})).status).toBe(400)
    expect(await status(uuid)).toBeNull()
  })
})

describe('…/install/cancel and …/install/unlock', () => {
  test('cancel while installing asks Wings to abort (202); when Wings runs none (409) the status clears (200)', async () => {
    const uuid = await server()
    // The double answers 409 `server is not installing` for a server it is not installing.
    await setStatus(uuid, 'installing')
    const cleared = await post(uuid, '/cancel', { cookie: owner.cookie })
    expect([cleared.status, cleared.body]).toEqual([200, {}])
    expect(await status(uuid)).toBeNull()
    const idle = await post(uuid, '/cancel', { cookie: owner.cookie })
    expect([idle.status, idle.body.errors]).toEqual([409, ['server is not installing']])
  })

  test('cancel acknowledges a failed install (exempt from the gate) unless the setting forbids it to non-admins', async () => {
    const uuid = await server()
    await setStatus(uuid, 'install_failed')
    await t.kernel.settings.update({ 'server.allow_acknowledging_installation_failure': false })
    try {
      const refused = await post(uuid, '/cancel', { cookie: owner.cookie })
      expect([refused.status, refused.body.errors]).toEqual([403, ['acknowledging installation failure is not allowed']])
      expect((await post(uuid, '/cancel', { cookie: admin.cookie })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'server.allow_acknowledging_installation_failure': true })
    }
    expect(await status(uuid)).toBeNull()
  })

  test('unlock: the gate stops an owner on a failed install; an admin clears it; 409 when nothing failed', async () => {
    const uuid = await server()
    await setStatus(uuid, 'install_failed')
    expect((await post(uuid, '/unlock', { cookie: owner.cookie })).status).toBe(409)
    await db().update(servers).set({ suspended: true }).where(eq(servers.uuid, uuid))
    const unlocked = await post(uuid, '/unlock', { cookie: admin.cookie })
    expect([unlocked.status, unlocked.body]).toEqual([200, {}])
    expect(await status(uuid)).toBeNull()
    const again = await post(uuid, '/unlock', { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([409, ['server has not failed an install']])
  })
})

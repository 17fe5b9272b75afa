import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  makeApiKey,
  makeUser,
  login,
  plainCaller,
  SETUP_TIMEOUT,
  startSmtpSink,
  useTestApp,
  type AdminCaller,
  type SmtpSink,
} from 'hatchery/testing'
import { tables as userTables } from '../../users'
import { makeEgg, nodeOnDouble, serverBody, serversApi, until, type DoubleNode } from '../test-fixtures'
import { serverActivities, serverSubusers } from '../tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let stranger: AdminCaller
let at: DoubleNode
let egg: { uuid: string }
let sink: SmtpSink

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  stranger = await plainCaller(t)
  at = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  sink = await startSmtpSink()
  await t.kernel.settings.update({ mail_mode: sink.mode() })
}, SETUP_TIMEOUT)
afterAll(async () => {
  at?.wings.stop()
  await sink?.close()
})

const db = () => t.kernel.database.db
const uniq = () => Math.random().toString(36).slice(2, 8)
const events = async (uuid: string) =>
  (await db().select().from(serverActivities).where(eq(serverActivities.server_uuid, uuid))).map((e) => [e.event, e.data])

async function server(): Promise<string> {
  const res = await t.request('POST', '/api/admin/servers', {
    cookie: admin.cookie,
    body: serverBody({ node_uuid: at.node.uuid, owner_uuid: owner.uuid, egg_uuid: egg.uuid }, { name: `srv${uniq()}` }),
  })
  expect(res.status).toBe(200)
  return res.body.server.uuid
}

type Who = { cookie?: string; token?: string }
const list = (uuid: string, who: Who, query = '') => t.request('GET', `/api/client/servers/${uuid}/subusers${query}`, who)
const add = (uuid: string, who: Who, body: unknown) => t.request('POST', `/api/client/servers/${uuid}/subusers`, { ...who, body })
const patch = (uuid: string, user: string, who: Who, body: unknown) =>
  t.request('PATCH', `/api/client/servers/${uuid}/subusers/${user}`, { ...who, body })
const remove = (uuid: string, user: string, who: Who) => t.request('DELETE', `/api/client/servers/${uuid}/subusers/${user}`, who)

/** A user with a session, made a subuser of `uuid` with `permissions` by the owner. */
async function subuser(uuid: string, permissions: string[]) {
  const user = await makeUser(t)
  const res = await add(uuid, { cookie: owner.cookie }, { email: user.email, permissions, ignored_files: [] })
  expect(res.status).toBe(200)
  return { ...user, cookie: await login(t, user) }
}

describe('POST /api/client/servers/{server}/subusers', () => {
  test('the owner adds an existing user: 200 with the ServerSubuser, a row, the activity and the added_to_server mail', async () => {
    const uuid = await server()
    const user = await makeUser(t)
    const res = await add(
      uuid,
      { cookie: owner.cookie },
      { email: user.email.toUpperCase(), permissions: ['control.console'], ignored_files: ['secret.txt'] },
    )
    expect(res.status).toBe(200)
    expect(res.body.subuser).toMatchObject({
      user: { uuid: user.uuid, username: user.username },
      permissions: ['control.console'],
      ignored_files: ['secret.txt'],
    })
    expect(typeof res.body.subuser.created).toBe('string')
    expect(await events(uuid)).toContainEqual([
      'server:subuser.create',
      { username: user.username, email: user.email, permissions: ['control.console'] },
    ])
    const mail = await until(() => sink.messages.find((m) => m.envelope.to.includes(user.email)), 'the mail')
    expect(mail.subject).toContain('You have been added to')
    expect(mail.text).toContain('/server/' + uuid.slice(0, 8))
    const again = await add(uuid, { cookie: owner.cookie }, { email: user.email, permissions: [], ignored_files: [] })
    expect([again.status, again.body.errors]).toEqual([409, ['subuser with email already exists']])
    const self = await add(uuid, { cookie: owner.cookie }, { email: owner.email, permissions: [], ignored_files: [] })
    expect([self.status, self.body.errors]).toEqual([400, ['cannot create subuser for server owner']])
  })

  test('an unknown email creates an account (Server Subuser, no password) and mails it', async () => {
    const uuid = await server()
    const email = `new.friend-${uniq()}@example.com`
    const res = await add(uuid, { cookie: owner.cookie }, { email, permissions: ['files.read'], ignored_files: [] })
    expect(res.status).toBe(200)
    const [user] = await db().select().from(userTables.users).where(eq(userTables.users.email, email))
    expect(user).toMatchObject({ name_first: 'Server', name_last: 'Subuser', password: null, admin: false })
    expect(user.username).toMatch(/^newfriend[a-z0-9]?_[A-Za-z0-9]{4}$/)
    expect(res.body.subuser.user.uuid).toBe(user.uuid)
    const subjects = await until(() => {
      const got = sink.messages.filter((m) => m.envelope.to.includes(email)).map((m) => m.subject)
      return got.length >= 2 ? got : undefined
    }, 'two mails')
    expect(subjects.some((s) => s.startsWith('You have been added to'))).toBe(true)
  })

  test('400 for a bad body or an unknown permission; 401; 404 for strangers', async () => {
    const uuid = await server()
    const user = await makeUser(t)
    const ok = { email: user.email, permissions: [], ignored_files: [] }
    expect((await add(uuid, {}, ok)).status).toBe(401)
    expect((await add(uuid, { cookie: stranger.cookie }, ok)).status).toBe(404)
    expect((await add(uuid, { cookie: owner.cookie }, { ...ok, email: 'nope' })).status).toBe(400)
    expect((await add(uuid, { cookie: owner.cookie }, { email: user.email, permissions: [] })).status).toBe(400)
    const bad = await add(uuid, { cookie: owner.cookie }, { ...ok, permissions: ['files.read', 'files.nonsense'] })
    expect([bad.status, bad.body.errors]).toEqual([400, ['permissions: invalid permission: files.nonsense']])
  })

  test('a subuser may grant only what they hold, and needs subusers.create; an API key narrows the same way', async () => {
    const uuid = await server()
    const helper = await subuser(uuid, ['subusers.read', 'subusers.create', 'control.console'])
    const friend = await makeUser(t)
    const more = await add(uuid, { cookie: helper.cookie }, { email: friend.email, permissions: ['control.start'], ignored_files: [] })
    expect([more.status, more.body.errors]).toEqual([400, ['permissions: more permissions than self']])
    const fine = await add(uuid, { cookie: helper.cookie }, { email: friend.email, permissions: ['control.console'], ignored_files: [] })
    expect(fine.status).toBe(200)

    const reader = await subuser(uuid, ['subusers.read'])
    const denied = await add(uuid, { cookie: reader.cookie }, { email: (await makeUser(t)).email, permissions: [], ignored_files: [] })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: subusers.create']])

    const key = await makeApiKey(t, owner.cookie, { server_permissions: ['subusers.create', 'subusers.read', 'files.read'] })
    const beyond = await add(
      uuid,
      { token: key.key },
      { email: (await makeUser(t)).email, permissions: ['files.update'], ignored_files: [] },
    )
    expect([beyond.status, beyond.body.errors]).toEqual([400, ['permissions: more permissions than self']])
    const noCreate = await makeApiKey(t, owner.cookie, { server_permissions: ['subusers.read'] })
    const refused = await add(uuid, { token: noCreate.key }, { email: (await makeUser(t)).email, permissions: [], ignored_files: [] })
    expect(refused.status).toBe(403)
  })

  test('417 at server.max_subuser_count', async () => {
    const uuid = await server()
    await t.kernel.settings.update({ 'server.max_subuser_count': 1 })
    try {
      await subuser(uuid, [])
      const res = await add(uuid, { cookie: owner.cookie }, { email: (await makeUser(t)).email, permissions: [], ignored_files: [] })
      expect([res.status, res.body.errors]).toEqual([417, ['maximum number of subusers reached']])
      // The limit comes first (the reference's order): the owner's email is 417 too, and an unknown email makes no account.
      const own = await add(uuid, { cookie: owner.cookie }, { email: owner.email, permissions: [], ignored_files: [] })
      expect(own.status).toBe(417)
      const email = `late-${uniq()}@example.com`
      expect((await add(uuid, { cookie: owner.cookie }, { email, permissions: [], ignored_files: [] })).status).toBe(417)
      expect(await db().select().from(userTables.users).where(eq(userTables.users.email, email))).toEqual([])
      // Two concurrent invitations at the limit: the server's row lock lets only one in.
      const race = await server()
      const [a, b] = [await makeUser(t), await makeUser(t)]
      const statuses = await Promise.all(
        [a, b].map(async (u) => (await add(race, { cookie: owner.cookie }, { email: u.email, permissions: [], ignored_files: [] })).status),
      )
      expect(statuses.sort()).toEqual([200, 417])
    } finally {
      await t.kernel.settings.update({ 'server.max_subuser_count': 25 })
    }
  })
})

describe('GET /api/client/servers/{server}/subusers and the server list', () => {
  test('lists oldest first with search; a subuser sees the server with exactly their permissions', async () => {
    const uuid = await server()
    const a = await subuser(uuid, ['control.console', 'files.read'])
    const b = await subuser(uuid, ['subusers.read'])
    const res = await list(uuid, { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.subusers.total).toBe(2)
    expect(res.body.subusers.data.map((s: { user: { uuid: string } }) => s.user.uuid)).toEqual([a.uuid, b.uuid])
    const searched = await list(uuid, { cookie: owner.cookie }, `?search=${b.username}`)
    expect(searched.body.subusers.data.map((s: { user: { uuid: string } }) => s.user.uuid)).toEqual([b.uuid])
    expect((await list(uuid, { cookie: b.cookie })).status).toBe(200)
    const denied = await list(uuid, { cookie: a.cookie })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: subusers.read']])
    expect((await list(uuid, {})).status).toBe(401)
    expect((await list(uuid, { cookie: stranger.cookie })).status).toBe(404)

    const one = await t.request('GET', `/api/client/servers/${uuid}`, { cookie: a.cookie })
    expect(one.status).toBe(200)
    expect(one.body.server).toMatchObject({ is_owner: false, permissions: ['control.console', 'files.read'] })
    const mine = await t.request('GET', '/api/client/servers', { cookie: a.cookie })
    expect(mine.body.servers.data.map((s: { uuid: string }) => s.uuid)).toEqual([uuid])
    expect(mine.body.servers.data[0].permissions).toEqual(['control.console', 'files.read'])
    const other = await t.request('GET', '/api/admin/users/' + a.uuid + '/servers', { cookie: admin.cookie })
    expect(other.body.servers.data.map((s: { uuid: string }) => s.uuid)).toEqual([uuid])
    const owned = await t.request('GET', '/api/admin/users/' + a.uuid + '/servers?owned=true', { cookie: admin.cookie })
    expect(owned.body.servers.total).toBe(0)
  })
})

describe('lists that include subuser servers', () => {
  test('`other=true` leaves out servers the admin is a subuser of; the admin user list searches owner names', async () => {
    const uuid = await server()
    const res = await add(uuid, { cookie: owner.cookie }, { email: admin.email, permissions: ['files.read'], ignored_files: [] })
    expect(res.status).toBe(200)
    const mine = await t.request('GET', '/api/client/servers', { cookie: admin.cookie })
    expect(mine.body.servers.data.map((s: { uuid: string }) => s.uuid)).toContain(uuid)
    const other = await t.request('GET', '/api/client/servers?other=true&per_page=100', { cookie: admin.cookie })
    expect(other.body.servers.data.map((s: { uuid: string }) => s.uuid)).not.toContain(uuid)
    const byOwner = await t.request('GET', `/api/admin/users/${admin.uuid}/servers?search=${owner.username}`, { cookie: admin.cookie })
    expect(byOwner.body.servers.data.map((s: { uuid: string }) => s.uuid)).toEqual([uuid])
    const none = await t.request('GET', `/api/admin/users/${admin.uuid}/servers?search=zzzz_nothing`, { cookie: admin.cookie })
    expect(none.body.servers.total).toBe(0)
  })
})

describe('PATCH and DELETE /api/client/servers/{server}/subusers/{subuser}', () => {
  test('the nested gate: 400 invalid subuser uuid, 403 without subusers.read, 404 for another server’s subuser', async () => {
    const uuid = await server()
    const other = await server()
    const elsewhere = await subuser(other, [])
    const updater = await subuser(uuid, ['subusers.update'])
    const target = await subuser(uuid, [])
    const bad = await patch(uuid, 'nope', { cookie: owner.cookie }, { permissions: [] })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid subuser uuid']])
    const noRead = await patch(uuid, target.uuid, { cookie: updater.cookie }, { permissions: [] })
    expect([noRead.status, noRead.body.errors]).toEqual([403, ['you do not have permission to perform this action: subusers.read']])
    for (const res of [
      await patch(uuid, elsewhere.uuid, { cookie: owner.cookie }, {}),
      await remove(uuid, elsewhere.uuid, { cookie: owner.cookie }),
    ]) {
      expect([res.status, res.body.errors]).toEqual([404, ['subuser not found']])
    }
    expect((await remove(uuid, target.uuid, {})).status).toBe(401)
    expect((await remove(uuid, target.uuid, { cookie: stranger.cookie })).status).toBe(404)
  })

  test('PATCH updates, logs and tells the node; self-update and excess are refused', async () => {
    const uuid = await server()
    const helper = await subuser(uuid, ['subusers.read', 'subusers.update', 'control.console', 'control.read-console'])
    const target = await subuser(uuid, ['control.console'])
    const res = await patch(
      uuid,
      target.uuid,
      { cookie: owner.cookie },
      { permissions: ['control.console', 'control.read-console', 'files.read'], ignored_files: ['a'] },
    )
    expect([res.status, res.body]).toEqual([200, {}])
    const [row] = await db().select().from(serverSubusers).where(eq(serverSubusers.user_uuid, target.uuid))
    expect(row).toMatchObject({ permissions: ['control.console', 'control.read-console', 'files.read'], ignored_files: ['a'] })
    expect(await events(uuid)).toContainEqual([
      'server:subuser.update',
      {
        username: target.username,
        email: target.email,
        permissions: ['control.console', 'control.read-console', 'files.read'],
        ignored_files: ['a'],
      },
    ])
    const call = await until(() => at.wings.requests.find((r) => r.path === `/api/servers/${uuid}/ws/permissions`), 'ws/permissions')
    const sent = (call.body as { user_permissions: { user: string; permissions: string[]; ignored_files: string[] }[] }).user_permissions[0]
    expect(sent.user).toBe(target.uuid)
    expect(sent.ignored_files).toEqual(['a'])
    expect(sent.permissions).toEqual(expect.arrayContaining(['websocket.connect', 'meta.calagopus', 'control.console', 'files.read']))

    const self = await patch(uuid, helper.uuid, { cookie: helper.cookie }, { permissions: ['control.console'] })
    expect([self.status, self.body.errors]).toEqual([400, ['cannot update permissions for self']])
    const excess = await patch(uuid, target.uuid, { cookie: helper.cookie }, { permissions: ['files.update'] })
    expect([excess.status, excess.body.errors]).toEqual([400, ['permissions: more permissions than self']])
    const invalid = await patch(uuid, target.uuid, { cookie: owner.cookie }, { permissions: ['x.y'] })
    expect([invalid.status, invalid.body.errors]).toEqual([400, ['permissions: invalid permission: x.y']])
  })

  test('DELETE removes the row, logs, mails, and revokes the console on the node (ws/permissions empty, then ws/deny)', async () => {
    const uuid = await server()
    const target = await subuser(uuid, ['control.console'])
    const reader = await subuser(uuid, ['subusers.read'])
    const denied = await remove(uuid, target.uuid, { cookie: reader.cookie })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: subusers.delete']])
    const res = await remove(uuid, target.uuid, { cookie: owner.cookie })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await db().select().from(serverSubusers).where(eq(serverSubusers.user_uuid, target.uuid))).toEqual([])
    expect(await events(uuid)).toContainEqual(['server:subuser.delete', { username: target.username, email: target.email }])
    const deny = await until(() => at.wings.requests.find((r) => r.path === `/api/servers/${uuid}/ws/deny`), 'ws/deny')
    expect(deny.body).toEqual({ jtis: [target.uuid] })
    const perms = at.wings.requests.find((r) => r.path === `/api/servers/${uuid}/ws/permissions`)!
    expect(perms.body).toEqual({ user_permissions: [{ user: target.uuid, permissions: [], ignored_files: [] }] })
    await until(
      () => sink.messages.find((m) => m.envelope.to.includes(target.email) && m.subject.startsWith('You have been removed')),
      'the mail',
    )
    expect((await t.request('GET', `/api/client/servers/${uuid}`, { cookie: target.cookie })).status).toBe(404)
  })

  test('a node that is down does not undo the removal', async () => {
    const uuid = await server()
    const target = await subuser(uuid, [])
    const heal = at.wings.fail({ kind: 'down' })
    try {
      const res = await remove(uuid, target.uuid, { cookie: owner.cookie })
      expect(res.status).toBe(200)
      expect(await db().select().from(serverSubusers).where(eq(serverSubusers.user_uuid, target.uuid))).toEqual([])
      await Bun.sleep(100)
    } finally {
      heal()
    }
  })
})

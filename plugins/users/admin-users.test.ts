import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCaller,
  adminEvents,
  expectGuarded,
  expectModel,
  login,
  makeUser,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { usersApi } from './test-helpers'
import { AdminUser, Empty } from './model'
import { userApiKeys, userSessions, users } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
/** Enters the admin area (stats.read) but holds no user permission. */
let outsider: AdminCaller
let readOnlyKey: string

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
  outsider = await roleCaller(t, admin, ['stats.read'])
  readOnlyKey = await narrowedAdminKey(t, admin, ['stats.read'])
}, SETUP_TIMEOUT)

const newUser = (overrides: Record<string, unknown> = {}) => {
  const n = Math.random().toString(36).slice(2, 9)
  return {
    username: `u_${n}`,
    email: `u_${n}@example.com`,
    name_first: 'Ada',
    name_last: 'Lovelace',
    password: 'correct horse',
    admin: false,
    language: 'en',
    ...overrides,
  }
}

async function createRole(admin_permissions: string[], server_permissions: string[] = []) {
  const res = await t.request('POST', '/api/admin/roles', {
    cookie: admin.cookie,
    body: { name: `r_${Math.random().toString(36).slice(2, 9)}`, require_two_factor: false, admin_permissions, server_permissions },
  })
  expect(res.status).toBe(200)
  return res.body.role as { uuid: string; name: string }
}

const rowOf = async (uuid: string) => (await t.kernel.database.db.select().from(users).where(eq(users.uuid, uuid)))[0]

describe('GET /api/admin/users', () => {
  test('lists users with their role, searchable by username or email', async () => {
    const a = await makeUser(t, { username: 'findme_alpha', email: 'alpha@find.example' })
    const b = await makeUser(t, { username: 'other_beta', email: 'findme@beta.example' })
    await makeUser(t, { username: 'nope_gamma' })
    const res = await t.request('GET', '/api/admin/users?search=FINDME', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.users).toMatchObject({ total: 2, page: 1 })
    expect(res.body.users.data.map((u: any) => u.uuid)).toEqual([a.uuid, b.uuid])
    for (const u of res.body.users.data) expectModel(AdminUser, u)
    const withRole = await t.request('GET', `/api/admin/users?search=${outsider.username}`, { cookie: admin.cookie })
    expect(withRole.body.users.data[0].role.uuid).toBe(outsider.role!.uuid)
  })

  test('refuses callers without users.read', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/users' },
      plain,
      [{ cookie: outsider.cookie }, { token: readOnlyKey }],
      'users.read',
    )
  })

  test('bad pagination → 400', async () => {
    const res = await t.request('GET', '/api/admin/users?per_page=0', { cookie: admin.cookie })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['per_page: lower than 1'])
  })
})

describe('POST /api/admin/users', () => {
  test('creates a user and logs user:create', async () => {
    const role = await createRole(['users.read'])
    const body = newUser({ role_uuid: role.uuid, external_id: 'ext-create-1', frozen: true })
    const res = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body })
    expect(res.status).toBe(200)
    expectModel(AdminUser, res.body.user)
    expect(res.body.user).toMatchObject({
      username: body.username,
      email: body.email,
      external_id: 'ext-create-1',
      frozen: true,
      suspended: false,
      admin: false,
      has_password: true,
      language: 'en',
    })
    expect(res.body.user.role.uuid).toBe(role.uuid)
    expect(await login(t, { username: body.username, password: body.password })).toContain('=')
    const [event] = await adminEvents(t, admin, 'user:create')
    expect(event.user.uuid).toBe(admin.uuid)
    expect(event.data).toEqual({
      uuid: res.body.user.uuid,
      role_uuid: role.uuid,
      username: body.username,
      email: body.email,
      name_first: 'Ada',
      name_last: 'Lovelace',
      admin: false,
      language: 'en',
    })
  })

  test('without a password the account has none', async () => {
    const { password: _, ...body } = newUser()
    const res = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body })
    expect(res.status).toBe(200)
    expect(res.body.user.has_password).toBe(false)
  })

  test('refuses callers without users.create', async () => {
    const reader = await roleCaller(t, admin, ['users.read'])
    const key = await narrowedAdminKey(t, admin, ['users.read'])
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/users', body: newUser() },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'users.create',
    )
  })

  test('bad input → 400 with every field', async () => {
    const res = await t.request('POST', '/api/admin/users', {
      cookie: admin.cookie,
      body: newUser({ username: 'a!', email: 'nope', password: 'short' }),
    })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(
      expect.arrayContaining(['username: length is lower than 3', 'email: not a valid email', 'password: length is lower than 8']),
    )
    const language = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: newUser({ language: 'xx' }) })
    expect(language.status).toBe(400)
    expect(language.body.errors).toEqual(['language: invalid language: xx'])
    const role = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: newUser({ role_uuid: crypto.randomUUID() }) })
    expect(role.status).toBe(400)
    expect(role.body.errors).toEqual(['invalid relation `role` provided'])
    const missing = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: { username: 'abc' } })
    expect(missing.status).toBe(400)
    expect(missing.body.errors.some((e: string) => e.startsWith('admin: '))).toBe(true)
  })

  test('a taken username, email (any case) or external id → 409', async () => {
    const first = newUser({ external_id: 'ext-dup' })
    expect((await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: first })).status).toBe(200)
    for (const clash of [{ username: first.username.toUpperCase() }, { email: first.email.toUpperCase() }, { external_id: 'ext-dup' }]) {
      const res = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: newUser(clash) })
      expect(res.status).toBe(409)
      expect(res.body.errors).toEqual(['user with email/username/external_id already exists'])
    }
  })

  test('a role user cannot grant admin status or assign a role', async () => {
    const creator = await roleCaller(t, admin, ['users.create', 'users.read', 'roles.read'])
    const admins = await t.request('POST', '/api/admin/users', { cookie: creator.cookie, body: newUser({ admin: true }) })
    expect(admins.status).toBe(403)
    expect(admins.body.errors).toEqual(['you cannot grant admin status'])
    const roled = await t.request('POST', '/api/admin/users', { cookie: creator.cookie, body: newUser({ role_uuid: creator.role!.uuid }) })
    expect(roled.status).toBe(403)
    expect(roled.body.errors).toEqual(['you cannot assign roles'])
    const fine = await t.request('POST', '/api/admin/users', { cookie: creator.cookie, body: newUser({ role_uuid: null }) })
    expect(fine.status).toBe(200)
    expect(fine.body.user).toMatchObject({ admin: false, role: null })
  })

  test("an admin's narrowed API key cannot grant admin status nor a role beyond the key", async () => {
    const key = await narrowedAdminKey(t, admin, ['users.create', 'users.read'])
    const admins = await t.request('POST', '/api/admin/users', { token: key, body: newUser({ admin: true }) })
    expect(admins.status).toBe(403)
    expect(admins.body.errors).toEqual(['you cannot grant admin status'])
    const big = await createRole(['users.create', 'settings.update'])
    const beyond = await t.request('POST', '/api/admin/users', { token: key, body: newUser({ role_uuid: big.uuid }) })
    expect(beyond.status).toBe(403)
    expect(beyond.body.errors).toEqual(['you cannot assign a role with more permissions than yourself'])
    const small = await createRole(['users.read'])
    const within = await t.request('POST', '/api/admin/users', { token: key, body: newUser({ role_uuid: small.uuid }) })
    expect(within.status).toBe(200)
    expect(within.body.user.role.uuid).toBe(small.uuid)
  })
})

describe('GET /api/admin/users/{user}', () => {
  test('returns the user', async () => {
    const res = await t.request('GET', `/api/admin/users/${outsider.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(AdminUser, res.body.user)
    expect(res.body.user).toMatchObject({ uuid: outsider.uuid, username: outsider.username, external_id: null })
    expect(res.body.user.role.uuid).toBe(outsider.role!.uuid)
  })

  test('refuses callers without users.read', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/users/${admin.uuid}` },
      plain,
      [{ cookie: outsider.cookie }, { token: readOnlyKey }],
      'users.read',
    )
  })

  test('a malformed uuid → 400, an unknown one → 404', async () => {
    const bad = await t.request('GET', '/api/admin/users/not-a-uuid', { cookie: admin.cookie })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(['invalid user uuid'])
    const unknown = await t.request('GET', `/api/admin/users/${crypto.randomUUID()}`, { cookie: admin.cookie })
    expect(unknown.status).toBe(404)
    expect(unknown.body.errors).toEqual(['user not found'])
  })
})

describe('GET /api/admin/users/external/{external_id}', () => {
  test('finds a user by exact external id', async () => {
    const created = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body: newUser({ external_id: 'Ext/Lookup 1' }) })
    const res = await t.request('GET', `/api/admin/users/external/${encodeURIComponent('Ext/Lookup 1')}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(AdminUser, res.body.user)
    expect(res.body.user.uuid).toBe(created.body.user.uuid)
    const other = await t.request('GET', '/api/admin/users/external/ext%2Flookup%201', { cookie: admin.cookie })
    expect(other.status).toBe(404)
    expect(other.body.errors).toEqual(['user not found'])
  })

  test('refuses callers without users.read', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/users/external/x' },
      plain,
      [{ cookie: outsider.cookie }, { token: readOnlyKey }],
      'users.read',
    )
  })

  test('an external id over 255 characters → 400', async () => {
    const res = await t.request('GET', `/api/admin/users/external/${'x'.repeat(256)}`, { cookie: admin.cookie })
    expect(res.status).toBe(400)
  })
})

describe('PATCH /api/admin/users/{user}', () => {
  test('changes what is sent, clears tri-state fields with null, logs user:update', async () => {
    const role = await createRole(['stats.read'])
    const created = await t.request('POST', '/api/admin/users', {
      cookie: admin.cookie,
      body: newUser({ external_id: 'ext-patch', role_uuid: role.uuid }),
    })
    const uuid = created.body.user.uuid
    const res = await t.request('PATCH', `/api/admin/users/${uuid}`, {
      cookie: admin.cookie,
      body: { name_first: 'Grace', suspended: true, frozen: true, external_id: null, language: 'de', toast_position: 'top_left' },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const after = (await t.request('GET', `/api/admin/users/${uuid}`, { cookie: admin.cookie })).body.user
    expect(after).toMatchObject({
      name_first: 'Grace',
      name_last: 'Lovelace',
      suspended: true,
      frozen: true,
      external_id: null,
      language: 'de',
      toast_position: 'top_left',
    })
    expect(after.role.uuid).toBe(role.uuid)
    const [event] = await adminEvents(t, admin, 'user:update')
    expect(event.data).toEqual({
      uuid,
      role_uuid: role.uuid,
      username: after.username,
      email: after.email,
      name_first: 'Grace',
      name_last: 'Lovelace',
      admin: false,
      language: 'de',
    })
    expect(
      (await t.request('PATCH', `/api/admin/users/${uuid}`, { cookie: admin.cookie, body: { role_uuid: null, admin: true } })).status,
    ).toBe(200)
    expect((await t.request('GET', `/api/admin/users/${uuid}`, { cookie: admin.cookie })).body.user).toMatchObject({
      role: null,
      admin: true,
    })
  })

  test('suspending applies at once', async () => {
    const victim = await roleCaller(t, admin, ['stats.read'])
    expect((await t.request('GET', '/api/client/account', { cookie: victim.cookie })).body.user.suspended).toBe(false)
    expect((await t.request('PATCH', `/api/admin/users/${victim.uuid}`, { cookie: admin.cookie, body: { suspended: true } })).status).toBe(
      200,
    )
    const res = await t.request('GET', '/api/admin/activity', { cookie: victim.cookie })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['account is suspended'])
  })

  test("a new password works at once and ends the user's sessions", async () => {
    const user = await plainCaller(t)
    const key = (
      await t.request('POST', '/api/client/account/api-keys', {
        cookie: user.cookie,
        body: { name: 'kept', allowed_ips: [], user_permissions: ['account.infos'], admin_permissions: [], server_permissions: [] },
      })
    ).body
    const res = await t.request('PATCH', `/api/admin/users/${user.uuid}`, { cookie: admin.cookie, body: { password: 'a brand new one' } })
    expect(res.status).toBe(200)
    expect((await t.request('GET', '/api/client/account', { cookie: user.cookie })).status).toBe(401)
    expect(await t.kernel.database.db.$count(userSessions, eq(userSessions.user_uuid, user.uuid))).toBe(0)
    expect(await t.kernel.database.db.$count(userApiKeys, eq(userApiKeys.uuid, key.api_key.uuid))).toBe(1)
    expect(await login(t, { username: user.username, password: 'a brand new one' })).toContain('=')
    const unchanged = await t.request('PATCH', `/api/admin/users/${user.uuid}`, { cookie: admin.cookie, body: { password: null } })
    expect(unchanged.status).toBe(200)
    expect(await login(t, { username: user.username, password: 'a brand new one' })).toContain('=')
  })

  test('refuses callers without users.read and users.update', async () => {
    const reader = await roleCaller(t, admin, ['users.read'])
    const key = await narrowedAdminKey(t, admin, ['users.read'])
    const route = { method: 'PATCH', path: `/api/admin/users/${plain.uuid}`, body: { name_first: 'X' } }
    await expectGuarded(t, route, plain, [{ cookie: outsider.cookie }], 'users.read')
    await expectGuarded(t, route, plain, [{ cookie: reader.cookie }, { token: key }], 'users.update')
  })

  test('bad input → 400, unknown user → 404, taken email → 409', async () => {
    const bad = await t.request('PATCH', `/api/admin/users/${plain.uuid}`, {
      cookie: admin.cookie,
      body: { username: 'x', toast_position: 'middle', password: 'short', external_id: '' },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        'username: length is lower than 3',
        'password: length is lower than 8',
        'external_id: length is lower than 1',
      ]),
    )
    expect((await t.request('PATCH', '/api/admin/users/nope', { cookie: admin.cookie, body: {} })).status).toBe(400)
    const unknown = await t.request('PATCH', `/api/admin/users/${crypto.randomUUID()}`, { cookie: admin.cookie, body: { name_first: 'X' } })
    expect(unknown.status).toBe(404)
    const taken = await t.request('PATCH', `/api/admin/users/${plain.uuid}`, {
      cookie: admin.cookie,
      body: { email: admin.email.toUpperCase() },
    })
    expect(taken.status).toBe(409)
    expect(taken.body.errors).toEqual(['user with email/username/external_id already exists'])
    const role = await t.request('PATCH', `/api/admin/users/${plain.uuid}`, {
      cookie: admin.cookie,
      body: { role_uuid: crypto.randomUUID() },
    })
    expect(role.status).toBe(400)
  })

  describe('a role user with users.update cannot escalate', () => {
    let editor: AdminCaller
    beforeAll(async () => {
      editor = await roleCaller(t, admin, ['users.read', 'users.update'])
    }, SETUP_TIMEOUT)
    const patch = (uuid: string, body: unknown) => t.request('PATCH', `/api/admin/users/${uuid}`, { cookie: editor.cookie, body })

    test('cannot grant admin status, to anyone or to themselves', async () => {
      const target = await makeUser(t)
      for (const uuid of [target.uuid, editor.uuid]) {
        const res = await patch(uuid, { admin: true })
        expect(res.status).toBe(403)
        expect(res.body.errors).toEqual(['you cannot change admin status'])
      }
      expect((await rowOf(editor.uuid)).admin).toBe(false)
    })

    test('cannot assign, change or remove a role (their own included)', async () => {
      const target = await makeUser(t)
      const res = await patch(target.uuid, { role_uuid: editor.role!.uuid })
      expect(res.status).toBe(403)
      expect(res.body.errors).toEqual(["you cannot change a user's role"])
      const mine = await patch(editor.uuid, { role_uuid: null })
      expect(mine.status).toBe(403)
      const same = await patch(editor.uuid, { role_uuid: editor.role!.uuid, name_first: 'Same' })
      expect(same.status).toBe(200)
    })

    test('cannot modify an administrator, nor a user whose role holds more', async () => {
      const res = await patch(admin.uuid, { name_first: 'Mallory' })
      expect(res.status).toBe(403)
      expect(res.body.errors).toEqual(['you cannot modify an administrator'])
      const stronger = await roleCaller(t, admin, ['users.read', 'users.update', 'settings.update'])
      const up = await patch(stronger.uuid, { suspended: true })
      expect(up.status).toBe(403)
      expect(up.body.errors).toEqual(['you cannot modify a user with more permissions than yourself'])
      expect((await rowOf(stronger.uuid)).suspended).toBe(false)
    })

    test("cannot change another user's password or email, but may change their own", async () => {
      const target = await makeUser(t)
      const password = await patch(target.uuid, { password: 'takeover123' })
      expect(password.status).toBe(403)
      expect(password.body.errors).toEqual(["you cannot change another user's password"])
      const email = await patch(target.uuid, { email: 'mine@evil.example' })
      expect(email.status).toBe(403)
      expect(email.body.errors).toEqual(["you cannot change another user's email"])
      expect((await patch(target.uuid, { email: target.email.toUpperCase(), suspended: true })).status).toBe(200)
      expect((await patch(editor.uuid, { email: `new_${editor.email}` })).status).toBe(200)
    })
  })

  test("an admin's narrowed API key cannot grant admin status or a role beyond the key", async () => {
    const key = await narrowedAdminKey(t, admin, ['users.read', 'users.update'])
    const target = await makeUser(t)
    const admins = await t.request('PATCH', `/api/admin/users/${target.uuid}`, { token: key, body: { admin: true } })
    expect(admins.status).toBe(403)
    expect(admins.body.errors).toEqual(['you cannot grant admin status'])
    const big = await createRole(['users.read', 'nodes.delete'])
    const beyond = await t.request('PATCH', `/api/admin/users/${target.uuid}`, { token: key, body: { role_uuid: big.uuid } })
    expect(beyond.status).toBe(403)
    expect(beyond.body.errors).toEqual(['you cannot assign a role with more permissions than yourself'])
    const fullKey = await narrowedAdminKey(t, admin, t.kernel.catalog.list('admin'), t.kernel.catalog.list('server'))
    expect((await t.request('PATCH', `/api/admin/users/${target.uuid}`, { token: fullKey, body: { role_uuid: big.uuid } })).status).toBe(
      200,
    )
  })
})

describe('DELETE /api/admin/users/{user}', () => {
  test('deletes the user with sessions and keys, logs user:delete', async () => {
    const victim = await plainCaller(t)
    const res = await t.request('DELETE', `/api/admin/users/${victim.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await rowOf(victim.uuid)).toBeUndefined()
    expect(await t.kernel.database.db.$count(userSessions, eq(userSessions.user_uuid, victim.uuid))).toBe(0)
    expect((await t.request('GET', '/api/client/account', { cookie: victim.cookie })).status).toBe(401)
    const [event] = await adminEvents(t, admin, 'user:delete')
    expect(event.data).toEqual({
      uuid: victim.uuid,
      username: victim.username,
      email: victim.email,
      name_first: 'Test',
      name_last: expect.any(String),
      admin: false,
    })
    expect((await t.request('DELETE', `/api/admin/users/${victim.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('refuses callers without users.delete', async () => {
    const reader = await roleCaller(t, admin, ['users.read'])
    const key = await narrowedAdminKey(t, admin, ['users.read'])
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/users/${plain.uuid}` },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'users.delete',
    )
    expect((await t.request('DELETE', '/api/admin/users/123', { cookie: admin.cookie })).status).toBe(400)
  })

  test('a role user cannot delete an administrator', async () => {
    const deleter = await roleCaller(t, admin, ['users.read', 'users.delete'])
    const res = await t.request('DELETE', `/api/admin/users/${admin.uuid}`, { cookie: deleter.cookie })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['you cannot modify an administrator'])
    expect(await rowOf(admin.uuid)).toBeDefined()
  })

  test('a deletion guard registered through the users API refuses with its reason', async () => {
    const kept = await makeUser(t)
    usersApi(t).deletionGuards.add(async (tx, user) => {
      const [row] = await tx.select({ uuid: users.uuid }).from(users).where(eq(users.uuid, user.uuid))
      return row?.uuid === kept.uuid ? 'user has servers, cannot delete' : null
    })
    const res = await t.request('DELETE', `/api/admin/users/${kept.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['user has servers, cannot delete'])
    expect(await rowOf(kept.uuid)).toBeDefined()
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCaller,
  adminEvents,
  expectGuarded,
  expectModel,
  makeUser,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { AdminUser, Empty, Role } from './model'
import { roles, users } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
/** Enters the admin area (stats.read) but holds no role permission. */
let outsider: AdminCaller
let outsiderKey: string

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
  outsider = await roleCaller(t, admin, ['stats.read'])
  outsiderKey = await narrowedAdminKey(t, admin, ['stats.read'])
}, SETUP_TIMEOUT)

const uniq = (prefix = 'role') => `${prefix}_${Math.random().toString(36).slice(2, 9)}`
const roleBody = (overrides: Record<string, unknown> = {}) => ({
  name: uniq(),
  description: 'Helps',
  require_two_factor: false,
  admin_permissions: ['users.read'],
  server_permissions: ['files.read'],
  ...overrides,
})

async function makeRole(overrides: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/roles', { cookie: admin.cookie, body: roleBody(overrides) })
  expect(res.status).toBe(200)
  return res.body.role as { uuid: string; name: string; admin_permissions: string[]; server_permissions: string[] }
}

const stored = async (uuid: string) => (await t.kernel.database.db.select().from(roles).where(eq(roles.uuid, uuid)))[0]

describe('GET /api/admin/roles', () => {
  test('lists roles, searchable by name', async () => {
    const a = await makeRole({ name: uniq('listme') })
    const b = await makeRole({ name: uniq('LISTME') })
    const res = await t.request('GET', '/api/admin/roles?search=listme', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.roles).toMatchObject({ total: 2, page: 1 })
    expect(res.body.roles.data.map((r: any) => r.uuid)).toEqual([a.uuid, b.uuid])
    for (const r of res.body.roles.data) expectModel(Role, r)
  })

  test('refuses callers without roles.read', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/roles' },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'roles.read',
    )
  })

  test('bad pagination → 400', async () => {
    expect((await t.request('GET', '/api/admin/roles?per_page=101', { cookie: admin.cookie })).body.errors).toEqual([
      'per_page: greater than 100',
    ])
  })
})

describe('POST /api/admin/roles', () => {
  test('creates a role and logs role:create', async () => {
    const body = roleBody({ require_two_factor: true, admin_permissions: ['users.read', 'users.read', 'roles.read'] })
    const res = await t.request('POST', '/api/admin/roles', { cookie: admin.cookie, body })
    expect(res.status).toBe(200)
    expectModel(Role, res.body.role)
    expect(res.body.role).toMatchObject({
      name: body.name,
      description: 'Helps',
      require_two_factor: true,
      admin_permissions: ['users.read', 'roles.read'],
      server_permissions: ['files.read'],
    })
    const [event] = await adminEvents(t, admin, 'role:create')
    expect(event.data).toEqual({
      uuid: res.body.role.uuid,
      name: body.name,
      description: 'Helps',
      require_two_factor: true,
      admin_permissions: ['users.read', 'roles.read'],
      server_permissions: ['files.read'],
    })
  })

  test('refuses callers without roles.create', async () => {
    const reader = await roleCaller(t, admin, ['roles.read'])
    const key = await narrowedAdminKey(t, admin, ['roles.read'])
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/roles', body: roleBody() },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'roles.create',
    )
  })

  test('bad input → 400: lengths, and permissions outside the catalogs', async () => {
    const bad = await t.request('POST', '/api/admin/roles', {
      cookie: admin.cookie,
      body: roleBody({ name: '', description: 'x'.repeat(1025) }),
    })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(expect.arrayContaining(['name: length is lower than 1', 'description: length is greater than 1024']))
    const perms = await t.request('POST', '/api/admin/roles', {
      cookie: admin.cookie,
      body: roleBody({ admin_permissions: ['users.read', 'users.fly'], server_permissions: ['files.teleport'] }),
    })
    expect(perms.status).toBe(400)
    expect(perms.body.errors).toEqual([
      'admin_permissions: invalid permission: users.fly',
      'server_permissions: invalid permission: files.teleport',
    ])
  })

  test('a taken name → 409', async () => {
    const role = await makeRole()
    const res = await t.request('POST', '/api/admin/roles', { cookie: admin.cookie, body: roleBody({ name: role.name }) })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['role with name already exists'])
  })

  test('a role user cannot create a role with more permissions than their own', async () => {
    const creator = await roleCaller(t, admin, ['roles.create', 'roles.read', 'users.read'], ['files.read'])
    for (const more of [{ admin_permissions: ['roles.create', 'settings.update'] }, { server_permissions: ['files.delete'] }]) {
      const res = await t.request('POST', '/api/admin/roles', {
        cookie: creator.cookie,
        body: roleBody({ admin_permissions: [], server_permissions: [], ...more }),
      })
      expect(res.status).toBe(403)
      expect(res.body.errors).toEqual(['permissions: more permissions than self'])
    }
    const within = await t.request('POST', '/api/admin/roles', {
      cookie: creator.cookie,
      body: roleBody({ admin_permissions: ['users.read'], server_permissions: ['files.read'] }),
    })
    expect(within.status).toBe(200)
  })

  test("an admin's narrowed API key can only create roles within the key", async () => {
    const key = await narrowedAdminKey(t, admin, ['roles.create', 'users.read'], [])
    const beyond = await t.request('POST', '/api/admin/roles', { token: key, body: roleBody() })
    expect(beyond.status).toBe(403)
    expect(beyond.body.errors).toEqual(['permissions: more permissions than self'])
    expect((await t.request('POST', '/api/admin/roles', { token: key, body: roleBody({ server_permissions: [] }) })).status).toBe(200)
  })
})

describe('GET /api/admin/roles/{role}', () => {
  test('returns the role', async () => {
    const role = await makeRole()
    const res = await t.request('GET', `/api/admin/roles/${role.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Role, res.body.role)
    expect(res.body.role).toMatchObject({ uuid: role.uuid, name: role.name })
  })

  test('refuses callers without roles.read', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/roles/${outsider.role!.uuid}` },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'roles.read',
    )
  })

  test('a malformed uuid → 400, an unknown one → 404', async () => {
    expect((await t.request('GET', '/api/admin/roles/abc', { cookie: admin.cookie })).body.errors).toEqual(['invalid role uuid'])
    const unknown = await t.request('GET', `/api/admin/roles/${crypto.randomUUID()}`, { cookie: admin.cookie })
    expect(unknown.status).toBe(404)
    expect(unknown.body.errors).toEqual(['role not found'])
  })
})

describe('PATCH /api/admin/roles/{role}', () => {
  test('changes what is sent, logs role:update, and applies to its users at once', async () => {
    const member = await roleCaller(t, admin, ['stats.read'])
    const before = await t.request('GET', '/api/admin/roles', { cookie: member.cookie })
    expect(before.status).toBe(403)
    const res = await t.request('PATCH', `/api/admin/roles/${member.role!.uuid}`, {
      cookie: admin.cookie,
      body: { admin_permissions: ['stats.read', 'roles.read'], description: null },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(member.role!.uuid)).toMatchObject({
      name: member.role!.name,
      description: null,
      admin_permissions: ['stats.read', 'roles.read'],
    })
    expect((await t.request('GET', '/api/admin/roles', { cookie: member.cookie })).status).toBe(200)
    const [event] = await adminEvents(t, admin, 'role:update')
    expect(event.data).toEqual({
      uuid: member.role!.uuid,
      name: member.role!.name,
      description: null,
      require_two_factor: false,
      admin_permissions: ['stats.read', 'roles.read'],
      server_permissions: [],
    })
  })

  test('refuses callers without roles.update', async () => {
    const reader = await roleCaller(t, admin, ['roles.read'])
    const key = await narrowedAdminKey(t, admin, ['roles.read'])
    const route = { method: 'PATCH', path: `/api/admin/roles/${outsider.role!.uuid}`, body: { name: 'x' } }
    await expectGuarded(t, route, plain, [{ cookie: outsider.cookie }], 'roles.read')
    await expectGuarded(t, route, plain, [{ cookie: reader.cookie }, { token: key }], 'roles.update')
  })

  test('bad input → 400, taken name → 409, unknown → 404', async () => {
    const role = await makeRole()
    const other = await makeRole()
    const perms = await t.request('PATCH', `/api/admin/roles/${role.uuid}`, { cookie: admin.cookie, body: { admin_permissions: ['nope'] } })
    expect(perms.status).toBe(400)
    expect(perms.body.errors).toEqual(['admin_permissions: invalid permission: nope'])
    expect(
      (await t.request('PATCH', `/api/admin/roles/${role.uuid}`, { cookie: admin.cookie, body: { require_two_factor: 'yes' } })).status,
    ).toBe(400)
    const taken = await t.request('PATCH', `/api/admin/roles/${role.uuid}`, { cookie: admin.cookie, body: { name: other.name } })
    expect(taken.status).toBe(409)
    expect(taken.body.errors).toEqual(['role with name already exists'])
    expect(
      (await t.request('PATCH', `/api/admin/roles/${crypto.randomUUID()}`, { cookie: admin.cookie, body: { name: 'n' } })).status,
    ).toBe(404)
  })

  test('a role user cannot raise a role beyond their own permissions, nor change a stronger role', async () => {
    const editor = await roleCaller(t, admin, ['roles.read', 'roles.update'])
    const own = await t.request('PATCH', `/api/admin/roles/${editor.role!.uuid}`, {
      cookie: editor.cookie,
      body: { admin_permissions: ['roles.read', 'roles.update', 'users.update'] },
    })
    expect(own.status).toBe(403)
    expect(own.body.errors).toEqual(['permissions: more permissions than self'])
    const stronger = await makeRole({ admin_permissions: ['settings.update'], require_two_factor: true })
    const weaken = await t.request('PATCH', `/api/admin/roles/${stronger.uuid}`, {
      cookie: editor.cookie,
      body: { require_two_factor: false },
    })
    expect(weaken.status).toBe(403)
    expect(weaken.body.errors).toEqual(['permissions: more permissions than self'])
    expect((await stored(stronger.uuid)).require_two_factor).toBe(true)
    const weaker = await makeRole({ admin_permissions: ['roles.read'], server_permissions: [] })
    expect(
      (
        await t.request('PATCH', `/api/admin/roles/${weaker.uuid}`, {
          cookie: editor.cookie,
          body: { admin_permissions: ['roles.read', 'roles.update'] },
        })
      ).status,
    ).toBe(200)
  })
})

describe('DELETE /api/admin/roles/{role}', () => {
  test('deletes the role, its users keep no role, logs role:delete', async () => {
    const member = await roleCaller(t, admin, ['stats.read'])
    const res = await t.request('DELETE', `/api/admin/roles/${member.role!.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(member.role!.uuid)).toBeUndefined()
    expect((await t.kernel.database.db.select().from(users).where(eq(users.uuid, member.uuid)))[0].role_uuid).toBeNull()
    expect((await t.request('GET', '/api/admin/activity', { cookie: member.cookie })).body.errors).toEqual(['unauthorized'])
    const [event] = await adminEvents(t, admin, 'role:delete')
    expect(event.data).toEqual({ uuid: member.role!.uuid, name: member.role!.name })
    expect((await t.request('DELETE', `/api/admin/roles/${member.role!.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('refuses callers without roles.delete', async () => {
    const reader = await roleCaller(t, admin, ['roles.read'])
    const key = await narrowedAdminKey(t, admin, ['roles.read'])
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/roles/${outsider.role!.uuid}` },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'roles.delete',
    )
    expect((await t.request('DELETE', '/api/admin/roles/1', { cookie: admin.cookie })).status).toBe(400)
  })

  test('a role user cannot delete a role stronger than their own', async () => {
    const deleter = await roleCaller(t, admin, ['roles.read', 'roles.delete'])
    const stronger = await makeRole({ admin_permissions: ['roles.read', 'roles.delete', 'nodes.read'], server_permissions: [] })
    const res = await t.request('DELETE', `/api/admin/roles/${stronger.uuid}`, { cookie: deleter.cookie })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['permissions: more permissions than self'])
    expect(await stored(stronger.uuid)).toBeDefined()
  })
})

describe('POST /api/admin/roles/{role}/duplicate', () => {
  test('copies the role under a new name, logs role:duplicate', async () => {
    const source = await makeRole({ require_two_factor: true })
    const name = uniq('copy')
    const res = await t.request('POST', `/api/admin/roles/${source.uuid}/duplicate`, { cookie: admin.cookie, body: { name } })
    expect(res.status).toBe(200)
    expectModel(Role, res.body.role)
    expect(res.body.role).toMatchObject({
      name,
      description: 'Helps',
      require_two_factor: true,
      admin_permissions: source.admin_permissions,
      server_permissions: source.server_permissions,
    })
    expect(res.body.role.uuid).not.toBe(source.uuid)
    const [event] = await adminEvents(t, admin, 'role:duplicate')
    expect(event.data).toEqual({ source_uuid: source.uuid, source_name: source.name, uuid: res.body.role.uuid, name })
    const again = await t.request('POST', `/api/admin/roles/${source.uuid}/duplicate`, { cookie: admin.cookie, body: { name } })
    expect(again.status).toBe(409)
  })

  test('refuses callers without roles.create; bad input → 400', async () => {
    const reader = await roleCaller(t, admin, ['roles.read'])
    const key = await narrowedAdminKey(t, admin, ['roles.read'])
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/roles/${outsider.role!.uuid}/duplicate`, body: { name: uniq() } },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'roles.create',
    )
    const bad = await t.request('POST', `/api/admin/roles/${outsider.role!.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(['name: length is lower than 1'])
  })

  test('a role user cannot duplicate a role stronger than their own', async () => {
    const copier = await roleCaller(t, admin, ['roles.read', 'roles.create'])
    const stronger = await makeRole({ admin_permissions: ['settings.update'], server_permissions: [] })
    const res = await t.request('POST', `/api/admin/roles/${stronger.uuid}/duplicate`, { cookie: copier.cookie, body: { name: uniq() } })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['permissions: more permissions than self'])
    expect(
      (await t.request('POST', `/api/admin/roles/${copier.role!.uuid}/duplicate`, { cookie: copier.cookie, body: { name: uniq() } }))
        .status,
    ).toBe(200)
  })
})

describe('GET /api/admin/roles/{role}/users', () => {
  test("lists the role's users, searchable by username or email", async () => {
    const role = await makeRole({ admin_permissions: [] })
    const a = await makeUser(t, { role_uuid: role.uuid, username: uniq('member') })
    const b = await makeUser(t, { role_uuid: role.uuid, username: uniq('member') })
    await makeUser(t, { username: uniq('member') })
    const res = await t.request('GET', `/api/admin/roles/${role.uuid}/users`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.users.data.map((u: any) => u.uuid)).toEqual([a.uuid, b.uuid])
    for (const u of res.body.users.data) expectModel(AdminUser, u)
    const search = await t.request('GET', `/api/admin/roles/${role.uuid}/users?search=${b.email}`, { cookie: admin.cookie })
    expect(search.body.users).toMatchObject({ total: 1, data: [{ uuid: b.uuid }] })
  })

  test('needs users.read besides roles.read', async () => {
    const reader = await roleCaller(t, admin, ['roles.read'])
    const key = await narrowedAdminKey(t, admin, ['roles.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/roles/${outsider.role!.uuid}/users` },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'users.read',
    )
    expect((await t.request('GET', `/api/admin/roles/${crypto.randomUUID()}/users`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', `/api/admin/roles/${outsider.role!.uuid}/users?page=-1`, { cookie: admin.cookie })).status).toBe(400)
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import {
  adminCaller,
  expectGuarded,
  expectModel,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { AdminActivity } from './model'

const t = useTestApp()
let admin: AdminCaller
let other: AdminCaller
let plain: AdminCaller

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  other = await adminCaller(t)
  plain = await plainCaller(t)
}, SETUP_TIMEOUT)

const role = (cookie: string, name: string) =>
  t.request('POST', '/api/admin/roles', {
    cookie,
    body: { name, require_two_factor: false, admin_permissions: [], server_permissions: [] },
  })

describe('the totals of the admin activity lists (admin_activity_counts, kept by triggers)', () => {
  test('the whole log and one user’s part stay exact through inserts, a deleted actor and deletes', async () => {
    const actor = await adminCaller(t)
    const totals = async () => {
      const all = await t.request('GET', '/api/admin/activity?per_page=1&page=100000', { cookie: admin.cookie })
      const mine = await t.request('GET', `/api/admin/activity?user=${actor.uuid}&per_page=1&page=100000`, { cookie: admin.cookie })
      const [{ n }] = await t.kernel.database.query<{ n: number }>(sql`select count(*)::int as n from admin_activities`)
      expect(all.body.activities.total).toBe(n)
      return { all: n, mine: mine.status === 200 ? mine.body.activities.total : null }
    }
    const before = await totals()
    for (const name of ['count_a', 'count_b']) expect((await role(actor.cookie, name)).status).toBe(200)
    const after = await totals()
    expect(after.all).toBe(before.all + 2)
    expect(after.mine).toBe(2)
    await t.kernel.database.query(sql`delete from users where uuid = ${actor.uuid}`)
    expect((await t.kernel.database.query(sql`select 1 from admin_activity_counts where subject = ${actor.uuid}`)).length).toBe(0)
    await t.kernel.database.query(sql`delete from admin_activities where event = 'role:create' and data->>'name' = 'count_a'`)
    expect((await totals()).all).toBe(after.all - 1)
  })
})

describe('GET /api/admin/activity', () => {
  test('lists admin activity newest first, with the acting user and whether an API key was used', async () => {
    expect((await role(admin.cookie, 'activity_first')).status).toBe(200)
    const key = await narrowedAdminKey(t, other, ['roles.create'])
    expect(
      (
        await t.request('POST', '/api/admin/roles', {
          token: key,
          body: { name: 'activity_second', require_two_factor: false, admin_permissions: [], server_permissions: [] },
        })
      ).status,
    ).toBe(200)
    const res = await t.request('GET', '/api/admin/activity?search=role:create', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    const entries = res.body.activities.data
    for (const a of entries) expectModel(AdminActivity, a)
    expect(entries.map((a: any) => a.data.name).slice(0, 2)).toEqual(['activity_second', 'activity_first'])
    expect(entries[0]).toMatchObject({ event: 'role:create', is_api: true, impersonator: null, ip: '127.0.0.1' })
    expect(entries[0].user).toMatchObject({ uuid: other.uuid, username: other.username })
    expect(entries[1]).toMatchObject({ is_api: false, user: { uuid: admin.uuid } })
  })

  test('past the last page the total stays true, also when nothing matches', async () => {
    const none = await t.request('GET', '/api/admin/activity?page=3&search=no-such-event', { cookie: admin.cookie })
    expect(none.status).toBe(200)
    expect(none.body.activities).toEqual({ total: 0, per_page: 10, page: 3, data: [] })
    const some = await t.request('GET', '/api/admin/activity?page=50&search=role:create', { cookie: admin.cookie })
    expect(some.body.activities.total).toBeGreaterThanOrEqual(2)
    expect(some.body.activities.data).toEqual([])
  })

  test('search matches the acting username; `user` keeps one user’s entries', async () => {
    expect((await role(other.cookie, 'activity_third')).status).toBe(200)
    const byName = await t.request('GET', `/api/admin/activity?search=${other.username.toUpperCase()}`, { cookie: admin.cookie })
    expect(byName.body.activities.data.length).toBeGreaterThan(0)
    expect(byName.body.activities.data.every((a: any) => a.user.uuid === other.uuid)).toBe(true)
    const byUser = await t.request('GET', `/api/admin/activity?user=${admin.uuid}&per_page=100`, { cookie: admin.cookie })
    expect(byUser.body.activities.total).toBeGreaterThan(0)
    expect(byUser.body.activities.data.every((a: any) => a.user.uuid === admin.uuid)).toBe(true)
    const none = await t.request('GET', `/api/admin/activity?user=${crypto.randomUUID()}`, { cookie: admin.cookie })
    expect(none.body.activities).toEqual({ total: 0, per_page: 10, page: 1, data: [] })
  })

  test('refuses callers without activity.read', async () => {
    const reader = await roleCaller(t, admin, ['users.read'])
    const key = await narrowedAdminKey(t, admin, ['users.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/activity' },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'activity.read',
    )
  })

  test('a malformed user filter or page → 400', async () => {
    const user = await t.request('GET', '/api/admin/activity?user=nope', { cookie: admin.cookie })
    expect(user.status).toBe(400)
    expect(user.body.errors).toEqual(['user: not a valid uuid'])
    expect((await t.request('GET', '/api/admin/activity?page=0', { cookie: admin.cookie })).status).toBe(400)
  })
})

import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { expectModel, login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { UserActivity } from './model'
import { anonymousActor } from 'hatchery'
import { userActivities } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

const db = () => t.kernel.database.db

/** A logged-in user with activity `auth:success`, then `event-1` … `event-n`, one minute apart. */
async function userWithActivity(n: number) {
  const user = await makeUser(t)
  const cookie = await login(t, user)
  for (let i = 1; i <= n; i++) await t.kernel.activity.user(db(), anonymousActor(user.uuid, '192.0.2.1'), `test:event-${i}`, { i })
  await db().execute(
    sql`update ${userActivities} set created = '2025-01-01T00:00:00Z'::timestamptz + make_interval(mins => id::int) where user_uuid = ${user.uuid}`,
  )
  return { user, cookie }
}
const get = (auth: { cookie?: string; token?: string }, query = '') => t.request('GET', `/api/client/account/activity${query}`, auth)

describe('the total of the activity list (user_activity_counts, kept by triggers)', () => {
  const totalOf = async (cookie: string) => (await get({ cookie }, '?per_page=1&page=1000')).body.activities.total
  const counted = (uuid: string) => t.kernel.database.query(sql`select count from user_activity_counts where user_uuid = ${uuid}`)

  test('follows inserts of one and of many rows, and deletes, exactly', async () => {
    const { user, cookie } = await userWithActivity(3)
    expect(await totalOf(cookie)).toBe(4)
    await db()
      .insert(userActivities)
      .values(Array.from({ length: 25 }, (_, i) => ({ user_uuid: user.uuid, event: `bulk:${i}`, data: {} })))
    expect(await totalOf(cookie)).toBe(29)
    await db().execute(
      sql`delete from ${userActivities} where user_uuid = ${user.uuid} and event like 'bulk:%' and (data->>'i') is null and id % 2 = 0`,
    )
    const [{ n }] = (await db()
      .select({ n: sql<number>`count(*)::int` })
      .from(userActivities)
      .where(sql`user_uuid = ${user.uuid}`)) as { n: number }[]
    expect(await totalOf(cookie)).toBe(n)
  })

  test('a rolled-back insert is not counted; a deleted user leaves no count behind', async () => {
    const { user, cookie } = await userWithActivity(1)
    await db()
      .transaction(async (tx) => {
        await t.kernel.activity.user(tx, anonymousActor(user.uuid, null), 'test:rolled-back')
        throw new Error('roll back')
      })
      .catch(() => {})
    expect(await totalOf(cookie)).toBe(2)
    expect((await counted(user.uuid)).map((r) => Number(r.count))).toEqual([2])
    await db().execute(sql`delete from users where uuid = ${user.uuid}`)
    expect(await counted(user.uuid)).toEqual([])
  })
})

describe('GET /api/client/account/activity', () => {
  test('lists the caller’s activity newest first', async () => {
    const { cookie } = await userWithActivity(3)
    await userWithActivity(2)
    const res = await get({ cookie })
    expect(res.status).toBe(200)
    const page = res.body.activities
    expect(page).toMatchObject({ total: 4, per_page: 10, page: 1 })
    for (const a of page.data) expectModel(UserActivity, a)
    expect(page.data.map((a: any) => a.event)).toEqual(['test:event-3', 'test:event-2', 'test:event-1', 'auth:success'])
    expect(page.data[0]).toMatchObject({ impersonator: null, ip: '192.0.2.1', data: { i: 3 }, is_api: false })
  })

  test('search matches the event case-insensitively; paging counts past the end', async () => {
    const { cookie } = await userWithActivity(12)
    expect((await get({ cookie }, '?search=EVENT-1')).body.activities.data.map((a: any) => a.event)).toEqual([
      'test:event-12',
      'test:event-11',
      'test:event-10',
      'test:event-1',
    ])
    const second = await get({ cookie }, '?per_page=5&page=3')
    expect(second.body.activities).toMatchObject({ total: 13, per_page: 5, page: 3 })
    expect(second.body.activities.data.map((a: any) => a.event)).toEqual(['test:event-2', 'test:event-1', 'auth:success'])
    expect((await get({ cookie }, '?per_page=5&page=9')).body.activities).toEqual({ total: 13, per_page: 5, page: 9, data: [] })
  })

  test('entries made through an API key say is_api', async () => {
    const { cookie } = await userWithActivity(0)
    const key = await makeApiKey(t, cookie, { user_permissions: ['activity.read', 'account.infos'] })
    expect((await t.request('PATCH', '/api/client/account', { token: key.key, body: { name_first: 'Api' } })).status).toBe(200)
    const res = await get({ token: key.key }, '?search=account:update')
    expect(res.status).toBe(200)
    expect(res.body.activities.data[0]).toMatchObject({ event: 'account:update', is_api: true })
  })

  test('without authentication → 401', async () => {
    expect((await get({})).status).toBe(401)
  })

  test('an API key without activity.read → 403', async () => {
    const { cookie } = await userWithActivity(0)
    const key = await makeApiKey(t, cookie, { user_permissions: [] })
    expect((await get({ token: key.key })).status).toBe(403)
  })

  test('bad paging → 400', async () => {
    const { cookie } = await userWithActivity(0)
    const res = await get({ cookie }, '?page=0')
    expect(res.status).toBe(400)
    expect(res.body.errors).toContain('page: lower than 1')
  })
})

import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { expectModel, lastActivity, makeApiKey, makeUser, relaxRateLimits, useTestApp, type TestUser } from 'hatchery/testing'
import { usersApi } from './test-helpers'
import { Session } from './model'
import { userSessions } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

const db = () => t.kernel.database.db

/** A session made the way login makes one (without paying for a password hash); returns the Cookie header value. */
async function sessionFor(user: TestUser, ua: string, ip = '127.0.0.1') {
  const { cookie } = await usersApi(t).credentials.createSession(db(), user.uuid, ip, ua)
  return `hatchery_session=${cookie}`
}
const get = (cookie: string, query = '', ua = 'Main Browser') =>
  t.request('GET', `/api/client/account/sessions${query}`, { cookie, headers: { 'user-agent': ua } })
const sessionsOf = (uuid: string) => db().select().from(userSessions).where(eq(userSessions.user_uuid, uuid))

/** A user with three sessions (oldest first): Firefox, Chrome on 2001:db8::1, and the Main Browser one returned as `cookie`. */
async function userWithSessions() {
  const user = await makeUser(t)
  const firefox = await sessionFor(user, 'Mozilla/5.0 Firefox/140.0', '198.51.100.1')
  const chrome = await sessionFor(user, 'Mozilla/5.0 Chrome/139.0', '2001:db8::1')
  const cookie = await sessionFor(user, 'Main Browser')
  // Distinct creation times, so "newest first" is decided by the data.
  const rows = await sessionsOf(user.uuid)
  const order = [firefox, chrome, cookie].map((c) => rows.find((r) => r.key_id === c.split('=')[1].slice(0, 16))!)
  for (const [i, row] of order.entries())
    await db()
      .update(userSessions)
      .set({ created: sql`now() - make_interval(mins => ${10 - i})` })
      .where(eq(userSessions.uuid, row.uuid))
  return { user, cookie, firefox, chrome, uuids: order.map((r) => r.uuid) }
}

describe('GET /api/client/account/sessions', () => {
  test('lists the sessions newest first, marking the one in use', async () => {
    const { cookie, uuids } = await userWithSessions()
    await makeUser(t).then((other) => sessionFor(other, 'Someone Else'))
    const res = await get(cookie)
    expect(res.status).toBe(200)
    const page = res.body.sessions
    expect(page).toMatchObject({ total: 3, per_page: 10, page: 1 })
    for (const s of page.data) expectModel(Session, s)
    expect(page.data.map((s: any) => s.uuid)).toEqual([...uuids].reverse())
    expect(page.data.map((s: any) => s.is_using)).toEqual([true, false, false])
    expect(page.data[1]).toMatchObject({ ip: '2001:db8::1', user_agent: 'Mozilla/5.0 Chrome/139.0' })
    expect(page.data[2]).toMatchObject({ ip: '198.51.100.1', user_agent: 'Mozilla/5.0 Firefox/140.0' })
  })

  test('search matches the user agent; pages count past the end', async () => {
    const { cookie, uuids } = await userWithSessions()
    const found = await get(cookie, '?search=firefox')
    expect(found.body.sessions.data.map((s: any) => s.uuid)).toEqual([uuids[0]])
    const second = await get(cookie, '?per_page=2&page=2')
    expect(second.body.sessions).toMatchObject({ total: 3, per_page: 2, page: 2 })
    expect(second.body.sessions.data).toHaveLength(1)
    expect((await get(cookie, '?per_page=2&page=5')).body.sessions).toEqual({ total: 3, per_page: 2, page: 5, data: [] })
  })

  test('sessions idle past app.session_duration_seconds are not listed', async () => {
    const { user, cookie, uuids } = await userWithSessions()
    await db()
      .update(userSessions)
      .set({ last_used: sql`now() - interval '8 days'` })
      .where(eq(userSessions.uuid, uuids[0]))
    const res = await get(cookie)
    expect(res.body.sessions.total).toBe(2)
    expect(res.body.sessions.data.map((s: any) => s.uuid)).not.toContain(uuids[0])
    expect(await sessionsOf(user.uuid)).toHaveLength(3)
  })

  test('with an API key nothing is in use', async () => {
    const { cookie } = await userWithSessions()
    const key = await makeApiKey(t, cookie, { user_permissions: ['sessions.read'] })
    const res = await t.request('GET', '/api/client/account/sessions', { token: key.key })
    expect(res.status).toBe(200)
    expect(res.body.sessions.data.every((s: any) => s.is_using === false)).toBe(true)
  })

  test('without authentication → 401', async () => {
    expect((await t.request('GET', '/api/client/account/sessions')).status).toBe(401)
  })

  test('an API key without sessions.read → 403', async () => {
    const { cookie } = await userWithSessions()
    const key = await makeApiKey(t, cookie, { user_permissions: ['sessions.delete'] })
    expect((await t.request('GET', '/api/client/account/sessions', { token: key.key })).status).toBe(403)
  })

  test('bad paging → 400', async () => {
    const { cookie } = await userWithSessions()
    const res = await get(cookie, '?per_page=0')
    expect(res.status).toBe(400)
    expect(res.body.errors).toContain('per_page: lower than 1')
  })
})

describe('DELETE /api/client/account/sessions', () => {
  test('ends every other session, keeps this one, answers the count', async () => {
    const { user, cookie, firefox, chrome } = await userWithSessions()
    const res = await t.request('DELETE', '/api/client/account/sessions', { cookie, headers: { 'user-agent': 'Main Browser' } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ deleted: 2 })
    for (const gone of [firefox, chrome]) expect((await t.request('GET', '/api/client/account', { cookie: gone })).status).toBe(401)
    expect((await get(cookie)).body.sessions.total).toBe(1)
    expect((await lastActivity(t, user.uuid, 'session:delete-all')).data).toEqual({ deleted: 2 })
  })

  test('with an API key every session ends', async () => {
    const { user, cookie } = await userWithSessions()
    const key = await makeApiKey(t, cookie, { user_permissions: ['sessions.delete'] })
    const res = await t.request('DELETE', '/api/client/account/sessions', { token: key.key })
    expect(res.body).toEqual({ deleted: 3 })
    expect(await sessionsOf(user.uuid)).toHaveLength(0)
    expect((await lastActivity(t, user.uuid, 'session:delete-all')).api_key_uuid).toBe(key.uuid)
  })

  test('without authentication → 401', async () => {
    expect((await t.request('DELETE', '/api/client/account/sessions')).status).toBe(401)
  })

  test('an API key without sessions.delete → 403, nothing ends', async () => {
    const { user, cookie } = await userWithSessions()
    const key = await makeApiKey(t, cookie, { user_permissions: ['sessions.read'] })
    expect((await t.request('DELETE', '/api/client/account/sessions', { token: key.key })).status).toBe(403)
    expect(await sessionsOf(user.uuid)).toHaveLength(3)
  })
})

describe('DELETE /api/client/account/sessions/{session}', () => {
  test('ends one session and logs which', async () => {
    const { user, cookie, chrome, uuids } = await userWithSessions()
    const res = await t.request('DELETE', `/api/client/account/sessions/${uuids[1]}`, { cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect((await t.request('GET', '/api/client/account', { cookie: chrome })).status).toBe(401)
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(200)
    expect((await lastActivity(t, user.uuid, 'session:delete')).data).toEqual({
      uuid: uuids[1],
      user_agent: 'Mozilla/5.0 Chrome/139.0',
      ip: '2001:db8::1/128',
    })
  })

  test('the current session may be ended too', async () => {
    const { cookie, uuids } = await userWithSessions()
    expect((await t.request('DELETE', `/api/client/account/sessions/${uuids[2]}`, { cookie })).status).toBe(200)
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(401)
  })

  test("another user's session or an unknown one → 404", async () => {
    const mine = await userWithSessions()
    const theirs = await userWithSessions()
    for (const uuid of [theirs.uuids[0], crypto.randomUUID()]) {
      const res = await t.request('DELETE', `/api/client/account/sessions/${uuid}`, { cookie: mine.cookie })
      expect(res.status).toBe(404)
      expect(res.body.errors).toEqual(['session not found'])
    }
    expect(await sessionsOf(theirs.user.uuid)).toHaveLength(3)
  })

  test('a malformed id → 400', async () => {
    const { cookie } = await userWithSessions()
    const res = await t.request('DELETE', '/api/client/account/sessions/not-a-uuid', { cookie })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('session: ')
  })

  test('without authentication → 401', async () => {
    expect((await t.request('DELETE', `/api/client/account/sessions/${crypto.randomUUID()}`)).status).toBe(401)
  })

  test('an API key without sessions.delete → 403', async () => {
    const { cookie, uuids } = await userWithSessions()
    const key = await makeApiKey(t, cookie, { user_permissions: ['sessions.read'] })
    expect((await t.request('DELETE', `/api/client/account/sessions/${uuids[0]}`, { token: key.key })).status).toBe(403)
  })
})

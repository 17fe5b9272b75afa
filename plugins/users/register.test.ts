import { afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { activitiesOf, cookieOf, expectModel, login, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { FullUser } from './model'
import { userSessions, users } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
const many = { hits: 100_000, window_seconds: 60 }
beforeAll(async () => {
  await relaxRateLimits(t)
  await t.kernel.settings.update({ 'ratelimits.auth_register': many })
})

let seq = 0
function newAccount(overrides: Record<string, unknown> = {}) {
  const n = `reg${++seq}_${Math.random().toString(36).slice(2, 6)}`
  return { username: n, email: `${n}@example.com`, name_first: 'New', name_last: 'Person', password: 'registered-password', ...overrides }
}
const register = (body: Record<string, unknown>, ip?: string) =>
  t.request('POST', '/api/auth/register', { body, ip, headers: { 'user-agent': 'signup/1.0' } })

describe('POST /api/auth/register', () => {
  afterEach(async () => {
    await t.kernel.settings.update({ 'ratelimits.auth_register': many })
    await t.kernel.settings.reset(['app.registration_enabled', 'captcha_provider', 'app.language'])
  })

  test('never creates an administrator, not even the first user', async () => {
    expect(await t.kernel.database.db.$count(users)).toBe(0)
    const res = await register(newAccount())
    expect(res.status).toBe(200)
    expect(res.body.user.admin).toBe(false)
    expect(await t.kernel.database.db.$count(users, eq(users.admin, true))).toBe(0)
  })

  test('creates the account, logs in with a session cookie, answers the full user', async () => {
    const body = newAccount()
    const res = await register(body, '203.0.113.20')
    expect(res.status).toBe(200)
    expectModel(FullUser, res.body.user)
    expect(res.body.user).toMatchObject({
      username: body.username,
      email: body.email,
      name_first: 'New',
      name_last: 'Person',
      admin: false,
      role: null,
      has_password: true,
      language: 'en',
    })
    const cookie = cookieOf(res)
    const me = await t.request('GET', '/api/client/account', { cookie })
    expect(me.status).toBe(200)
    expect(me.body.user.uuid).toBe(res.body.user.uuid)
    const [session] = await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, res.body.user.uuid))
    expect(session).toMatchObject({ ip: '203.0.113.20', user_agent: 'signup/1.0' })
    const [row] = await t.kernel.database.db.select().from(users).where(eq(users.uuid, res.body.user.uuid))
    expect(row.password).toStartWith('$argon2id$')
    await login(t, { username: body.username, password: body.password })
  })

  test('admin in the body is not a field anyone can set', async () => {
    const res = await register({ ...newAccount(), admin: true })
    expect(res.status).toBe(200)
    expect(res.body.user.admin).toBe(false)
    expect(await t.kernel.database.db.$count(users, eq(users.admin, true))).toBe(0)
  })

  test('the new user gets the panel language', async () => {
    await t.kernel.settings.update({ 'app.language': 'de' })
    expect((await register(newAccount())).body.user.language).toBe('de')
  })

  test('registration disabled → 400', async () => {
    await t.kernel.settings.update({ 'app.registration_enabled': false })
    const body = newAccount()
    const res = await register(body)
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['registration is disabled'])
    expect(await t.kernel.database.db.$count(users, eq(users.username, body.username))).toBe(0)
  })

  test('a taken username or email, in any case → 400, nothing created', async () => {
    const first = newAccount()
    expect((await register(first)).status).toBe(200)
    const before = await t.kernel.database.db.$count(users)
    for (const body of [newAccount({ username: first.username.toUpperCase() }), newAccount({ email: first.email.toUpperCase() })]) {
      const res = await register(body)
      expect(res.status).toBe(400)
      expect(res.body.errors).toEqual(['user with username or email already exists'])
    }
    expect(await t.kernel.database.db.$count(users)).toBe(before)
  })

  test('bad input → 400 with every field', async () => {
    const res = await register({ username: 'a!', email: 'nope', name_first: '', name_last: 'x', password: 'short' })
    expect(res.status).toBe(400)
    const fields = res.body.errors.map((e: string) => e.split(':')[0])
    expect(fields).toEqual(expect.arrayContaining(['username', 'email', 'name_first', 'password']))
    expect((await register({ ...newAccount(), username: 'x'.repeat(16) })).status).toBe(400)
  })

  test('rate limited per client IP (auth_register)', async () => {
    await t.kernel.settings.update({ 'ratelimits.auth_register': { hits: 2, window_seconds: 60 } })
    expect((await register(newAccount(), '192.0.2.80')).status).toBe(200)
    expect((await register(newAccount(), '192.0.2.80')).status).toBe(200)
    expect((await register(newAccount(), '192.0.2.80')).status).toBe(429)
    expect((await register(newAccount(), '192.0.2.81')).status).toBe(200)
  })

  test('the captcha step applies', async () => {
    await t.kernel.settings.update({ captcha_provider: { type: 'hcaptcha', site_key: 'site', secret_key: 'secret' } })
    const res = await register(newAccount())
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['captcha: required'])
  })

  test('no activity is written for the registration itself', async () => {
    const res = await register(newAccount())
    expect(await activitiesOf(t, res.body.user.uuid)).toEqual([])
    expect(await t.kernel.database.db.$count(users, sql`${users.uuid} = ${res.body.user.uuid}`)).toBe(1)
  })
})

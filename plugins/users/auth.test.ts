import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import {
  cookieOf,
  expectModel,
  lastActivity,
  login,
  makeUser,
  relaxRateLimits,
  testApp,
  totp,
  useTestApp,
  type TestApp,
} from 'hatchery/testing'
import { codeAfter, enableTwoFactor, updateUser } from './test-helpers'
import { FullUser, ShortUser } from './model'
import { userLoginCheckpoints, userSessions, users } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

/** A user with TOTP on; returns what a checkpoint needs. */
async function twoFactorUser() {
  const user = await makeUser(t)
  const tf = await enableTwoFactor(t, await login(t, user), user.password)
  return { user, ...tf }
}

async function checkpointToken(user: { username: string; password: string }, ip?: string): Promise<string> {
  const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password }, ip })
  expect(res.status).toBe(200)
  expect(res.body.type).toBe('two_factor_required')
  return res.body.token
}

describe('POST /api/auth/login', () => {
  test('a user without TOTP gets a session cookie and the full user', async () => {
    const user = await makeUser(t)
    const res = await t.request('POST', '/api/auth/login', {
      body: { user: user.username, password: user.password },
      ip: '203.0.113.9',
      headers: { 'user-agent': 'hatchery-tests/1.0' },
    })
    expect(res.status).toBe(200)
    expect(res.body.type).toBe('completed')
    expectModel(FullUser, res.body.user)
    expect(res.body.user).toMatchObject({
      uuid: user.uuid,
      username: user.username,
      email: user.email,
      has_password: true,
      totp_enabled: false,
    })

    const setCookie = res.headers.get('set-cookie')!
    const [, value] = /^hatchery_session=([^;]+);/.exec(setCookie)!
    expect(value).toMatch(/^[A-Za-z0-9]{16}:[0-9a-f]{64}$/)
    expect(setCookie).toContain('; Path=/')
    expect(setCookie).toContain('; HttpOnly')
    expect(setCookie).toContain('; SameSite=Lax')
    expect(setCookie).not.toContain('Secure')
    const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)![1])
    expect(Math.abs(expires - (Date.now() + 604800_000))).toBeLessThan(5000)

    const [session] = await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid))
    expect(session).toMatchObject({ ip: '203.0.113.9', user_agent: 'hatchery-tests/1.0', key_id: value.slice(0, 16) })
    expect(session.key_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(session.key_hash).not.toBe(value.slice(17))

    const activity = await lastActivity(t, user.uuid, 'auth:success')
    expect(activity).toMatchObject({
      ip: '203.0.113.9',
      impersonator_uuid: null,
      api_key_uuid: null,
      data: { using: 'password', user_agent: 'hatchery-tests/1.0' },
    })
  })

  test('the stored user agent is cut to 255 bytes on a character boundary, or `unknown`', async () => {
    const user = await makeUser(t)
    const agent = 'é'.repeat(200)
    expect(
      (
        await t.request('POST', '/api/auth/login', {
          body: { user: user.username, password: user.password },
          headers: { 'user-agent': agent },
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await t.request('POST', '/api/auth/login', {
          body: { user: user.username, password: user.password },
          headers: { 'user-agent': '' },
        })
      ).status,
    ).toBe(200)
    const rows = await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid))
    const agents = rows.map((r) => r.user_agent).sort()
    expect(agents).toEqual(['unknown', 'é'.repeat(127)])
    expect(Buffer.byteLength(agents[1])).toBe(254)
  })

  test('the email works as login, case-insensitively, and so does the username', async () => {
    const user = await makeUser(t)
    const byEmail = await t.request('POST', '/api/auth/login', { body: { user: user.email.toUpperCase(), password: user.password } })
    expect(byEmail.status).toBe(200)
    expect(byEmail.body.user.uuid).toBe(user.uuid)
    const byName = await t.request('POST', '/api/auth/login', { body: { user: user.username.toUpperCase(), password: user.password } })
    expect(byName.status).toBe(200)
    expect(byName.body.user.uuid).toBe(user.uuid)
  })

  test('the cookie is Secure when app.url is https, and named by app.session_cookie', async () => {
    const user = await makeUser(t)
    await t.kernel.settings.update({ 'app.url': 'https://panel.example.com', 'app.session_cookie': 'panel_sid' })
    try {
      const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
      expect(res.status).toBe(200)
      const setCookie = res.headers.get('set-cookie')!
      expect(setCookie).toStartWith('panel_sid=')
      expect(setCookie).toEndWith('; Secure')
      const account = await t.request('GET', '/api/client/account', { cookie: cookieOf(res) })
      expect(account.status).toBe(200)
      expect(account.body.user.uuid).toBe(user.uuid)
    } finally {
      await t.kernel.settings.update({ 'app.url': 'http://localhost:8000', 'app.session_cookie': 'hatchery_session' })
    }
  })

  test('wrong password, unknown user and a user without password → 400 invalid username or password', async () => {
    const user = await makeUser(t)
    const noPassword = await makeUser(t, { password: null })
    for (const body of [
      { user: user.username, password: 'wrong-password' },
      { user: 'nobody_here', password: 'password123' },
      { user: noPassword.username, password: '' },
      { user: noPassword.username, password: 'password123' },
    ]) {
      const res = await t.request('POST', '/api/auth/login', { body })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['invalid username or password'] })
      expect(res.headers.get('set-cookie')).toBeNull()
    }
  })

  test('a suspended user is refused (after the password check)', async () => {
    const user = await makeUser(t, { suspended: true })
    const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['account is suspended'] })
    expect(res.headers.get('set-cookie')).toBeNull()
    const wrong = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: 'not-it-at-all' } })
    expect(wrong.status).toBe(400)
  })

  test('bad input → 400 with field messages', async () => {
    const missing = await t.request('POST', '/api/auth/login', { body: { user: 'someone' } })
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toEqual(['password: required'])
    const empty = await t.request('POST', '/api/auth/login', { body: { user: '', password: 'x' } })
    expect(empty.status).toBe(400)
    expect(empty.body.errors).toContain('user: length is lower than 1')
    const long = await t.request('POST', '/api/auth/login', { body: { user: 'someone', password: 'x'.repeat(513) } })
    expect(long.status).toBe(400)
    expect(long.body.errors).toContain('password: length is greater than 512')
  })

  test('with a captcha provider configured, a missing captcha → 400 captcha: required', async () => {
    const user = await makeUser(t)
    await t.kernel.settings.update({ captcha_provider: { type: 'turnstile', site_key: 'site', secret_key: 'secret' } })
    try {
      const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['captcha: required'] })
    } finally {
      await t.kernel.settings.update({ captcha_provider: { type: 'none' } })
    }
  })

  test('a user with TOTP gets a checkpoint token instead of a session', async () => {
    const { user } = await twoFactorUser()
    const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password }, ip: '198.51.100.4' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['type', 'user', 'token'])
    expect(res.body.type).toBe('two_factor_required')
    expectModel(ShortUser, res.body.user)
    expect(res.body.user).toMatchObject({ uuid: user.uuid, totp_enabled: true })
    expect(res.body.token).toMatch(/^[A-Za-z0-9]{64}$/)
    expect(res.headers.get('set-cookie')).toBeNull()
    const activity = await lastActivity(t, user.uuid, 'auth:checkpoint')
    expect(activity).toMatchObject({ ip: '198.51.100.4', data: { using: 'password' } })
    const [row] = await t.kernel.database.db.select().from(userLoginCheckpoints).where(eq(userLoginCheckpoints.user_uuid, user.uuid))
    expect(row.token_hash).not.toBe(res.body.token)
    expect(row.expires.getTime() - Date.now()).toBeGreaterThan(290_000)
    expect(row.expires.getTime() - Date.now()).toBeLessThanOrEqual(300_000)
  })
})

describe('login rate limit (ratelimits.auth_login)', () => {
  const limited = useTestApp()

  test('exactly `hits` attempts pass per client IP, then 429 with Retry-After; other IPs are unaffected', async () => {
    await limited.kernel.settings.update({ 'ratelimits.auth_login': { hits: 3, window_seconds: 60 } })
    const user = await makeUser(limited)
    const attempt = (ip: string, password = 'wrong-password') =>
      limited.request('POST', '/api/auth/login', { body: { user: user.username, password }, ip })

    // Bodies that fail validation are not counted.
    for (let i = 0; i < 4; i++)
      expect((await limited.request('POST', '/api/auth/login', { body: { user: '' }, ip: '192.0.2.1' })).status).toBe(400)
    expect((await attempt('192.0.2.1')).status).toBe(400)
    expect((await attempt('192.0.2.1')).status).toBe(400)
    expect((await attempt('192.0.2.1', user.password)).status).toBe(200)
    const refused = await attempt('192.0.2.1', user.password)
    expect(refused.status).toBe(429)
    expect(refused.body.errors[0]).toMatch(/^you are ratelimited, retry in \d+s$/)
    const retry = Number(refused.headers.get('retry-after'))
    expect(retry).toBeGreaterThan(0)
    expect(retry).toBeLessThanOrEqual(60)
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3')
    expect(refused.headers.get('set-cookie')).toBeNull()

    expect((await attempt('192.0.2.2', user.password)).status).toBe(200)
    expect((await attempt('2001:db8::7', user.password)).status).toBe(200)
  })
})

describe('login rate limit shared through Redis', () => {
  const redis = { REDIS_URL: process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379' }
  const first = useTestApp({ env: redis })
  let second: TestApp
  beforeAll(async () => {
    second = await testApp({ db: first.db, env: redis })
  }, 120_000)
  afterAll(() => second?.close())

  test('two panel processes count one budget per IP', async () => {
    await first.kernel.settings.update({ 'ratelimits.auth_login': { hits: 2, window_seconds: 60 } })
    await second.kernel.settings.reload()
    const user = await makeUser(first)
    const ip = `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`
    const body = { user: user.username, password: 'wrong-password' }
    expect((await first.request('POST', '/api/auth/login', { body, ip })).status).toBe(400)
    expect((await second.request('POST', '/api/auth/login', { body, ip })).status).toBe(400)
    expect((await first.request('POST', '/api/auth/login', { body, ip })).status).toBe(429)
    expect((await second.request('POST', '/api/auth/login', { body, ip })).status).toBe(429)
  })
})

describe('POST /api/auth/login/checkpoint', () => {
  test('a current TOTP code finishes the login: session cookie, full user, activity', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const token = await checkpointToken(user)
    const next = codeAfter(secret, usedStep)
    const res = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: await next.code, confirmation_token: token },
      ip: '198.51.100.77',
      headers: { 'user-agent': 'checkpoint-agent' },
    })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['user'])
    expectModel(FullUser, res.body.user)
    expect(res.body.user).toMatchObject({
      uuid: user.uuid,
      totp_enabled: true,
      totp_last_used: new Date(next.step).toISOString().replace('.000Z', 'Z'),
    })
    const cookie = cookieOf(res)
    expect((await t.request('GET', '/api/client/account', { cookie })).body.user.uuid).toBe(user.uuid)
    const activity = await lastActivity(t, user.uuid, 'auth:success')
    expect(activity).toMatchObject({ ip: '198.51.100.77', data: { using: 'two-factor', user_agent: 'checkpoint-agent' } })
  })

  test('the token works once', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const token = await checkpointToken(user)
    const first = codeAfter(secret, usedStep)
    expect(
      (await t.request('POST', '/api/auth/login/checkpoint', { body: { code: await first.code, confirmation_token: token } })).status,
    ).toBe(200)
    const again = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '000000', confirmation_token: token } })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({ errors: ['invalid confirmation token'] })
  })

  test('a TOTP code is refused the second time (replay), even with a new token', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const next = codeAfter(secret, usedStep)
    const code = await next.code
    expect(
      (await t.request('POST', '/api/auth/login/checkpoint', { body: { code, confirmation_token: await checkpointToken(user) } })).status,
    ).toBe(200)
    const replay = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code, confirmation_token: await checkpointToken(user) },
    })
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ errors: ['this code has already been used'] })
    // The code used to enable two-factor is spent as well.
    const enableCode = await totp(secret, usedStep + 1000)
    const old = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: enableCode, confirmation_token: await checkpointToken(user) },
    })
    expect(old.status).toBe(400)
  })

  test('the same code sent twice at once logs in only once', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const [a, b] = [await checkpointToken(user), await checkpointToken(user)]
    const code = await codeAfter(secret, usedStep).code
    const results = await Promise.all(
      [a, b].map((token) => t.request('POST', '/api/auth/login/checkpoint', { body: { code, confirmation_token: token } })),
    )
    expect(results.map((r) => r.status).sort()).toEqual([200, 400])
    expect(results.find((r) => r.status === 400)!.body).toEqual({ errors: ['this code has already been used'] })
  })

  test('a recovery code works once', async () => {
    const { user, recoveryCodes } = await twoFactorUser()
    const res = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: recoveryCodes[3], confirmation_token: await checkpointToken(user) },
    })
    expect(res.status).toBe(200)
    expect(res.body.user.uuid).toBe(user.uuid)
    expect(res.headers.get('set-cookie')).toStartWith('hatchery_session=')
    expect((await lastActivity(t, user.uuid, 'auth:success')).data).toMatchObject({ using: 'recovery-code' })
    const again = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: recoveryCodes[3], confirmation_token: await checkpointToken(user) },
    })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({ errors: ['invalid recovery code'] })
    const other = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: recoveryCodes[4], confirmation_token: await checkpointToken(user) },
    })
    expect(other.status).toBe(200)
  })

  test('a wrong code → 400 and the token stays usable, up to 5 wrong codes', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const token = await checkpointToken(user)
    const wrong = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '000000', confirmation_token: token } })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toEqual({ errors: ['invalid confirmation code'] })
    const badLength = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '12345678', confirmation_token: token } })
    expect(badLength.status).toBe(400)
    expect(badLength.body).toEqual({ errors: ['invalid confirmation code'] })
    expect(
      (
        await t.request('POST', '/api/auth/login/checkpoint', {
          body: { code: await codeAfter(secret, usedStep).code, confirmation_token: token },
        })
      ).status,
    ).toBe(200)

    const burnt = await checkpointToken(user)
    for (let i = 0; i < 5; i++) {
      expect(
        (await t.request('POST', '/api/auth/login/checkpoint', { body: { code: 'AAAAAAAAAA', confirmation_token: burnt } })).body,
      ).toEqual({ errors: ['invalid recovery code'] })
    }
    const after = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '111111', confirmation_token: burnt } })
    expect(after.status).toBe(400)
    expect(after.body).toEqual({ errors: ['invalid confirmation token'] })
  })

  test('an expired or unknown token → 400 invalid confirmation token', async () => {
    const { user, recoveryCodes } = await twoFactorUser()
    const token = await checkpointToken(user)
    await t.kernel.database.db
      .update(userLoginCheckpoints)
      .set({ expires: sql`now() - interval '1 second'` })
      .where(eq(userLoginCheckpoints.user_uuid, user.uuid))
    const expired = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: recoveryCodes[0], confirmation_token: token } })
    expect(expired.status).toBe(400)
    expect(expired.body).toEqual({ errors: ['invalid confirmation token'] })
    const unknown = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: recoveryCodes[0], confirmation_token: 'x'.repeat(64) },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toEqual({ errors: ['invalid confirmation token'] })
  })

  test('a user suspended after the password step is refused at the checkpoint', async () => {
    const { user, recoveryCodes } = await twoFactorUser()
    const token = await checkpointToken(user)
    await updateUser(t, user.uuid, { suspended: true })
    const res = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: recoveryCodes[0], confirmation_token: token } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['account is suspended'] })
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  test('bad input → 400 with field messages', async () => {
    const res = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '123456' } })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['confirmation_token: required'])
    const empty = await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '', confirmation_token: 'abc' } })
    expect(empty.status).toBe(400)
    expect(empty.body.errors).toContain('code: length is lower than 1')
  })

  test('rate limited per IP (ratelimits.auth_login_checkpoint) once the token is verified', async () => {
    const { user, secret, usedStep } = await twoFactorUser()
    const token = await checkpointToken(user)
    await t.kernel.settings.update({ 'ratelimits.auth_login_checkpoint': { hits: 2, window_seconds: 60 } })
    try {
      // Unknown tokens are refused before the limit counts.
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await t.request('POST', '/api/auth/login/checkpoint', {
              body: { code: '000000', confirmation_token: 'nope' },
              ip: '192.0.2.50',
            })
          ).status,
        ).toBe(400)
      }
      expect(
        (await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '000000', confirmation_token: token }, ip: '192.0.2.50' }))
          .status,
      ).toBe(400)
      expect(
        (await t.request('POST', '/api/auth/login/checkpoint', { body: { code: '000000', confirmation_token: token }, ip: '192.0.2.50' }))
          .status,
      ).toBe(400)
      const limited = await t.request('POST', '/api/auth/login/checkpoint', {
        body: { code: '000000', confirmation_token: token },
        ip: '192.0.2.50',
      })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
      const elsewhere = await t.request('POST', '/api/auth/login/checkpoint', {
        body: { code: await codeAfter(secret, usedStep).code, confirmation_token: token },
        ip: '192.0.2.51',
      })
      expect(elsewhere.status).toBe(200)
    } finally {
      await relaxRateLimits(t)
    }
  })
})

test('users.totp_secret is stored encrypted', async () => {
  const { user, secret } = await twoFactorUser()
  const [row] = await t.kernel.database.db.select({ s: users.totp_secret }).from(users).where(eq(users.uuid, user.uuid))
  expect(row.s).not.toBeNull()
  expect(row.s).not.toContain(secret)
  expect(t.kernel.secrets.decrypt(row.s!)).toBe(secret)
})

import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import {
  activitiesOf,
  adminCaller,
  lastActivity,
  login,
  makeUser,
  relaxRateLimits,
  startSmtpSink,
  useTestApp,
  type CapturedMail,
  type SmtpSink,
  type TestUser,
} from 'hatchery/testing'
import usersPlugin from '.'
import { createPasswordReset, RESET_TOKEN_LENGTH } from './service/resets'
import { userLoginCheckpoints, userPasswordResets } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
let sink: SmtpSink
const many = { hits: 100_000, window_seconds: 60 }

beforeAll(async () => {
  await relaxRateLimits(t)
  sink = await startSmtpSink()
  await t.kernel.settings.update({
    mail_mode: sink.mode(),
    'ratelimits.auth_password_forgot': many,
    'ratelimits.auth_password_forgot_email': many,
    'ratelimits.auth_password_reset': many,
  })
})
afterAll(() => sink?.close())

const db = () => t.kernel.database.db
const resetsOf = (user: { uuid: string }) => db().select().from(userPasswordResets).where(eq(userPasswordResets.user_uuid, user.uuid))
const forgot = (email: string, opts: { ip?: string; captcha?: string } = {}) =>
  t.request('POST', '/api/auth/password/forgot', {
    body: { email, ...(opts.captcha ? { captcha: opts.captcha } : {}) },
    ip: opts.ip,
    headers: { 'user-agent': 'forgetful/1.0' },
  })
const reset = (token: string, new_password: string, ip?: string) =>
  t.request('POST', '/api/auth/password/reset', { body: { token, new_password }, ip })

/** The next captured mail addressed to `email` (others are skipped). */
async function mailTo(email: string): Promise<CapturedMail> {
  for (;;) {
    const m = await sink.next()
    if (m.envelope.to.includes(email.toLowerCase())) return m
  }
}

const tokenOf = (m: CapturedMail) => decodeURIComponent(/reset-password\?token=([A-Za-z0-9%]+)/.exec(m.text)![1])

describe('POST /api/auth/password/forgot', () => {
  test('a known address gets a reset link; a token is stored hashed and the activity written', async () => {
    const user = await makeUser(t)
    const res = await forgot(user.email, { ip: '198.51.100.7' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const m = await mailTo(user.email)
    expect(m.subject).toBe('Reset your Hatchery password')
    expect(m.text).toContain(`Hello ${user.username},`)
    expect(m.text).toContain('http://localhost:8000/auth/reset-password?token=')
    const token = tokenOf(m)
    expect(token).toMatch(new RegExp(`^[A-Za-z0-9]{${RESET_TOKEN_LENGTH}}$`))
    expect(m.html).toContain(`href="http://localhost:8000/auth/reset-password?token=${token}"`)
    const [row] = await resetsOf(user)
    expect(row.token_start).toBe(token.slice(0, 16))
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(row.token_hash).not.toContain(token.slice(16))
    const activity = await lastActivity(t, user.uuid, 'email:password-reset')
    expect(activity).toMatchObject({ ip: '198.51.100.7', data: { user_agent: 'forgetful/1.0' } })
  })

  test('an unknown address gets the same answer and nothing happens', async () => {
    const before = sink.messages.length
    const res = await forgot('nobody-here@example.com')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    await Bun.sleep(200)
    expect(sink.messages.length).toBe(before)
  })

  test('the address matches case-insensitively', async () => {
    const user = await makeUser(t)
    expect((await forgot(user.email.toUpperCase())).status).toBe(200)
    expect((await mailTo(user.email)).envelope.to).toEqual([user.email])
  })

  test('a second request within 20 minutes makes no new token and sends nothing', async () => {
    const user = await makeUser(t)
    await forgot(user.email)
    await mailTo(user.email)
    const before = sink.messages.length
    expect((await forgot(user.email)).body).toEqual({})
    await Bun.sleep(200)
    expect(await resetsOf(user)).toHaveLength(1)
    expect(sink.messages.length).toBe(before)
    expect((await activitiesOf(t, user.uuid)).filter((a) => a.event === 'email:password-reset')).toHaveLength(1)
    // Once the last token is older than 20 minutes, a new one is made.
    await db()
      .update(userPasswordResets)
      .set({ created: sql`now() - interval '21 minutes'` })
      .where(eq(userPasswordResets.user_uuid, user.uuid))
    await forgot(user.email)
    await mailTo(user.email)
    expect(await resetsOf(user)).toHaveLength(2)
  })

  test('bad input → 400', async () => {
    const res = await t.request('POST', '/api/auth/password/forgot', { body: { email: 'not-an-email' } })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('email: ')
    expect((await t.request('POST', '/api/auth/password/forgot', { body: {} })).status).toBe(400)
  })

  describe('limits', () => {
    beforeEach(async () => {
      await t.kernel.settings.update({ 'ratelimits.auth_password_forgot': many, 'ratelimits.auth_password_forgot_email': many })
    })
    afterAll(async () => {
      await t.kernel.settings.update({ 'ratelimits.auth_password_forgot': many, 'ratelimits.auth_password_forgot_email': many })
      await t.kernel.settings.reset(['captcha_provider'])
    })

    test('per client IP (auth_password_forgot)', async () => {
      await t.kernel.settings.update({ 'ratelimits.auth_password_forgot': { hits: 2, window_seconds: 60 } })
      const ip = '192.0.2.50'
      expect((await forgot('a1@example.com', { ip })).status).toBe(200)
      expect((await forgot('a2@example.com', { ip })).status).toBe(200)
      const limited = await forgot('a3@example.com', { ip })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBeTruthy()
      expect((await forgot('a4@example.com', { ip: '192.0.2.51' })).status).toBe(200)
    })

    test('per address, whatever its case (auth_password_forgot_email)', async () => {
      await t.kernel.settings.update({ 'ratelimits.auth_password_forgot_email': { hits: 2, window_seconds: 60 } })
      expect((await forgot('Target@example.com', { ip: '192.0.2.60' })).status).toBe(200)
      expect((await forgot('target@example.com', { ip: '192.0.2.61' })).status).toBe(200)
      expect((await forgot('TARGET@example.com', { ip: '192.0.2.62' })).status).toBe(429)
      expect((await forgot('other@example.com', { ip: '192.0.2.63' })).status).toBe(200)
    })

    test('the captcha step applies', async () => {
      await t.kernel.settings.update({ captcha_provider: { type: 'turnstile', site_key: 'site', secret_key: 'secret' } })
      const res = await forgot('someone@example.com')
      expect(res.status).toBe(400)
      expect(res.body.errors).toEqual(['captcha: required'])
    })
  })
})

describe('POST /api/auth/password/reset', () => {
  async function userWithToken(): Promise<{ user: TestUser; token: string }> {
    const user = await makeUser(t)
    return { user, token: await createPasswordReset(db(), t.kernel.secrets, user.uuid) }
  }

  test('sets the password, ends every session and pending login, and uses the token up', async () => {
    const { user, token } = await userWithToken()
    const cookie = await login(t, user)
    const other = await createPasswordReset(db(), t.kernel.secrets, user.uuid)
    await db()
      .insert(userLoginCheckpoints)
      .values({ token_hash: 'x'.repeat(64), user_uuid: user.uuid, expires: new Date(Date.now() + 60_000) })
    const res = await reset(token, 'a-brand-new-password', '198.51.100.8')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(401)
    await login(t, { username: user.username, password: 'a-brand-new-password' })
    const old = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
    expect(old.status).toBe(400)
    expect(await db().select().from(userLoginCheckpoints).where(eq(userLoginCheckpoints.user_uuid, user.uuid))).toHaveLength(0)
    const again = await reset(token, 'yet-another-password')
    expect(again.status).toBe(400)
    expect(again.body.errors).toEqual(['invalid or expired token'])
    expect((await reset(other, 'yet-another-password')).status).toBe(400)
    const activity = await lastActivity(t, user.uuid, 'auth:reset-password')
    expect(activity).toMatchObject({ ip: '198.51.100.8', api_key_uuid: null })
  })

  test('an expired token (over 20 minutes) → 400', async () => {
    const { user, token } = await userWithToken()
    await db()
      .update(userPasswordResets)
      .set({ created: sql`now() - interval '20 minutes 5 seconds'` })
      .where(eq(userPasswordResets.user_uuid, user.uuid))
    const res = await reset(token, 'a-brand-new-password')
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['invalid or expired token'])
  })

  test('a token with the right start but the wrong rest → 400', async () => {
    const { token } = await userWithToken()
    const forged = token.slice(0, 16) + 'A'.repeat(RESET_TOKEN_LENGTH - 16)
    expect((await reset(forged, 'a-brand-new-password')).body.errors).toEqual(['invalid or expired token'])
    expect((await reset(token, 'a-brand-new-password')).status).toBe(200)
  })

  test('bad input → 400', async () => {
    const { token } = await userWithToken()
    const short = await reset(token.slice(1), 'a-brand-new-password')
    expect(short.status).toBe(400)
    expect(short.body.errors[0]).toStartWith('token: ')
    const weak = await reset(token, 'short')
    expect(weak.status).toBe(400)
    expect(weak.body.errors[0]).toStartWith('new_password: ')
    // The token survived the refused attempts.
    expect((await reset(token, 'a-brand-new-password')).status).toBe(200)
  })

  test('rate limited per client IP (auth_password_reset)', async () => {
    await t.kernel.settings.update({ 'ratelimits.auth_password_reset': { hits: 2, window_seconds: 60 } })
    try {
      const bogus = 'B'.repeat(RESET_TOKEN_LENGTH)
      expect((await reset(bogus, 'a-brand-new-password', '192.0.2.70')).status).toBe(400)
      expect((await reset(bogus, 'a-brand-new-password', '192.0.2.70')).status).toBe(400)
      expect((await reset(bogus, 'a-brand-new-password', '192.0.2.70')).status).toBe(429)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.auth_password_reset': many })
    }
  })
})

describe('password reset, end to end through the mail', () => {
  test('forgot → link in the mail → reset → log in with the new password; old sessions are gone', async () => {
    const user = await makeUser(t)
    const cookie = await login(t, user)
    expect((await forgot(user.email)).status).toBe(200)
    const link = /https?:\/\/\S+\/auth\/reset-password\?token=\S+/.exec((await mailTo(user.email)).text)![0]
    const token = new URL(link).searchParams.get('token')!
    expect((await reset(token, 'mailed-new-password')).status).toBe(200)
    const fresh = await login(t, { username: user.email, password: 'mailed-new-password' })
    expect((await t.request('GET', '/api/client/account', { cookie: fresh })).body.user.uuid).toBe(user.uuid)
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(401)
    const events = (await activitiesOf(t, user.uuid)).map((a) => a.event)
    expect(events).toEqual(['auth:success', 'email:password-reset', 'auth:reset-password', 'auth:success'])
  })
})

describe('job purge-password-resets', () => {
  test('deletes tokens older than 20 minutes and keeps the others', async () => {
    const { user } = { user: await makeUser(t) }
    await createPasswordReset(db(), t.kernel.secrets, user.uuid)
    const old = await createPasswordReset(db(), t.kernel.secrets, user.uuid)
    await db()
      .update(userPasswordResets)
      .set({ created: sql`now() - interval '30 minutes'` })
      .where(eq(userPasswordResets.token_start, old.slice(0, 16)))
    await usersPlugin.jobs!['purge-password-resets'].run(t.kernel.contexts.get('users')!)
    const rows = await resetsOf(user)
    expect(rows).toHaveLength(1)
    expect(rows[0].token_start).not.toBe(old.slice(0, 16))
  })
})

describe('a reset link stops working once the password changes, whoever changes it', () => {
  /** A user holding a reset link mailed by POST /api/auth/password/forgot. */
  async function userWithLink() {
    const user = await makeUser(t)
    expect((await forgot(user.email)).status).toBe(200)
    return { user, token: tokenOf(await mailTo(user.email)) }
  }

  test('PATCH /api/admin/users/{user} with a password', async () => {
    const { user, token } = await userWithLink()
    const admin = await adminCaller(t)
    const res = await t.request('PATCH', `/api/admin/users/${user.uuid}`, { cookie: admin.cookie, body: { password: 'set-by-an-admin' } })
    expect(res.status).toBe(200)
    expect(await resetsOf(user)).toHaveLength(0)
    const late = await reset(token, 'chosen-by-the-link')
    expect(late.status).toBe(400)
    expect(late.body.errors).toEqual(['invalid or expired token'])
  })

  test('panel users reset-password', async () => {
    const { user, token } = await userWithLink()
    const ctx = t.kernel.contexts.get('users')!
    const io = { result: () => {}, log: ctx.log, json: true }
    await usersPlugin.cli!['users reset-password'].run(
      ctx,
      { options: { user: user.username, password: 'set-by-the-cli' }, positionals: [] },
      io,
    )
    expect(await resetsOf(user)).toHaveLength(0)
    const late = await reset(token, 'chosen-by-the-link')
    expect(late.status).toBe(400)
    expect(late.body.errors).toEqual(['invalid or expired token'])
  })
})

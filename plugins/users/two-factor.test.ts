import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { lastActivity, login, makeApiKey, makeUser, relaxRateLimits, totp, useTestApp } from 'hatchery/testing'
import { codeAfter, enableTwoFactor, stepOf, updateUser } from './test-helpers'
import { userRecoveryCodes, users } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

const PATH = '/api/client/account/two-factor'

async function userRow(uuid: string) {
  const [row] = await t.kernel.database.db.select().from(users).where(eq(users.uuid, uuid))
  return row
}

async function session(overrides = {}) {
  const user = await makeUser(t, overrides)
  return { user, cookie: await login(t, user) }
}

describe('GET /api/client/account/two-factor', () => {
  test('returns a new pending secret each call, stored encrypted', async () => {
    const { user, cookie } = await session()
    const first = await t.request('GET', PATH, { cookie })
    expect(first.status).toBe(200)
    expect(Object.keys(first.body)).toEqual(['otp_url', 'secret'])
    expect(first.body.secret).toMatch(/^[A-Z2-7]{32}$/)
    const email = encodeURIComponent(user.email)
    expect(first.body.otp_url).toBe(`otpauth://totp/Hatchery:${email}?secret=${first.body.secret}&issuer=Hatchery`)
    const second = await t.request('GET', PATH, { cookie })
    expect(second.body.secret).not.toBe(first.body.secret)
    const row = await userRow(user.uuid)
    expect(row.totp_enabled).toBe(false)
    expect(row.totp_secret).not.toContain(second.body.secret)
    expect(t.kernel.secrets.decrypt(row.totp_secret!)).toBe(second.body.secret)
  })

  test('the app name is URL-encoded in the otp url', async () => {
    const { cookie } = await session()
    await t.kernel.settings.update({ 'app.name': 'My Panel & Co' })
    try {
      const res = await t.request('GET', PATH, { cookie })
      expect(res.body.otp_url).toStartWith('otpauth://totp/My%20Panel%20%26%20Co:')
      expect(res.body.otp_url).toEndWith('&issuer=My%20Panel%20%26%20Co')
    } finally {
      await t.kernel.settings.update({ 'app.name': 'Hatchery' })
    }
  })

  test('already enabled → 409; frozen → 409', async () => {
    const { user, cookie } = await session()
    await enableTwoFactor(t, cookie, user.password)
    const enabled = await t.request('GET', PATH, { cookie })
    expect(enabled.status).toBe(409)
    expect(enabled.body).toEqual({ errors: ['two-factor authentication is already enabled'] })
    const frozen = await session({ frozen: true })
    const res = await t.request('GET', PATH, { cookie: frozen.cookie })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ errors: ['account is frozen'] })
  })

  test('unauthenticated → 401; an API key without account.two-factor → 403', async () => {
    expect((await t.request('GET', PATH)).status).toBe(401)
    const { cookie } = await session()
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['account.infos'] })
    const res = await t.request('GET', PATH, { token: key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['you do not have permission to perform this action: account.two-factor'] })
    const allowed = await makeApiKey(t, cookie, { user_permissions: ['account.two-factor'] })
    expect((await t.request('GET', PATH, { token: allowed.key })).status).toBe(200)
  })

  test('bad input: another method → 405', async () => {
    const { cookie } = await session()
    const res = await t.request('PUT', PATH, { cookie, body: {} })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('DELETE, GET, POST')
  })
})

describe('POST /api/client/account/two-factor', () => {
  test('a correct code and password enable TOTP and return ten recovery codes, stored hashed', async () => {
    const { user, cookie } = await session()
    const { secret } = (await t.request('GET', PATH, { cookie })).body
    const at = Date.now()
    const res = await t.request('POST', PATH, { cookie, body: { code: await totp(secret, at), password: user.password }, ip: '192.0.2.33' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['recovery_codes'])
    expect(res.body.recovery_codes).toHaveLength(10)
    for (const c of res.body.recovery_codes) expect(c).toMatch(/^[A-Za-z0-9]{10}$/)
    expect(new Set(res.body.recovery_codes).size).toBe(10)

    const row = await userRow(user.uuid)
    expect(row.totp_enabled).toBe(true)
    // The enabling code's step is spent: it cannot be replayed at the login checkpoint.
    expect(row.totp_last_used?.getTime()).toBeGreaterThanOrEqual(stepOf(at) - 30_000)
    const stored = await t.kernel.database.db.select().from(userRecoveryCodes).where(eq(userRecoveryCodes.user_uuid, user.uuid))
    expect(stored).toHaveLength(10)
    for (const s of stored) expect(res.body.recovery_codes).not.toContain(s.code_hash)
    expect(stored.map((s) => s.code_hash).sort()).toEqual(res.body.recovery_codes.map((c: string) => t.kernel.secrets.hmac(c)).sort())

    expect(await lastActivity(t, user.uuid, 'account:two-factor.enable')).toMatchObject({ ip: '192.0.2.33', data: {}, api_key_uuid: null })
    expect((await t.request('GET', '/api/client/account', { cookie })).body.user.totp_enabled).toBe(true)
  })

  test('without a pending secret → 409 (deliberately not the reference 401)', async () => {
    const { user, cookie } = await session()
    const res = await t.request('POST', PATH, { cookie, body: { code: '123456', password: user.password } })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ errors: ['two-factor authentication has not been configured'] })
  })

  test('wrong password → 403; wrong code → 400; TOTP stays off', async () => {
    const { user, cookie } = await session()
    const { secret } = (await t.request('GET', PATH, { cookie })).body
    const badPassword = await t.request('POST', PATH, { cookie, body: { code: await totp(secret), password: 'not-the-password' } })
    expect(badPassword.status).toBe(403)
    expect(badPassword.body).toEqual({ errors: ['invalid password'] })
    const badCode = await t.request('POST', PATH, {
      cookie,
      body: { code: (Number(await totp(secret)) ^ 1).toString().padStart(6, '0'), password: user.password },
    })
    expect(badCode.status).toBe(400)
    expect(badCode.body).toEqual({ errors: ['invalid confirmation code'] })
    expect((await userRow(user.uuid)).totp_enabled).toBe(false)
  })

  test('already enabled → 409', async () => {
    const { user, cookie } = await session()
    const { secret } = await enableTwoFactor(t, cookie, user.password)
    const res = await t.request('POST', PATH, { cookie, body: { code: await totp(secret), password: user.password } })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ errors: ['two-factor authentication is already enabled'] })
  })

  test('bad input: code not 6 characters, password missing → 400', async () => {
    const { cookie } = await session()
    const res = await t.request('POST', PATH, { cookie, body: { code: '12345' } })
    expect(res.status).toBe(400)
    expect(res.body.errors).toContain('code: length is lower than 6')
    expect(res.body.errors).toContain('password: required')
  })

  test('unauthenticated → 401; an API key without account.two-factor → 403', async () => {
    expect((await t.request('POST', PATH, { body: { code: '123456', password: 'x' } })).status).toBe(401)
    const { user, cookie } = await session()
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    const res = await t.request('POST', PATH, { token: key, body: { code: '123456', password: user.password } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['you do not have permission to perform this action: account.two-factor'] })
  })
})

describe('DELETE /api/client/account/two-factor', () => {
  test('a fresh TOTP code and the password disable it and drop the recovery codes', async () => {
    const { user, cookie } = await session()
    const { secret, usedStep } = await enableTwoFactor(t, cookie, user.password)
    const res = await t.request('DELETE', PATH, { cookie, body: { code: await codeAfter(secret, usedStep).code, password: user.password } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const row = await userRow(user.uuid)
    expect(row).toMatchObject({ totp_enabled: false, totp_secret: null, totp_last_used: null })
    expect(await t.kernel.database.db.$count(userRecoveryCodes, eq(userRecoveryCodes.user_uuid, user.uuid))).toBe(0)
    expect((await lastActivity(t, user.uuid, 'account:two-factor.disable')).data).toEqual({})
    // Logging in no longer asks for a code.
    const login2 = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
    expect(login2.body.type).toBe('completed')
  })

  test('the code that enabled it is refused as a replay', async () => {
    const { user, cookie } = await session()
    const { secret, usedStep } = await enableTwoFactor(t, cookie, user.password)
    const res = await t.request('DELETE', PATH, { cookie, body: { code: await totp(secret, usedStep + 1000), password: user.password } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['this code has already been used'] })
    expect((await userRow(user.uuid)).totp_enabled).toBe(true)
  })

  test('a recovery code works; a wrong one → 400 invalid recovery code', async () => {
    const { user, cookie } = await session()
    const { recoveryCodes } = await enableTwoFactor(t, cookie, user.password)
    const wrong = await t.request('DELETE', PATH, { cookie, body: { code: 'ZZZZZZZZZZ', password: user.password } })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toEqual({ errors: ['invalid recovery code'] })
    expect(await t.kernel.database.db.$count(userRecoveryCodes, eq(userRecoveryCodes.user_uuid, user.uuid))).toBe(10)
    const ok = await t.request('DELETE', PATH, { cookie, body: { code: recoveryCodes[9], password: user.password } })
    expect(ok.status).toBe(200)
    expect((await userRow(user.uuid)).totp_enabled).toBe(false)
  })

  test('wrong password → 403; not enabled → 409; a 7..9 character code → 400', async () => {
    const { user, cookie } = await session()
    const off = await t.request('DELETE', PATH, { cookie, body: { code: '123456', password: user.password } })
    expect(off.status).toBe(409)
    expect(off.body).toEqual({ errors: ['two-factor authentication is not enabled'] })
    const { recoveryCodes } = await enableTwoFactor(t, cookie, user.password)
    const badPassword = await t.request('DELETE', PATH, { cookie, body: { code: recoveryCodes[0], password: 'wrong-password' } })
    expect(badPassword.status).toBe(403)
    expect(badPassword.body).toEqual({ errors: ['invalid password'] })
    const odd = await t.request('DELETE', PATH, { cookie, body: { code: '1234567', password: user.password } })
    expect(odd.status).toBe(400)
    expect(odd.body).toEqual({ errors: ['invalid confirmation code length'] })
    // Neither attempt used the recovery code up.
    expect(await t.kernel.database.db.$count(userRecoveryCodes, eq(userRecoveryCodes.user_uuid, user.uuid))).toBe(10)
  })

  test('bad input: code shorter than 6 or longer than 10 → 400', async () => {
    const { user, cookie } = await session()
    await enableTwoFactor(t, cookie, user.password)
    const short = await t.request('DELETE', PATH, { cookie, body: { code: '123', password: user.password } })
    expect(short.status).toBe(400)
    expect(short.body.errors).toContain('code: length is lower than 6')
    const long = await t.request('DELETE', PATH, { cookie, body: { code: '12345678901', password: user.password } })
    expect(long.status).toBe(400)
    expect(long.body.errors).toContain('code: length is greater than 10')
  })

  test('unauthenticated → 401; an API key without account.two-factor → 403', async () => {
    expect((await t.request('DELETE', PATH, { body: { code: '123456', password: 'x' } })).status).toBe(401)
    const { user, cookie } = await session()
    const { recoveryCodes } = await enableTwoFactor(t, cookie, user.password)
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['account.infos'] })
    const res = await t.request('DELETE', PATH, { token: key, body: { code: recoveryCodes[0], password: user.password } })
    expect(res.status).toBe(403)
    expect((await userRow(user.uuid)).totp_enabled).toBe(true)
  })
})

describe('two-factor routes and required two-factor', () => {
  test('a user required to use two-factor (all_users) can set it up, then use the rest of the API', async () => {
    const { user, cookie } = await session()
    await t.kernel.settings.update({ 'app.two_factor_requirement': 'all_users' })
    try {
      const blocked = await t.request('GET', '/api/client/account/api-keys', { cookie })
      expect(blocked.status).toBe(403)
      expect(blocked.body).toEqual({ errors: ['two-factor authentication required'] })
      await enableTwoFactor(t, cookie, user.password)
      expect((await t.request('GET', '/api/client/account/api-keys', { cookie })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'app.two_factor_requirement': 'none' })
    }
  })

  test('a frozen user may still disable it (the reference does not check frozen there)', async () => {
    const { user, cookie } = await session()
    const { recoveryCodes } = await enableTwoFactor(t, cookie, user.password)
    await updateUser(t, user.uuid, { frozen: true })
    const res = await t.request('DELETE', PATH, { cookie, body: { code: recoveryCodes[1], password: user.password } })
    expect(res.status).toBe(200)
  })
})

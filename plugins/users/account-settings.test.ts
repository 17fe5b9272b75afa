import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { activitiesOf, lastActivity, login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { updateUser } from './test-helpers'
import { createPasswordReset } from './service/resets'
import { userPasswordResets, userSessions, users } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

const db = () => t.kernel.database.db
const account = async (cookie: string) => (await t.request('GET', '/api/client/account', { cookie })).body.user
const events = async (uuid: string) => (await activitiesOf(t, uuid)).map((a) => a.event)

async function session() {
  const user = await makeUser(t)
  return { user, cookie: await login(t, user) }
}

describe('PATCH /api/client/account', () => {
  const patch = (auth: { cookie?: string; token?: string }, body: unknown) => t.request('PATCH', '/api/client/account', { ...auth, body })

  test('changes the given fields, keeps the others, and logs the result', async () => {
    const { user, cookie } = await session()
    const username = `renamed_${user.username.slice(-5)}`
    const before = await account(cookie)
    const res = await patch(
      { cookie },
      { username, name_first: 'Ada', language: 'fr', toast_position: 'top_left', start_on_grouped_servers: true },
    )
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const after = await account(cookie)
    expect(after).toMatchObject({
      username,
      name_first: 'Ada',
      name_last: before.name_last,
      email: user.email,
      language: 'fr',
      toast_position: 'top_left',
      start_on_grouped_servers: true,
    })
    const activity = await lastActivity(t, user.uuid, 'account:update')
    expect(activity.data).toEqual({
      username,
      name_first: 'Ada',
      name_last: before.name_last,
      language: 'fr',
      toast_position: 'top_left',
      start_on_grouped_servers: true,
    })
    expect(activity.ip).toBe('127.0.0.1')
  })

  test('an empty body changes nothing and still answers {}', async () => {
    const { user, cookie } = await session()
    expect((await patch({ cookie }, {})).status).toBe(200)
    expect((await account(cookie)).username).toBe(user.username)
  })

  test('without authentication → 401', async () => {
    expect((await patch({}, { name_first: 'X' })).status).toBe(401)
  })

  test('an API key without account.infos → 403; with it → 200 and the activity says so', async () => {
    const { user, cookie } = await session()
    const without = await makeApiKey(t, cookie, { user_permissions: [] })
    const res = await patch({ token: without.key }, { name_first: 'Nope' })
    expect(res.status).toBe(403)
    const withIt = await makeApiKey(t, cookie, { user_permissions: ['account.infos'] })
    expect((await patch({ token: withIt.key }, { name_first: 'Yes' })).status).toBe(200)
    expect((await account(cookie)).name_first).toBe('Yes')
    expect((await lastActivity(t, user.uuid, 'account:update')).api_key_uuid).toBe(withIt.uuid)
  })

  test('bad input → 400', async () => {
    const { cookie } = await session()
    for (const [body, field] of [
      [{ username: 'no spaces' }, 'username'],
      [{ username: 'ab' }, 'username'],
      [{ name_first: '' }, 'name_first'],
      [{ toast_position: 'middle' }, 'toast_position'],
      [{ start_on_grouped_servers: 'maybe' }, 'start_on_grouped_servers'],
      [{ language: 'xx' }, 'language'],
    ] as const) {
      const res = await patch({ cookie }, body)
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toStartWith(`${field}: `)
    }
  })

  test('a username taken in any case → 409', async () => {
    const other = await makeUser(t)
    const { user, cookie } = await session()
    const res = await patch({ cookie }, { username: other.username.toUpperCase() })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['user with username already exists'])
    expect((await account(cookie)).username).toBe(user.username)
    // Changing only the case of one's own username is fine.
    expect((await patch({ cookie }, { username: user.username.toUpperCase() })).status).toBe(200)
  })

  test('frozen → 409 account is frozen; suspended → 409 account is suspended', async () => {
    const { user, cookie } = await session()
    await updateUser(t, user.uuid, { frozen: true })
    const frozen = await patch({ cookie }, { name_first: 'X' })
    expect(frozen.status).toBe(409)
    expect(frozen.body.errors).toEqual(['account is frozen'])
    await updateUser(t, user.uuid, { frozen: false, suspended: true })
    const suspended = await patch({ cookie }, { name_first: 'X' })
    expect(suspended.status).toBe(409)
    expect(suspended.body.errors).toEqual(['account is suspended'])
    expect(await events(user.uuid)).not.toContain('account:update')
  })

  test('language is ignored (not refused) unless user.allow_changing_language', async () => {
    const { cookie } = await session()
    await t.kernel.settings.update({ 'user.allow_changing_language': false })
    try {
      expect((await patch({ cookie }, { language: 'de', name_first: 'Kept' })).status).toBe(200)
      expect(await account(cookie)).toMatchObject({ language: 'en', name_first: 'Kept' })
      expect((await patch({ cookie }, { language: 'xx' })).status).toBe(400)
    } finally {
      await t.kernel.settings.reset(['user.allow_changing_language'])
    }
  })
})

describe('PUT /api/client/account/email', () => {
  const put = (auth: { cookie?: string; token?: string }, body: unknown) => t.request('PUT', '/api/client/account/email', { ...auth, body })

  test('changes the address, logs old and new, and voids outstanding reset links', async () => {
    const { user, cookie } = await session()
    await createPasswordReset(db(), t.kernel.secrets, user.uuid)
    const email = `new_${user.email}`
    const res = await put({ cookie }, { email, password: user.password })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect((await account(cookie)).email).toBe(email)
    expect((await lastActivity(t, user.uuid, 'account:email-changed')).data).toEqual({ old: user.email, new: email })
    expect(await db().$count(userPasswordResets, eq(userPasswordResets.user_uuid, user.uuid))).toBe(0)
    await login(t, { username: email, password: user.password })
  })

  test('the same address is a no-op without activity', async () => {
    const { user, cookie } = await session()
    expect((await put({ cookie }, { email: user.email, password: user.password })).status).toBe(200)
    expect(await events(user.uuid)).not.toContain('account:email-changed')
  })

  test('without authentication → 401', async () => {
    expect((await put({}, { email: 'x@example.com', password: 'x' })).status).toBe(401)
  })

  test('an API key without account.email → 403', async () => {
    const { user, cookie } = await session()
    const key = await makeApiKey(t, cookie, { user_permissions: ['account.infos'] })
    expect((await put({ token: key.key }, { email: `k_${user.email}`, password: user.password })).status).toBe(403)
  })

  test('bad input → 400', async () => {
    const { user, cookie } = await session()
    const res = await put({ cookie }, { email: 'not-an-email', password: user.password })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('email: ')
    expect((await put({ cookie }, { email: `${'a'.repeat(250)}@example.com`, password: user.password })).status).toBe(400)
    expect((await put({ cookie }, { email: user.email })).status).toBe(400)
  })

  test('a wrong password → 403 invalid password', async () => {
    const { user, cookie } = await session()
    const res = await put({ cookie }, { email: `w_${user.email}`, password: 'wrong-password' })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['invalid password'])
    expect((await account(cookie)).email).toBe(user.email)
  })

  test('an address in use, in any case → 409 email already in use', async () => {
    const other = await makeUser(t)
    const { user, cookie } = await session()
    const res = await put({ cookie }, { email: other.email.toUpperCase(), password: user.password })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['email already in use'])
  })

  test('frozen → 409, before the password is checked', async () => {
    const { user, cookie } = await session()
    await updateUser(t, user.uuid, { frozen: true })
    const res = await put({ cookie }, { email: `f_${user.email}`, password: 'wrong-password' })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['account is frozen'])
  })

  test('a user without a password passes with any value', async () => {
    const { user, cookie } = await session()
    await updateUser(t, user.uuid, { password: null })
    expect((await put({ cookie }, { email: `np_${user.email}`, password: 'anything' })).status).toBe(200)
  })
})

describe('PUT /api/client/account/password', () => {
  const put = (auth: { cookie?: string; token?: string }, body: unknown) =>
    t.request('PUT', '/api/client/account/password', { ...auth, body })
  const sessionsOf = (uuid: string) => db().select({ uuid: userSessions.uuid }).from(userSessions).where(eq(userSessions.user_uuid, uuid))

  test('sets the password, ends the other sessions but not this one, logs it', async () => {
    const { user, cookie } = await session()
    const other = await login(t, user)
    await createPasswordReset(db(), t.kernel.secrets, user.uuid)
    const res = await put({ cookie }, { password: user.password, new_password: 'changed-password-1' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(200)
    expect((await t.request('GET', '/api/client/account', { cookie: other })).status).toBe(401)
    expect(await sessionsOf(user.uuid)).toHaveLength(1)
    expect(await db().$count(userPasswordResets, eq(userPasswordResets.user_uuid, user.uuid))).toBe(0)
    expect((await lastActivity(t, user.uuid, 'account:password-changed')).data).toEqual({})
    await login(t, { username: user.username, password: 'changed-password-1' })
    expect((await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })).status).toBe(400)
  })

  test('with an API key, every session ends and the key keeps working', async () => {
    const { user, cookie } = await session()
    const key = await makeApiKey(t, cookie, { user_permissions: ['account.password'] })
    expect((await put({ token: key.key }, { password: user.password, new_password: 'changed-password-2' })).status).toBe(200)
    expect(await sessionsOf(user.uuid)).toHaveLength(0)
    expect((await t.request('GET', '/api/client/account', { token: key.key })).status).toBe(200)
  })

  test('without authentication → 401', async () => {
    expect((await put({}, { password: 'x', new_password: 'changed-password' })).status).toBe(401)
  })

  test('an API key without account.password → 403', async () => {
    const { user, cookie } = await session()
    const key = await makeApiKey(t, cookie, { user_permissions: [] })
    expect((await put({ token: key.key }, { password: user.password, new_password: 'changed-password' })).status).toBe(403)
  })

  test('bad input → 400', async () => {
    const { user, cookie } = await session()
    const res = await put({ cookie }, { password: user.password, new_password: 'short' })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('new_password: ')
    expect((await put({ cookie }, { password: user.password, new_password: 'x'.repeat(513) })).status).toBe(400)
  })

  test('a wrong current password → 403, nothing changes', async () => {
    const { user, cookie } = await session()
    const other = await login(t, user)
    const res = await put({ cookie }, { password: 'wrong-password', new_password: 'changed-password' })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['invalid password'])
    expect((await t.request('GET', '/api/client/account', { cookie: other })).status).toBe(200)
  })

  test('frozen → 409', async () => {
    const { user, cookie } = await session()
    await updateUser(t, user.uuid, { frozen: true })
    const res = await put({ cookie }, { password: user.password, new_password: 'changed-password' })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['account is frozen'])
    const [row] = await db().select({ password: users.password }).from(users).where(eq(users.uuid, user.uuid))
    expect(await Bun.password.verify(user.password, row.password!)).toBe(true)
  })
})

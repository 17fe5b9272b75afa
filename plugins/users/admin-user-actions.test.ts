import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCaller,
  adminEvents,
  expectGuarded,
  expectModel,
  lastActivity,
  makeUser,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  startSmtpSink,
  useTestApp,
  type AdminCaller,
  type SmtpSink,
} from 'hatchery/testing'
import { enableTwoFactor } from './test-helpers'
import { AdminUser, Empty, UserActivity } from './model'
import { userRecoveryCodes, users } from './tables'
import { consumePasswordReset } from './service/resets'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
/** Holds users.read but none of the action permissions. */
let reader: AdminCaller
let readerKey: string
let sink: SmtpSink

beforeAll(async () => {
  await prepareAdminTests(t)
  sink = await startSmtpSink()
  await t.kernel.settings.update({ mail_mode: sink.mode() })
  admin = await adminCaller(t)
  plain = await plainCaller(t)
  reader = await roleCaller(t, admin, ['users.read'])
  readerKey = await narrowedAdminKey(t, admin, ['users.read'])
}, SETUP_TIMEOUT)

afterAll(async () => {
  await sink?.close()
})

/** The token of the reset link in a mail body. */
const tokenIn = (text: string) => decodeURIComponent(/\/auth\/reset-password\?token=([^\s"&<]+)/.exec(text)![1])

describe('DELETE /api/admin/users/{user}/two-factor', () => {
  test('removes two-factor and the recovery codes, logs user:two-factor.disable', async () => {
    const user = await plainCaller(t)
    await enableTwoFactor(t, user.cookie, user.password)
    const res = await t.request('DELETE', `/api/admin/users/${user.uuid}/two-factor`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const [row] = await t.kernel.database.db.select().from(users).where(eq(users.uuid, user.uuid))
    expect(row).toMatchObject({ totp_enabled: false, totp_secret: null, totp_last_used: null })
    expect(await t.kernel.database.db.$count(userRecoveryCodes, eq(userRecoveryCodes.user_uuid, user.uuid))).toBe(0)
    const [event] = await adminEvents(t, admin, 'user:two-factor.disable')
    expect(event.data).toEqual({ uuid: user.uuid })
    const again = await t.request('DELETE', `/api/admin/users/${user.uuid}/two-factor`, { cookie: admin.cookie })
    expect(again.status).toBe(409)
    expect(again.body.errors).toEqual(['two-factor authentication is not enabled'])
  })

  test('refuses callers without users.disable-two-factor', async () => {
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/users/${plain.uuid}/two-factor` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'users.disable-two-factor',
    )
  })

  test('a malformed uuid → 400, an unknown user → 404', async () => {
    expect((await t.request('DELETE', '/api/admin/users/xyz/two-factor', { cookie: admin.cookie })).body.errors).toEqual([
      'invalid user uuid',
    ])
    expect((await t.request('DELETE', `/api/admin/users/${crypto.randomUUID()}/two-factor`, { cookie: admin.cookie })).status).toBe(404)
  })

  test("a role user cannot remove an administrator's two-factor", async () => {
    const helper = await roleCaller(t, admin, ['users.read', 'users.disable-two-factor'])
    await enableTwoFactor(t, admin.cookie, admin.password)
    const res = await t.request('DELETE', `/api/admin/users/${admin.uuid}/two-factor`, { cookie: helper.cookie })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['you cannot modify an administrator'])
    const [row] = await t.kernel.database.db.select().from(users).where(eq(users.uuid, admin.uuid))
    expect(row.totp_enabled).toBe(true)
  })
})

describe('GET /api/admin/users/{user}/activity', () => {
  test("lists the user's activity, newest first, searchable by event", async () => {
    const user = await plainCaller(t)
    await t.request('POST', '/api/client/account/api-keys', {
      cookie: user.cookie,
      body: { name: 'one', allowed_ips: [], user_permissions: [], admin_permissions: [], server_permissions: [] },
    })
    const res = await t.request('GET', `/api/admin/users/${user.uuid}/activity`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.activities.data.map((a: any) => a.event)).toEqual(['api-key:create', 'auth:success'])
    for (const a of res.body.activities.data) expectModel(UserActivity, a)
    const search = await t.request('GET', `/api/admin/users/${user.uuid}/activity?search=auth`, { cookie: admin.cookie })
    expect(search.body.activities).toMatchObject({ total: 1, data: [{ event: 'auth:success' }] })
  })

  test('refuses callers without users.activity', async () => {
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/users/${plain.uuid}/activity` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'users.activity',
    )
  })

  test('bad pagination → 400, unknown user → 404', async () => {
    expect((await t.request('GET', `/api/admin/users/${plain.uuid}/activity?page=0`, { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', `/api/admin/users/${crypto.randomUUID()}/activity`, { cookie: admin.cookie })).status).toBe(404)
  })
})

describe('POST /api/admin/users/{user}/email/reset-password', () => {
  test('answers 202 and mails a working reset link, logs both activities', async () => {
    const user = await makeUser(t)
    const res = await t.request('POST', `/api/admin/users/${user.uuid}/email/reset-password`, { cookie: admin.cookie })
    expect(res.status).toBe(202)
    expectModel(Empty, res.body)
    const mail = await sink.next()
    expect(mail.envelope.to).toEqual([user.email])
    expect(mail.text).toContain(`Hello ${user.username}`)
    expect(mail.text).toContain('http://localhost:8000/auth/reset-password?token=')
    expect(await consumePasswordReset(t.kernel.database.db, t.kernel.secrets, tokenIn(mail.text))).toBe(user.uuid)
    const [event] = await adminEvents(t, admin, 'user:email.password-reset')
    expect(event.data).toEqual({ uuid: user.uuid })
    await lastActivity(t, user.uuid, 'email:password-reset')
  })

  test('refuses callers without users.email', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/users/${plain.uuid}/email/reset-password` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'users.email',
    )
  })

  test('a malformed uuid → 400, an unknown user → 404', async () => {
    expect((await t.request('POST', '/api/admin/users/1/email/reset-password', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('POST', `/api/admin/users/${crypto.randomUUID()}/email/reset-password`, { cookie: admin.cookie })).status).toBe(
      404,
    )
  })
})

describe('POST /api/admin/users with send_email', () => {
  test('mails the account_created template with a working reset link', async () => {
    const n = Math.random().toString(36).slice(2, 8)
    const body = {
      username: `mail_${n}`,
      email: `mail_${n}@example.com`,
      name_first: 'M',
      name_last: 'N',
      admin: false,
      language: 'en',
      send_email: true,
    }
    const res = await t.request('POST', '/api/admin/users', { cookie: admin.cookie, body })
    expect(res.status).toBe(200)
    expectModel(AdminUser, res.body.user)
    expect(res.body.user.has_password).toBe(false)
    const mail = await sink.next()
    expect(mail.envelope.to).toEqual([body.email])
    expect(mail.subject).toBe('Your Hatchery account')
    expect(await consumePasswordReset(t.kernel.database.db, t.kernel.secrets, tokenIn(mail.text))).toBe(res.body.user.uuid)
    await lastActivity(t, res.body.user.uuid, 'email:account-created')
  })

  test('without send_email nothing is mailed', async () => {
    const before = sink.messages.length
    const n = Math.random().toString(36).slice(2, 8)
    const res = await t.request('POST', '/api/admin/users', {
      cookie: admin.cookie,
      body: { username: `quiet_${n}`, email: `quiet_${n}@example.com`, name_first: 'Q', name_last: 'R', admin: false, language: 'en' },
    })
    expect(res.status).toBe(200)
    await Bun.sleep(300)
    expect(sink.messages.length).toBe(before)
  })
})

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { createServer, type Server, type Socket } from 'node:net'
import { sql } from 'drizzle-orm'
import {
  adminCaller,
  adminEvents,
  expectGuarded,
  expectRoutesGuarded,
  makeUser,
  plainCaller,
  prepareAdminTests,
  relaxRateLimits,
  roleCaller,
  SETUP_TIMEOUT,
  startSmtpSink,
  useTestApp,
  type AdminCaller,
  type CapturedMail,
  type SmtpSink,
} from 'hatchery/testing'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let sink: SmtpSink

beforeAll(async () => {
  await prepareAdminTests(t)
  await relaxRateLimits(t)
  const many = { hits: 100_000, window_seconds: 60 }
  await t.kernel.settings.update({ 'ratelimits.auth_password_forgot': many, 'ratelimits.auth_password_forgot_email': many })
  admin = await adminCaller(t)
  plain = await plainCaller(t)
  sink = await startSmtpSink()
}, SETUP_TIMEOUT)
afterAll(() => sink?.close())
beforeEach(async () => {
  await t.kernel.settings.update({ mail_mode: sink.mode() })
  await t.kernel.database.query(sql`delete from email_templates`)
})

const TEMPLATES = '/api/admin/system/email/templates'
const put = (id: string, body: unknown, cookie = admin.cookie) => t.request('PUT', `${TEMPLATES}/${id}`, { cookie, body })
const get = (id: string, cookie = admin.cookie) => t.request('GET', `${TEMPLATES}/${id}`, { cookie })

async function mailTo(email: string): Promise<CapturedMail> {
  for (;;) {
    const m = await sink.next()
    if (m.envelope.to.some((to) => to.toLowerCase() === email.toLowerCase())) return m
  }
}

describe('the mail plugin’s admin routes', () => {
  test('every one answers 401 without credentials, 403 outside the admin area and 403 naming its permission', async () => {
    const swept = await expectRoutesGuarded(t, {
      namespace: 'admin',
      plugin: 'mail',
      bodies: { 'POST /api/admin/system/email/test': { email: 'someone@example.com' } },
      params: { identifier: 'password_reset' },
    })
    expect(swept).toHaveLength(4)
  })
})

describe('GET /api/admin/system/email/templates', () => {
  test('every registered template with its variables', async () => {
    const res = await t.request('GET', TEMPLATES, { cookie: (await roleCaller(t, admin, ['email-templates.read'])).cookie })
    expect(res.status).toBe(200)
    const ids = res.body.email_templates.map((e: any) => e.identifier)
    expect(ids).toEqual(expect.arrayContaining(['password_reset', 'account_created', 'connection_test']))
    const reset = res.body.email_templates.find((e: any) => e.identifier === 'password_reset')
    expect(Object.keys(reset)).toEqual(['identifier', 'available_variables'])
    expect(reset.available_variables).toContain('reset_link')
  })

  test('403 naming email-templates.read', async () => {
    const other = await roleCaller(t, admin, ['settings.read'])
    await expectGuarded(t, { method: 'GET', path: TEMPLATES }, plain, [{ cookie: other.cookie }], 'email-templates.read')
  })
})

describe('GET /api/admin/system/email/templates/{identifier}', () => {
  test('defaults, and null where nothing was edited', async () => {
    const res = await get('password_reset')
    expect(res.status).toBe(200)
    const tpl = res.body.email_template
    expect(Object.keys(tpl)).toEqual([
      'available_variables',
      'default_enabled',
      'enabled',
      'default_subject',
      'subject',
      'default_content',
      'content',
    ])
    expect(tpl).toMatchObject({
      default_enabled: true,
      enabled: true,
      subject: null,
      content: null,
      default_subject: 'Reset your {{app_name}} password',
    })
    expect(tpl.default_content).toContain('href="{{reset_link}}"')
    // A template with only a text body shows the HTML it is sent with.
    expect((await get('connection_test')).body.email_template.default_content).toStartWith('<p>This is a test email')
  })

  test('400 for an identifier longer than 255 characters', async () => {
    const res = await get('x'.repeat(256))
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('identifier')
  })

  test('404 for an unknown template', async () => {
    const res = await get('no_such_template')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ errors: ['email template not found'] })
  })
})

describe('PUT /api/admin/system/email/templates/{identifier}', () => {
  test('an edit changes the next password-reset mail; null goes back to the default', async () => {
    const user = await makeUser(t)
    const edit = await put('password_reset', {
      subject: 'Custom reset for {{user.username}}',
      content: '<p>Hi {{user.username}} &amp; welcome back.</p><p><a href="{{reset_link}}">Choose a password</a></p>',
    })
    expect(edit.status).toBe(200)
    expect(edit.body).toEqual({})
    const shown = (await get('password_reset')).body.email_template
    expect(shown.subject).toBe('Custom reset for {{user.username}}')
    expect(shown.content).toContain('Choose a password')
    expect((await adminEvents(t, admin, 'email:templates.update'))[0].data).toEqual({ identifier: 'password_reset' })

    expect((await t.request('POST', '/api/auth/password/forgot', { body: { email: user.email } })).status).toBe(200)
    const custom = await mailTo(user.email)
    expect(custom.subject).toBe(`Custom reset for ${user.username}`)
    expect(custom.html).toContain(`<p>Hi ${user.username} &amp; welcome back.</p>`)
    expect(custom.html).toMatch(/<a href="http[^"]+reset-password\?token=[^"]+">Choose a password<\/a>/)
    expect(custom.text).toContain(`Hi ${user.username} & welcome back.`)
    expect(custom.text).toMatch(/Choose a password: http\S+reset-password\?token=\S+/)

    // Only the subject goes back; the content stays edited.
    expect((await put('password_reset', { subject: null })).status).toBe(200)
    expect((await get('password_reset')).body.email_template).toMatchObject({ subject: null, content: shown.content })
    expect((await put('password_reset', { content: null })).status).toBe(200)
    // Another user: a second link for the same one within minutes is not sent.
    const next = await makeUser(t)
    expect((await t.request('POST', '/api/auth/password/forgot', { body: { email: next.email } })).status).toBe(200)
    const plainAgain = await mailTo(next.email)
    expect(plainAgain.subject).toBe('Reset your Hatchery password')
    expect(plainAgain.text).toContain(`Hello ${next.username},`)
  })

  test('a disabled template is not sent; enabled comes back with the template shown as disabled', async () => {
    expect((await put('account_created', { enabled: false })).status).toBe(200)
    expect((await get('account_created')).body.email_template).toMatchObject({ enabled: false, default_enabled: true, subject: null })
    expect((await put('account_created', { enabled: true })).status).toBe(200)
    expect((await get('account_created')).body.email_template.enabled).toBe(true)
  })

  test('400 for an empty or too long subject, an empty content or a wrong type', async () => {
    for (const body of [{ subject: '' }, { subject: 'x'.repeat(256) }, { content: '' }, { enabled: 'no' }]) {
      const res = await put('password_reset', body)
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toMatch(/^(subject|content|enabled)/)
    }
    expect((await get('password_reset')).body.email_template.subject).toBeNull()
  })

  test('404 for an unknown template', async () => {
    expect((await put('no_such_template', { subject: 'x' })).status).toBe(404)
  })

  test('needs settings.read and email-templates.update', async () => {
    const updater = await roleCaller(t, admin, ['email-templates.update'])
    const reader = await roleCaller(t, admin, ['settings.read', 'email-templates.read'])
    await expectGuarded(
      t,
      { method: 'PUT', path: `${TEMPLATES}/password_reset`, body: { subject: 'x' } },
      plain,
      [{ cookie: updater.cookie }],
      'settings.read',
    )
    await expectGuarded(
      t,
      { method: 'PUT', path: `${TEMPLATES}/password_reset`, body: { subject: 'x' } },
      null,
      [{ cookie: reader.cookie }],
      'email-templates.update',
    )
    const both = await roleCaller(t, admin, ['settings.read', 'email-templates.update'])
    expect((await put('password_reset', { subject: 'ok' }, both.cookie)).status).toBe(200)
  })
})

describe('POST /api/admin/system/email/test', () => {
  const send = (email: string, cookie = admin.cookie) => t.request('POST', '/api/admin/system/email/test', { cookie, body: { email } })

  test('sends connection_test through the configured transport and logs it', async () => {
    const res = await send('Ops@Example.com', (await roleCaller(t, admin, ['settings.read'])).cookie)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const m = await mailTo('ops@example.com')
    expect(m.subject).toBe('Hatchery test email')
    expect((await adminEvents(t, admin, 'email:connection-test')).length).toBeGreaterThan(0)
  })

  test('400 when mail is off', async () => {
    await t.kernel.settings.update({ mail_mode: { type: 'none' } })
    const res = await send('ops@example.com')
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['email functionality is disabled in settings'] })
  })

  test('400 for an address that is not one', async () => {
    const res = await send('not an address')
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('email')
  })

  test('502 with the transport’s reason when the server is down', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as { port: number }).port
    await new Promise((r) => closed.close(r))
    await t.kernel.settings.update({ mail_mode: sink.mode({ port }) })
    const res = await send('ops@example.com')
    expect(res.status).toBe(502)
    expect(res.body.errors[0]).toStartWith('failed to send test email: ')
    expect(res.body.errors[0]).toContain('ECONNREFUSED')
  })

  test('502 within 15 s when the server accepts the connection and never greets', async () => {
    const sockets: Socket[] = []
    const silent: Server = createServer((s) => void sockets.push(s))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    try {
      await t.kernel.settings.update({ mail_mode: sink.mode({ port: (silent.address() as { port: number }).port }) })
      const started = Date.now()
      const res = await send('ops@example.com')
      expect(Date.now() - started).toBeLessThan(15_000)
      expect(res.status).toBe(502)
      expect(res.body.errors[0]).toMatch(/^failed to send test email: .*greeting/i)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => silent.close(r))
    }
  }, 30_000)

  test('403 naming settings.read', async () => {
    const other = await roleCaller(t, admin, ['email-templates.read'])
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/system/email/test', body: { email: 'a@example.com' } },
      plain,
      [{ cookie: other.cookie }],
      'settings.read',
    )
  })
})

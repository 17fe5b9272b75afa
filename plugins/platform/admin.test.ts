import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import type { SettingKey } from 'hatchery'
import {
  SETUP_TIMEOUT,
  testApp,
  useTestApp,
  type TestApp,
  adminCaller,
  adminEvents,
  expectGuarded,
  expectRoutesGuarded,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  type AdminCaller,
} from 'hatchery/testing'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let second: TestApp | undefined

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
}, SETUP_TIMEOUT)

afterAll(async () => {
  await second?.close()
}, SETUP_TIMEOUT)

const smtp = (overrides: Record<string, unknown> = {}) => ({
  type: 'smtp',
  host: 'smtp.example.com',
  port: 587,
  username: 'mailer',
  password: 'hunter2-smtp',
  tls_mode: 'starttls',
  skip_cert_validation: false,
  from_address: 'panel@example.com',
  from_name: null,
  ...overrides,
})
const put = (body: unknown, cookie = admin.cookie) => t.request('PUT', '/api/admin/settings', { cookie, body })
const get = async () => {
  const res = await t.request('GET', '/api/admin/settings', { cookie: admin.cookie })
  expect(res.status).toBe(200)
  return res
}
const stored = async (key: string) =>
  (await t.kernel.database.query<{ value: unknown }>(sql`select value from settings where key = ${key}`))[0]?.value
const current = async <K extends SettingKey>(key: K) => (await t.kernel.settings.snapshot()).get(key)

test('every /api/admin route of platform answers 401 without credentials and 403 without its permission', async () => {
  const swept = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'platform', admin })
  expect(swept.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/admin/settings', 'PUT /api/admin/settings'])
})

describe('GET /api/admin/settings', () => {
  test('returns the whole document with defaults', async () => {
    const { body } = await get()
    const s = body.settings
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining([
        'telemetry_uuid',
        'oobe_step',
        'storage_driver',
        'mail_mode',
        'captcha_provider',
        'app',
        'webauthn',
        'server',
        'user',
        'activity',
        'ratelimits',
      ]),
    )
    expect(s.mail_mode).toEqual({ type: 'none' })
    expect(s.app).toMatchObject({
      name: 'Hatchery',
      url: 'http://localhost:8000',
      language: 'en',
      two_factor_requirement: 'none',
      session_duration_seconds: 604800,
    })
    expect(s.server.max_subuser_count).toBe(25)
    expect(s.activity.server_log_retention_days).toBe(90)
    expect(s.ratelimits.auth_login).toEqual({ hits: expect.any(Number), window_seconds: expect.any(Number) })
    expect(s.ratelimits.admin).toEqual({ hits: 360, window_seconds: 30 })
  })

  test('refuses callers without settings.read', async () => {
    const other = await roleCaller(t, admin, ['settings.update'])
    const key = await narrowedAdminKey(t, admin, ['settings.update'])
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/settings' },
      plain,
      [{ cookie: other.cookie }, { token: key }],
      'settings.read',
    )
  })
})

describe('PUT /api/admin/settings', () => {
  test('changes only the keys sent, at once here and in GET /api/settings, and logs settings:update', async () => {
    const before = (await get()).body.settings
    const res = await put({
      app: { name: 'Renamed Panel' },
      user: { max_api_key_count: 7 },
      ratelimits: { client: { hits: 99_999, window_seconds: 10 } },
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const after = (await get()).body.settings
    expect(after.app).toEqual({ ...before.app, name: 'Renamed Panel' })
    expect(after.user).toEqual({ ...before.user, max_api_key_count: 7 })
    expect(after.ratelimits.client).toEqual({ hits: 99_999, window_seconds: 10 })
    expect(after.server).toEqual(before.server)
    const pub = await t.request('GET', '/api/settings')
    expect(pub.body.app.name).toBe('Renamed Panel')
    expect(pub.body.user.max_api_key_count).toBe(7)
    const [event] = await adminEvents(t, admin, 'settings:update')
    expect(event.user.uuid).toBe(admin.uuid)
    expect(event.data).toEqual(after)
  })

  test('a second panel on the same database sees the change within 2 s', async () => {
    second = await testApp({ db: t.db })
    const read = async () => (await second!.request('GET', '/api/settings')).body.app.name as string
    expect(await read()).toBe(await current('app.name'))
    expect((await put({ app: { name: 'Seen Elsewhere' } })).status).toBe(200)
    const started = Date.now()
    let name = await read()
    while (name !== 'Seen Elsewhere' && Date.now() - started < 3000) {
      await Bun.sleep(50)
      name = await read()
    }
    expect(name).toBe('Seen Elsewhere')
    expect(Date.now() - started).toBeLessThan(2200)
  })

  test('secrets are write-only: never returned or logged, kept when null, cleared by an empty string', async () => {
    expect((await put({ mail_mode: smtp() })).status).toBe(200)
    const read = await get()
    expect(read.body.settings.mail_mode).toEqual({ ...smtp(), password: null })
    expect(read.text).not.toContain('hunter2-smtp')
    expect(JSON.stringify(await stored('mail_mode'))).not.toContain('hunter2-smtp')
    expect((await current<any>('mail_mode')).password).toBe('hunter2-smtp')
    const [event] = await adminEvents(t, admin, 'settings:update')
    expect(JSON.stringify(event.data)).not.toContain('hunter2-smtp')
    expect(event.data.mail_mode.password).toBeNull()

    expect((await put({ mail_mode: smtp({ password: null, host: 'smtp2.example.com' }) })).status).toBe(200)
    expect(await current<any>('mail_mode')).toMatchObject({ host: 'smtp2.example.com', password: 'hunter2-smtp' })
    expect((await put({ mail_mode: smtp({ password: '' }) })).status).toBe(200)
    expect((await current<any>('mail_mode')).password).toBeNull()
  })

  test('captcha and S3 secrets read null too', async () => {
    const s3 = {
      type: 's3',
      public_url: 'https://cdn.example.com',
      access_key: 'AKIA-secret',
      secret_key: 's3-secret',
      bucket: 'b',
      region: 'r',
      endpoint: 'https://s3.example.com',
      path_style: true,
    }
    expect(
      (await put({ captcha_provider: { type: 'turnstile', site_key: 'site', secret_key: 'turnstile-secret' }, storage_driver: s3 })).status,
    ).toBe(200)
    const res = await get()
    expect(res.body.settings.captcha_provider).toEqual({ type: 'turnstile', site_key: 'site', secret_key: null })
    expect(res.body.settings.storage_driver).toMatchObject({ type: 's3', access_key: null, secret_key: null, bucket: 'b' })
    for (const secret of ['AKIA-secret', 's3-secret', 'turnstile-secret']) expect(res.text).not.toContain(secret)
    const pub = await t.request('GET', '/api/settings')
    expect(pub.body.captcha_provider).toEqual({ type: 'turnstile', site_key: 'site' })
    expect((await current<any>('captcha_provider')).secret_key).toBe('turnstile-secret')
    expect((await put({ captcha_provider: { type: 'none' } })).status).toBe(200)
  })

  test('GET /api/settings: one fresh time per answer, in JSON, MessagePack and XML', async () => {
    const first = await t.request('GET', '/api/settings')
    await Bun.sleep(5)
    const again = await t.request('GET', '/api/settings')
    expect(first.text.match(/"time":/g)).toHaveLength(1)
    expect(again.text.match(/"time":/g)).toHaveLength(1)
    expect(Date.parse(again.body.time)).toBeGreaterThan(Date.parse(first.body.time))
    expect({ ...again.body, time: null }).toEqual({ ...first.body, time: null })
    const xml = await t.request('GET', '/api/settings', { as: 'xml' })
    expect(xml.text.match(/<time>/g)).toHaveLength(1)
    const packed = await t.request('GET', '/api/settings', { as: 'msgpack' })
    expect(packed.body.time).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect({ ...packed.body, time: null }).toEqual({ ...first.body, time: null })
  })

  test('bad values → 400 with every problem, nothing changed', async () => {
    const before = await current('app.name')
    const res = await put({
      app: { name: '', session_duration_seconds: 5 },
      ratelimits: { client: { hits: 0, window_seconds: 10 } },
      mail_mode: { type: 'carrier-pigeon' },
    })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        'app.name: length is lower than 1',
        'app.session_duration_seconds: lower than 60',
        'ratelimits.client.hits: lower than 1',
      ]),
    )
    expect(await current('app.name')).toBe(before)
  })

  test('a body that is not an object, or a section that is not one → 400, nothing changed', async () => {
    const before = await current('app.name')
    const cases: [string, string][] = [
      ['null', 'body: expected an object'],
      ['"x"', 'body: expected an object'],
      ['[1,2,3]', 'body: expected an object'],
      ['{"app":null}', 'app: expected an object'],
      ['{"app":"x"}', 'app: expected an object'],
      ['{"ratelimits":{"client":[]}}', 'ratelimits.client: expected an object'],
    ]
    for (const [body, message] of cases) {
      const res = await t.request('PUT', '/api/admin/settings', {
        cookie: admin.cookie,
        body,
        headers: { 'content-type': 'application/json' },
      })
      expect(res.status).toBe(400)
      expect(res.body.errors).toEqual([message])
    }
    const xml = await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, as: 'xml', body: '<r><app>x</app></r>' })
    expect(xml.status).toBe(400)
    expect(await current('app.name')).toBe(before)
  })

  test('read-only keys are not part of the body: ignored like any unknown field', async () => {
    const res = await put({ telemetry_uuid: crypto.randomUUID(), telemetry_cron_schedule: '* * * * *', app: { name: 'With Extras' } })
    expect(res.status).toBe(200)
    expect(await current('telemetry_uuid')).toBeNull()
    expect(await current('telemetry_cron_schedule')).toBeNull()
    expect(await current('app.name')).toBe('With Extras')
  })

  test('refuses callers without settings.update', async () => {
    const reader = await roleCaller(t, admin, ['settings.read'])
    const key = await narrowedAdminKey(t, admin, ['settings.read'])
    await expectGuarded(
      t,
      { method: 'PUT', path: '/api/admin/settings', body: { app: { name: 'Nope' } } },
      plain,
      [{ cookie: reader.cookie }, { token: key }],
      'settings.update',
    )
    expect(await current('app.name')).not.toBe('Nope')
  })

  test('the body schema is documented in /openapi.json', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body
    const body = doc.paths['/api/admin/settings'].put.requestBody.content['application/json'].schema
    expect(body.properties.app.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 64 })
    expect(body.properties.mail_mode.anyOf.length).toBe(4)
    expect(body.required ?? []).toEqual([])
    expect(body.properties.telemetry_uuid).toBeUndefined()
  })
})

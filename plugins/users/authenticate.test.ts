import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  lastActivity,
  login,
  makeApiKey,
  makeUser,
  relaxRateLimits,
  testApp,
  useTestApp,
  type RequestOptions,
  type TestApp,
  type TestUser,
} from 'hatchery/testing'
import { enableTwoFactor, updateUser, usersApi } from './test-helpers'
import { roles, userApiKeys, userSessions, users } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(async () => {
  await relaxRateLimits(t)
  // The guard sweeps below call every admin route several times: more than the admin bucket's 360 per 30 s.
  await t.kernel.settings.update({ 'ratelimits.admin': { hits: 100_000, window_seconds: 60 } })
})

const ACCOUNT = '/api/client/account'

async function session(overrides = {}) {
  const user = await makeUser(t, overrides)
  return { user, cookie: await login(t, user) }
}

async function role(values: Partial<typeof roles.$inferInsert>) {
  const [row] = await t.kernel.database.db
    .insert(roles)
    .values({ name: `role-${crypto.randomUUID()}`, ...values })
    .returning()
  return row
}

const asUser = (uuid: string) => ({ 'calagopus-user': uuid })

/** Every guarded route of the app with a concrete path (parameters filled with a fresh uuid). */
function guardedRoutes(app: TestApp) {
  return app.routes
    .all()
    .filter((r) => /^\/api\/(client|admin)(\/|$)/.test(r.path) && !r.public && !['ALL', 'WS', 'HEAD', 'OPTIONS'].includes(r.method))
    .map((r) => ({ ...r, concrete: r.path.replace(/:[^/]+/g, crypto.randomUUID()) }))
}

describe('session cookies', () => {
  test('every authenticated request re-issues the cookie with a fresh expiry (sliding)', async () => {
    const { cookie } = await session()
    await t.kernel.settings.update({ 'app.session_duration_seconds': 3600 })
    try {
      const res = await t.request('GET', ACCOUNT, { cookie })
      expect(res.status).toBe(200)
      const setCookie = res.headers.get('set-cookie')!
      expect(setCookie.split(';')[0]).toBe(cookie)
      expect(setCookie).toContain('; HttpOnly; SameSite=Lax')
      const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)![1])
      expect(Math.abs(expires - (Date.now() + 3_600_000))).toBeLessThan(5000)
    } finally {
      await t.kernel.settings.update({ 'app.session_duration_seconds': 604800 })
    }
  })

  test('a session unused for longer than app.session_duration_seconds → 401', async () => {
    const { user, cookie } = await session()
    expect((await t.request('GET', ACCOUNT, { cookie })).status).toBe(200)
    await usersApi(t).credentials.flush()
    await t.kernel.database.db
      .update(userSessions)
      .set({ last_used: new Date(Date.now() - 120_000) })
      .where(eq(userSessions.user_uuid, user.uuid))
    usersApi(t).credentials.invalidate()
    await t.kernel.settings.update({ 'app.session_duration_seconds': 60 })
    try {
      const res = await t.request('GET', ACCOUNT, { cookie })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ errors: ['invalid session'] })
    } finally {
      await t.kernel.settings.update({ 'app.session_duration_seconds': 604800 })
    }
    expect((await t.request('GET', ACCOUNT, { cookie })).status).toBe(200)
  })

  test('a present but bad cookie is an error even beside a valid API key', async () => {
    const { cookie } = await session()
    const { key } = await makeApiKey(t, cookie)
    const res = await t.request('GET', ACCOUNT, { cookie: 'hatchery_session=garbage', token: key })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['invalid authorization cookie'] })
    // Other cookies are not the session cookie.
    expect((await t.request('GET', ACCOUNT, { cookie: 'theme=dark; other_session=x', token: key })).status).toBe(200)
  })

  test('only keyed hashes of the secret are stored', async () => {
    const { user, cookie } = await session()
    const secret = cookie.split('=')[1].slice(17)
    const [row] = await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid))
    expect(row.key_hash).toBe(t.kernel.secrets.hmac(secret))
    expect(JSON.stringify(row)).not.toContain(secret)
  })
})

describe('API keys', () => {
  test('the header must be exactly `Bearer ` + 48 characters', async () => {
    const { cookie } = await session()
    const { key } = await makeApiKey(t, cookie)
    expect((await t.request('GET', ACCOUNT, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200)
    for (const header of [`bearer ${key}`, `Bearer ${key.slice(0, -1)}`, key, `Token ${key}`]) {
      const res = await t.request('GET', ACCOUNT, { headers: { authorization: header } })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ errors: ['invalid authorization header'] })
    }
    const wrong = await t.request('GET', ACCOUNT, { token: key.slice(0, 47) + (key.endsWith('A') ? 'B' : 'A') })
    expect(wrong.status).toBe(401)
    expect(wrong.body).toEqual({ errors: ['invalid api key'] })
  })

  test('allowed_ips: IPv4 and IPv6 networks, mapped addresses, families never mix', async () => {
    const { cookie } = await session()
    const { key } = await makeApiKey(t, cookie, { allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'] })
    const from = (ip: string) => t.request('GET', ACCOUNT, { token: key, ip })
    for (const ip of ['10.200.3.4', '2001:db8:1::9', '192.0.2.1', '::ffff:10.0.0.1']) expect((await from(ip)).status).toBe(200)
    for (const ip of ['127.0.0.1', '11.0.0.1', '192.0.2.2', '2001:db9::1', '::1', '::a00:1']) {
      const res = await from(ip)
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ errors: ['ip address not allowed for this api key'] })
    }
  })

  test('a key past its expiry is refused at once, though its row is still cached', async () => {
    const { cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie, { expires: new Date(Date.now() + 1500).toISOString() })
    expect((await t.request('GET', ACCOUNT, { token: key })).status).toBe(200)
    await Bun.sleep(
      Math.max(
        0,
        Date.parse((await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid)))[0].expires!.toISOString()) -
          Date.now() +
          50,
      ),
    )
    const res = await t.request('GET', ACCOUNT, { token: key })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['invalid api key'] })
  })

  test('user permissions only narrow keys: a session passes, a key needs the permission', async () => {
    const { cookie } = await session()
    expect((await t.request('GET', '/api/client/account/api-keys', { cookie })).status).toBe(200)
    const none = await makeApiKey(t, cookie)
    const res = await t.request('GET', '/api/client/account/api-keys', { token: none.key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['you do not have permission to perform this action: api-keys.read'] })
    const read = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    expect((await t.request('GET', '/api/client/account/api-keys', { token: read.key })).status).toBe(200)
  })
})

describe('the admin area', () => {
  test('a user without the admin flag or an admin role → 403 unauthorized on every admin route (not the reference 401)', async () => {
    const { cookie } = await session()
    const routes = guardedRoutes(t).filter((r) => r.path.startsWith('/api/admin/'))
    expect(routes.length).toBeGreaterThan(0)
    for (const r of routes) {
      const res = await t.request(r.method, r.concrete, { cookie, body: r.method === 'GET' ? undefined : {} })
      expect(`${r.method} ${r.path} ${res.status} ${res.text}`).toBe(`${r.method} ${r.path} 403 {"errors":["unauthorized"]}`)
    }
  })

  test('an admin impersonating a plain user is a plain user there', async () => {
    const admin = await session({ admin: true })
    const plain = await makeUser(t)
    const route = guardedRoutes(t).find((r) => r.path.startsWith('/api/admin/') && r.method === 'GET')!
    const res = await t.request('GET', route.concrete, { cookie: admin.cookie, headers: asUser(plain.uuid) })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['unauthorized'] })
    expect((await t.request('GET', route.concrete, { cookie: admin.cookie })).status).not.toBe(403)
  })
})

describe('suspended users', () => {
  test('get 403 on every guarded route but GET account and logout, by session and by key', async () => {
    const { user, cookie } = await session()
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read', 'account.two-factor'] })
    await updateUser(t, user.uuid, { suspended: true })

    const routes = guardedRoutes(t)
    const exempt = routes.filter((r) => r.exempt.has('suspended')).map((r) => `${r.method} ${r.path}`)
    expect(exempt).toContain('GET /api/client/account')
    expect(exempt).toContain('POST /api/client/account/logout')
    for (const r of ['GET', 'POST', 'DELETE']) expect(exempt).not.toContain(`${r} /api/client/account/two-factor`)
    expect(exempt.filter((e) => e.includes('api-keys') || e.includes('permissions'))).toEqual([])

    for (const r of routes.filter((r) => !r.exempt.has('suspended'))) {
      for (const auth of [{ cookie }, { token: key }] as RequestOptions[]) {
        const res = await t.request(r.method, r.concrete, { ...auth, body: r.method === 'GET' ? undefined : {} })
        expect(`${r.method} ${r.path} ${res.status} ${res.text}`).toBe(`${r.method} ${r.path} 403 {"errors":["account is suspended"]}`)
      }
    }
    expect((await t.request('GET', ACCOUNT, { token: key })).body.user.suspended).toBe(true)
    expect((await t.request('GET', ACCOUNT, { cookie })).status).toBe(200)
    expect((await t.request('POST', '/api/client/account/logout', { cookie })).status).toBe(200)
  })
})

describe('required two-factor', () => {
  test('blocks every guarded route but GET account, the two-factor routes and logout', async () => {
    const { cookie } = await session()
    await t.kernel.settings.update({ 'app.two_factor_requirement': 'all_users' })
    try {
      const routes = guardedRoutes(t)
      const exempt = routes.filter((r) => r.exempt.has('two-factor')).map((r) => `${r.method} ${r.path}`)
      for (const e of [
        'GET /api/client/account',
        'POST /api/client/account/logout',
        'GET /api/client/account/two-factor',
        'POST /api/client/account/two-factor',
        'DELETE /api/client/account/two-factor',
      ]) {
        expect(exempt).toContain(e)
      }
      for (const r of routes.filter((r) => !r.exempt.has('two-factor'))) {
        const res = await t.request(r.method, r.concrete, { cookie, body: r.method === 'GET' ? undefined : {} })
        expect(`${r.method} ${r.path} ${res.status} ${res.text}`).toBe(
          `${r.method} ${r.path} 403 {"errors":["two-factor authentication required"]}`,
        )
      }
      const account = await t.request('GET', ACCOUNT, { cookie })
      expect(account.status).toBe(200)
      expect(account.body.user.require_two_factor).toBe(true)
      expect((await t.request('GET', '/api/client/account/two-factor', { cookie })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'app.two_factor_requirement': 'none' })
    }
  })

  test('`admins` requires it of admins only; a role decides over the setting', async () => {
    const admin = await session({ admin: true })
    const plain = await session()
    const strict = await session({ role_uuid: (await role({ require_two_factor: true })).uuid })
    const lax = await session({ admin: true, role_uuid: (await role({ require_two_factor: false })).uuid })
    const permissions = (cookie: string) => t.request('GET', '/api/client/permissions', { cookie }).then((r) => r.status)
    await t.kernel.settings.update({ 'app.two_factor_requirement': 'admins' })
    try {
      expect(await permissions(admin.cookie)).toBe(403)
      expect(await permissions(plain.cookie)).toBe(200)
      expect(await permissions(strict.cookie)).toBe(403)
      expect(await permissions(lax.cookie)).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'app.two_factor_requirement': 'none' })
    }
    expect(await permissions(strict.cookie)).toBe(403)
    expect(await permissions(admin.cookie)).toBe(200)
    // Once enabled, the gate opens.
    await enableTwoFactor(t, strict.cookie, strict.user.password)
    expect(await permissions(strict.cookie)).toBe(200)
  })
})

describe('impersonation (Calagopus-User)', () => {
  let admin: { user: TestUser; cookie: string }
  let target: { user: TestUser; cookie: string }
  beforeAll(async () => {
    admin = await session({ admin: true })
    target = await session()
  })

  test('an admin acts as the target user; activity records the impersonator', async () => {
    const res = await t.request('GET', ACCOUNT, { cookie: admin.cookie, headers: asUser(target.user.uuid.toUpperCase()) })
    expect(res.status).toBe(200)
    expect(res.body.user.uuid).toBe(target.user.uuid)
    const created = await t.request('POST', '/api/client/account/api-keys', {
      cookie: admin.cookie,
      headers: asUser(target.user.uuid),
      ip: '192.0.2.99',
      body: { name: 'made-by-admin', allowed_ips: [], user_permissions: [], admin_permissions: [], server_permissions: [] },
    })
    expect(created.status).toBe(200)
    const [row] = await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, created.body.api_key.uuid))
    expect(row.user_uuid).toBe(target.user.uuid)
    const activity = await lastActivity(t, target.user.uuid, 'api-key:create')
    expect(activity).toMatchObject({ impersonator_uuid: admin.user.uuid, ip: '192.0.2.99', api_key_uuid: null })
  })

  test('ignored without users.impersonate, for an unparsable uuid, and for oneself', async () => {
    const other = await session()
    for (const [cookie, header] of [
      [other.cookie, target.user.uuid],
      [admin.cookie, 'not-a-uuid'],
      [admin.cookie, admin.user.uuid],
    ]) {
      const res = await t.request('GET', ACCOUNT, { cookie, headers: asUser(header) })
      expect(res.status).toBe(200)
      expect(res.body.user.uuid).toBe(cookie === other.cookie ? other.user.uuid : admin.user.uuid)
    }
  })

  test('an unknown user → 401', async () => {
    const res = await t.request('GET', ACCOUNT, { cookie: admin.cookie, headers: asUser(crypto.randomUUID()) })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['unable to find user from calagopus-user header'] })
  })

  test('a role-based impersonator may not act as an admin or as a user with more permissions', async () => {
    const staff = await session({
      role_uuid: (await role({ admin_permissions: ['users.impersonate', 'users.read'], server_permissions: ['control.start'] })).uuid,
    })
    const lesser = await makeUser(t, { role_uuid: (await role({ admin_permissions: ['users.read'] })).uuid })
    const greater = await makeUser(t, { role_uuid: (await role({ server_permissions: ['control.start', 'control.stop'] })).uuid })
    const ok = await t.request('GET', ACCOUNT, { cookie: staff.cookie, headers: asUser(lesser.uuid) })
    expect(ok.status).toBe(200)
    expect(ok.body.user.uuid).toBe(lesser.uuid)
    expect((await t.request('GET', ACCOUNT, { cookie: staff.cookie, headers: asUser(target.user.uuid) })).body.user.uuid).toBe(
      target.user.uuid,
    )
    for (const uuid of [admin.user.uuid, greater.uuid]) {
      const res = await t.request('GET', ACCOUNT, { cookie: staff.cookie, headers: asUser(uuid) })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ errors: ['cannot impersonate a user with more permissions'] })
    }
  })

  test('by API key: needs users.impersonate in the key, and the key’s scope still applies', async () => {
    const plainKey = await makeApiKey(t, admin.cookie, { user_permissions: ['api-keys.read'] })
    const ignored = await t.request('GET', ACCOUNT, { token: plainKey.key, headers: asUser(target.user.uuid) })
    expect(ignored.body.user.uuid).toBe(admin.user.uuid)

    const key = await makeApiKey(t, admin.cookie, {
      admin_permissions: ['users.impersonate'],
      user_permissions: ['api-keys.read', 'api-keys.update'],
    })
    const acting = await t.request('GET', ACCOUNT, { token: key.key, headers: asUser(target.user.uuid) })
    expect(acting.body.user.uuid).toBe(target.user.uuid)
    const list = await t.request('GET', '/api/client/account/api-keys', { token: key.key, headers: asUser(target.user.uuid) })
    expect(list.status).toBe(200)
    const madeByAdmin = list.body.api_keys.data.find((k: any) => k.name === 'made-by-admin')
    expect(madeByAdmin).toBeDefined()
    const rename = await t.request('PATCH', `/api/client/account/api-keys/${madeByAdmin.uuid}`, {
      token: key.key,
      headers: asUser(target.user.uuid),
      ip: '192.0.2.98',
      body: { name: 'renamed-by-key' },
    })
    expect(rename.status).toBe(200)
    expect(await lastActivity(t, target.user.uuid, 'user:api-key.update')).toMatchObject({
      impersonator_uuid: admin.user.uuid,
      api_key_uuid: key.uuid,
      ip: '192.0.2.98',
    })
    // Deliberately unlike the reference: the key does not hold api-keys.create, so neither does the impersonation.
    const create = await t.request('POST', '/api/client/account/api-keys', {
      token: key.key,
      headers: asUser(target.user.uuid),
      body: { name: 'escalate', allowed_ips: [], user_permissions: [], admin_permissions: [], server_permissions: [] },
    })
    expect(create.status).toBe(403)
    expect(create.body).toEqual({ errors: ['you do not have permission to perform this action: api-keys.create'] })
  })

  test('the suspended gate applies to the impersonator, not the target', async () => {
    const suspendedTarget = await makeUser(t, { suspended: true })
    const res = await t.request('GET', '/api/client/permissions', { cookie: admin.cookie, headers: asUser(suspendedTarget.uuid) })
    expect(res.status).toBe(200)
    const suspendedAdmin = await session({ admin: true })
    await updateUser(t, suspendedAdmin.user.uuid, { suspended: true })
    const blocked = await t.request('GET', '/api/client/permissions', { cookie: suspendedAdmin.cookie, headers: asUser(target.user.uuid) })
    expect(blocked.status).toBe(403)
    expect(blocked.body).toEqual({ errors: ['account is suspended'] })
  })
})

describe('batched last_used, IP and user agent', () => {
  test('requests do not write; a flush writes the latest values once', async () => {
    const { user, cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie)
    const api = usersApi(t)
    await api.credentials.flush()
    for (let i = 0; i < 3; i++) expect((await t.request('GET', ACCOUNT, { token: key })).status).toBe(200)
    await t.request('GET', ACCOUNT, { cookie, ip: '198.51.100.61', headers: { 'user-agent': 'agent-one' } })
    await t.request('GET', ACCOUNT, { cookie, ip: '198.51.100.62', headers: { 'user-agent': 'agent-two' } })
    const keyBefore = (await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid)))[0]
    expect(keyBefore.last_used).toBeNull()
    const sessionBefore = (await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid)))[0]
    expect(sessionBefore.ip).toBe('127.0.0.1')

    const before = Date.now()
    await api.credentials.flush()
    const keyAfter = (await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid)))[0]
    expect(keyAfter.last_used).not.toBeNull()
    expect(keyAfter.last_used!.getTime()).toBeLessThanOrEqual(before)
    expect(keyAfter.last_used!.getTime()).toBeGreaterThan(before - 10_000)
    const sessionAfter = (await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid)))[0]
    expect(sessionAfter).toMatchObject({ ip: '198.51.100.62', user_agent: 'agent-two' })
    expect(sessionAfter.last_used.getTime()).toBeGreaterThan(sessionBefore.last_used.getTime())
    const listed = await t.request('GET', '/api/client/account/api-keys', { cookie })
    expect(listed.body.api_keys.data[0].last_used).toMatch(/^\d{4}-/)
  })

  test('pending updates are written when the panel shuts down', async () => {
    const other = await testApp({ db: t.db })
    const { cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie)
    expect((await other.request('GET', ACCOUNT, { token: key })).status).toBe(200)
    await other.close()
    const [row] = await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid))
    expect(row.last_used).not.toBeNull()
  })

  test('the flush also runs on its own within a few seconds', async () => {
    const { cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie)
    expect((await t.request('GET', ACCOUNT, { token: key })).status).toBe(200)
    const deadline = Date.now() + 8000
    let lastUsed: Date | null = null
    while (Date.now() < deadline && !lastUsed) {
      await Bun.sleep(250)
      lastUsed = (await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid)))[0].last_used
    }
    expect(lastUsed).not.toBeNull()
  })
})

describe('revocation across two panel processes on one database', () => {
  let second: TestApp
  beforeAll(async () => {
    second = await testApp({ db: t.db })
    await relaxRateLimits(second)
  }, 120_000)
  afterAll(() => second?.close())

  /** Polls `app` until it answers 401; returns when the refused request started, relative to `since`. */
  async function refusedAfter(app: TestApp, opts: RequestOptions, since: number): Promise<number> {
    for (;;) {
      const started = Date.now()
      const res = await app.request('GET', ACCOUNT, opts)
      if (res.status === 401) return started - since
      expect(res.status).toBe(200)
      if (started - since > 5000) throw new Error('still accepted after 5 s')
      await Bun.sleep(25)
    }
  }

  async function warm(opts: RequestOptions) {
    expect((await t.request('GET', ACCOUNT, opts)).status).toBe(200)
    expect((await second.request('GET', ACCOUNT, opts)).status).toBe(200)
  }

  test('a deleted API key: 401 at once here, within a second there', async () => {
    const { cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie)
    await warm({ token: key })
    expect((await t.request('DELETE', `/api/client/account/api-keys/${uuid}`, { cookie })).status).toBe(200)
    const at = Date.now()
    expect((await t.request('GET', ACCOUNT, { token: key })).status).toBe(401)
    expect(await refusedAfter(second, { token: key }, at)).toBeLessThanOrEqual(1150)
  })

  test('a recreated API key: the old secret is refused here at once and there within a second', async () => {
    const { cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie)
    await warm({ token: key })
    const res = await second.request('POST', `/api/client/account/api-keys/${uuid}/recreate`, { cookie })
    expect(res.status).toBe(200)
    const at = Date.now()
    expect((await second.request('GET', ACCOUNT, { token: key })).status).toBe(401)
    expect(await refusedAfter(t, { token: key }, at)).toBeLessThanOrEqual(1150)
    expect((await t.request('GET', ACCOUNT, { token: res.body.key })).status).toBe(200)
  })

  test('a logged-out session', async () => {
    const { cookie } = await session()
    await warm({ cookie })
    expect((await t.request('POST', '/api/client/account/logout', { cookie })).status).toBe(200)
    const at = Date.now()
    expect((await t.request('GET', ACCOUNT, { cookie })).status).toBe(401)
    expect(await refusedAfter(second, { cookie }, at)).toBeLessThanOrEqual(1150)
  })

  test('a deleted user, and a key narrowed in the other process', async () => {
    const { user, cookie } = await session()
    const { key, uuid } = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    await warm({ cookie })
    await warm({ token: key })
    expect((await second.request('GET', '/api/client/account/api-keys', { token: key })).status).toBe(200)
    expect((await t.request('PATCH', `/api/client/account/api-keys/${uuid}`, { cookie, body: { user_permissions: [] } })).status).toBe(200)
    expect((await t.request('GET', '/api/client/account/api-keys', { token: key })).status).toBe(403)
    await Bun.sleep(1050)
    expect((await second.request('GET', '/api/client/account/api-keys', { token: key })).status).toBe(403)

    await t.kernel.database.db.delete(users).where(eq(users.uuid, user.uuid))
    const at = Date.now()
    expect(await refusedAfter(second, { cookie }, at)).toBeLessThanOrEqual(1150)
    expect(await refusedAfter(second, { token: key }, at)).toBeLessThanOrEqual(1150)
  })

  test('a suspension made in one process reaches the other within a second', async () => {
    const { user, cookie } = await session()
    await warm({ cookie })
    await updateUser(t, user.uuid, { suspended: true })
    expect((await t.request('GET', '/api/client/permissions', { cookie })).status).toBe(403)
    await Bun.sleep(1050)
    const res = await second.request('GET', '/api/client/permissions', { cookie })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['account is suspended'] })
  })
})

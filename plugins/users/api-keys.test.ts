import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, lastActivity, login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { ApiKey } from './model'
import { userApiKeys } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

const BASE = '/api/client/account/api-keys'
const fullBody = (over: Record<string, unknown> = {}) => ({
  name: `key-${Math.random().toString(36).slice(2, 8)}`,
  allowed_ips: [],
  user_permissions: [],
  admin_permissions: [],
  server_permissions: [],
  ...over,
})

async function owner() {
  const user = await makeUser(t)
  return { user, cookie: await login(t, user) }
}

async function keyRow(uuid: string) {
  const [row] = await t.kernel.database.db.select().from(userApiKeys).where(eq(userApiKeys.uuid, uuid))
  return row
}

const denied = (permission: string) => ({ errors: [`you do not have permission to perform this action: ${permission}`] })

describe('POST /api/client/account/api-keys', () => {
  test('creates a key, shows the secret once and stores only its HMAC', async () => {
    const { user, cookie } = await owner()
    const expires = new Date(Date.now() + 86_400_000).toISOString()
    const body = fullBody({
      allowed_ips: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'],
      user_permissions: ['account.infos', 'api-keys.read'],
      admin_permissions: ['stats.read'],
      server_permissions: ['control.start'],
      expires,
    })
    const res = await t.request('POST', BASE, { cookie, body, ip: '198.51.100.20' })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['api_key', 'key'])
    expectModel(ApiKey, res.body.api_key)
    const { api_key: key, key: secret } = res.body
    expect(secret).toMatch(/^c7sp_[A-Za-z0-9]{43}$/)
    expect(key).toMatchObject({
      name: body.name,
      key_start: secret.slice(0, 16),
      allowed_ips: ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32'],
      user_permissions: ['account.infos', 'api-keys.read'],
      admin_permissions: ['stats.read'],
      server_permissions: ['control.start'],
      last_used: null,
      expires: expires.replace('.000Z', 'Z'),
    })

    const row = await keyRow(key.uuid)
    expect(row.key_hash).toBe(t.kernel.secrets.hmac(secret))
    expect(JSON.stringify(row)).not.toContain(secret)

    const activity = await lastActivity(t, user.uuid, 'api-key:create')
    expect(activity.ip).toBe('198.51.100.20')
    expect(activity.data).toEqual({
      uuid: key.uuid,
      identifier: key.key_start,
      name: body.name,
      allowed_ips: key.allowed_ips,
      user_permissions: key.user_permissions,
      admin_permissions: key.admin_permissions,
      server_permissions: key.server_permissions,
      expires: expect.stringMatching(/^\d{4}-/),
    })
    // The new key authenticates, from an allowed address.
    expect((await t.request('GET', '/api/client/account', { token: secret, ip: '10.1.2.3' })).body.user.uuid).toBe(user.uuid)
  })

  test('bad input → 400 with field messages', async () => {
    const { cookie } = await owner()
    const short = await t.request('POST', BASE, { cookie, body: fullBody({ name: 'ab' }) })
    expect(short.status).toBe(400)
    expect(short.body.errors).toContain('name: length is lower than 3')
    const missing = await t.request('POST', BASE, { cookie, body: { name: 'abc' } })
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toEqual([
      'allowed_ips: required',
      'user_permissions: required',
      'admin_permissions: required',
      'server_permissions: required',
    ])
    const perms = await t.request('POST', BASE, {
      cookie,
      body: fullBody({ user_permissions: ['account.infos', 'nope.nope'], server_permissions: ['stats.read'] }),
    })
    expect(perms.status).toBe(400)
    expect(perms.body.errors).toEqual([
      'user_permissions: invalid permission: nope.nope',
      'server_permissions: invalid permission: stats.read',
    ])
    const ips = await t.request('POST', BASE, { cookie, body: fullBody({ allowed_ips: ['10.0.0.0/8', 'not-an-ip', '10.0.0.0/33'] }) })
    expect(ips.status).toBe(400)
    expect(ips.body.errors).toEqual([
      'allowed_ips[1]: not an IP address or CIDR network',
      'allowed_ips[2]: not an IP address or CIDR network',
    ])
    const past = await t.request('POST', BASE, { cookie, body: fullBody({ expires: new Date(Date.now() - 1000).toISOString() }) })
    expect(past.status).toBe(400)
    expect(past.body.errors).toEqual(['expires: time must be in the future'])
    const notADate = await t.request('POST', BASE, { cookie, body: fullBody({ expires: 'tomorrow' }) })
    expect(notADate.status).toBe(400)
  })

  test('a duplicate name → 409', async () => {
    const { cookie } = await owner()
    await makeApiKey(t, cookie, { name: 'deploy' })
    const res = await t.request('POST', BASE, { cookie, body: fullBody({ name: 'deploy' }) })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ errors: ['api key with name already exists'] })
  })

  test('user.max_api_key_count → 417 (expired keys still count)', async () => {
    const { cookie } = await owner()
    await t.kernel.settings.update({ 'user.max_api_key_count': 2 })
    try {
      await makeApiKey(t, cookie)
      const expiring = await makeApiKey(t, cookie)
      await t.kernel.database.db
        .update(userApiKeys)
        .set({ expires: new Date(Date.now() - 1000) })
        .where(eq(userApiKeys.uuid, expiring.uuid))
      const res = await t.request('POST', BASE, { cookie, body: fullBody() })
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: ['maximum number of api keys reached'] })
    } finally {
      await t.kernel.settings.update({ 'user.max_api_key_count': 50 })
    }
  })

  test('a key can create keys only within its own scope; the activity names the key', async () => {
    const { user, cookie } = await owner()
    const parent = await makeApiKey(t, cookie, {
      user_permissions: ['api-keys.create', 'account.infos'],
      admin_permissions: ['stats.read'],
    })
    const within = await t.request('POST', BASE, {
      token: parent.key,
      body: fullBody({ user_permissions: ['account.infos'], admin_permissions: ['stats.read'] }),
    })
    expect(within.status).toBe(200)
    const activity = await lastActivity(t, user.uuid, 'api-key:create')
    expect(activity).toMatchObject({ api_key_uuid: parent.uuid, impersonator_uuid: null, data: { uuid: within.body.api_key.uuid } })
    for (const over of [
      { user_permissions: ['account.email'] },
      { admin_permissions: ['users.read'] },
      { server_permissions: ['control.start'] },
    ]) {
      const res = await t.request('POST', BASE, { token: parent.key, body: fullBody(over) })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['permissions: more permissions than self'] })
    }
  })

  test('unauthenticated → 401; an API key without api-keys.create → 403', async () => {
    expect((await t.request('POST', BASE, { body: fullBody() })).status).toBe(401)
    const { cookie } = await owner()
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    const res = await t.request('POST', BASE, { token: key, body: fullBody() })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.create'))
  })
})

describe('GET /api/client/account/api-keys', () => {
  test('lists the caller’s live keys, oldest first, paginated and searchable by name', async () => {
    const { cookie } = await owner()
    for (const name of ['alpha', 'beta', 'gamma', 'alphabet']) await makeApiKey(t, cookie, { name })
    const expired = await makeApiKey(t, cookie, { name: 'alpha-old' })
    await t.kernel.database.db
      .update(userApiKeys)
      .set({ expires: new Date(Date.now() - 1000) })
      .where(eq(userApiKeys.uuid, expired.uuid))
    const stranger = await owner()
    await makeApiKey(t, stranger.cookie, { name: 'alpha' })

    const first = await t.request('GET', `${BASE}?per_page=3`, { cookie })
    expect(first.status).toBe(200)
    expect(Object.keys(first.body.api_keys)).toEqual(['total', 'per_page', 'page', 'data'])
    expect(first.body.api_keys).toMatchObject({ total: 4, per_page: 3, page: 1 })
    expect(first.body.api_keys.data.map((k: any) => k.name)).toEqual(['alpha', 'beta', 'gamma'])
    for (const k of first.body.api_keys.data) expectModel(ApiKey, k)
    const second = await t.request('GET', `${BASE}?per_page=3&page=2`, { cookie })
    expect(second.body.api_keys.data.map((k: any) => k.name)).toEqual(['alphabet'])
    const past = await t.request('GET', `${BASE}?per_page=3&page=5`, { cookie })
    expect(past.body.api_keys).toEqual({ total: 4, per_page: 3, page: 5, data: [] })
    const search = await t.request('GET', `${BASE}?search=ALPHA`, { cookie })
    expect(search.body.api_keys.data.map((k: any) => k.name)).toEqual(['alpha', 'alphabet'])
  })

  test('bad input → 400', async () => {
    const { cookie } = await owner()
    const res = await t.request('GET', `${BASE}?per_page=0`, { cookie })
    expect(res.status).toBe(400)
    expect(res.body.errors).toContain('per_page: lower than 1')
  })

  test('unauthenticated → 401; an API key without api-keys.read → 403', async () => {
    expect((await t.request('GET', BASE)).status).toBe(401)
    const { cookie } = await owner()
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['api-keys.create'] })
    const res = await t.request('GET', BASE, { token: key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.read'))
  })
})

describe('GET /api/client/account/api-keys/identifier/{identifier}', () => {
  test('finds the caller’s key by its key_start', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie, { name: 'lookup' })
    const res = await t.request('GET', `${BASE}/identifier/${made.key.slice(0, 16)}`, { cookie })
    expect(res.status).toBe(200)
    expectModel(ApiKey, res.body.api_key)
    expect(res.body.api_key).toMatchObject({ uuid: made.uuid, name: 'lookup' })
  })

  test('another user’s, an expired or an unknown key → 404', async () => {
    const { cookie } = await owner()
    const stranger = await owner()
    const theirs = await makeApiKey(t, stranger.cookie)
    const res = await t.request('GET', `${BASE}/identifier/${theirs.key.slice(0, 16)}`, { cookie })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ errors: ['api key not found'] })
    const mine = await makeApiKey(t, cookie)
    await t.kernel.database.db
      .update(userApiKeys)
      .set({ expires: new Date(Date.now() - 1000) })
      .where(eq(userApiKeys.uuid, mine.uuid))
    expect((await t.request('GET', `${BASE}/identifier/${mine.key.slice(0, 16)}`, { cookie })).status).toBe(404)
    expect((await t.request('GET', `${BASE}/identifier/c7sp_00000000000`, { cookie })).status).toBe(404)
  })

  test('bad input: not a key identifier → 400', async () => {
    const { cookie } = await owner()
    const res = await t.request('GET', `${BASE}/identifier/abc`, { cookie })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('identifier: ')
  })

  test('unauthenticated → 401; an API key without api-keys.read → 403', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie)
    expect((await t.request('GET', `${BASE}/identifier/${made.key.slice(0, 16)}`)).status).toBe(401)
    const res = await t.request('GET', `${BASE}/identifier/${made.key.slice(0, 16)}`, { token: made.key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.read'))
  })
})

describe('PATCH /api/client/account/api-keys/{api_key}', () => {
  test('changes the given fields only, logs user:api-key.update and takes effect at once', async () => {
    const { user, cookie } = await owner()
    const made = await makeApiKey(t, cookie, {
      name: 'before',
      user_permissions: ['account.infos'],
      expires: new Date(Date.now() + 3_600_000).toISOString(),
    })
    const res = await t.request('PATCH', `${BASE}/${made.uuid}`, {
      cookie,
      body: { name: 'after', allowed_ips: ['192.0.2.0/24'], expires: null },
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const row = await keyRow(made.uuid)
    expect(row).toMatchObject({ name: 'after', allowed_ips: ['192.0.2.0/24'], user_permissions: ['account.infos'], expires: null })
    expect((await lastActivity(t, user.uuid, 'user:api-key.update')).data).toMatchObject({
      uuid: made.uuid,
      name: 'after',
      allowed_ips: ['192.0.2.0/24'],
      expires: null,
    })
    // The new IP list applies to the very next request.
    expect((await t.request('GET', '/api/client/account', { token: made.key })).status).toBe(403)
    expect((await t.request('GET', '/api/client/account', { token: made.key, ip: '192.0.2.9' })).status).toBe(200)
  })

  test('an empty body changes nothing and succeeds', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie, { name: 'same' })
    const res = await t.request('PATCH', `${BASE}/${made.uuid}`, { cookie, body: {} })
    expect(res.status).toBe(200)
    expect((await keyRow(made.uuid)).name).toBe('same')
  })

  test('a key may update a key only within its own scope, itself included', async () => {
    const { cookie } = await owner()
    const editor = await makeApiKey(t, cookie, { user_permissions: ['api-keys.update', 'account.infos'] })
    const target = await makeApiKey(t, cookie)
    expect(
      (await t.request('PATCH', `${BASE}/${target.uuid}`, { token: editor.key, body: { user_permissions: ['account.infos'] } })).status,
    ).toBe(200)
    const over = await t.request('PATCH', `${BASE}/${target.uuid}`, { token: editor.key, body: { user_permissions: ['account.email'] } })
    expect(over.status).toBe(400)
    expect(over.body).toEqual({ errors: ['permissions: more permissions than self'] })
    const self = await t.request('PATCH', `${BASE}/${editor.uuid}`, { token: editor.key, body: { admin_permissions: ['stats.read'] } })
    expect(self.status).toBe(400)
    expect((await keyRow(editor.uuid)).admin_permissions).toEqual([])
    expect((await t.request('PATCH', `${BASE}/${editor.uuid}`, { token: editor.key, body: { name: 'renamed-self' } })).status).toBe(200)
  })

  test('another user’s or an unknown key → 404; a duplicate name → 409; bad input → 400', async () => {
    const { cookie } = await owner()
    const stranger = await owner()
    const theirs = await makeApiKey(t, stranger.cookie)
    const notMine = await t.request('PATCH', `${BASE}/${theirs.uuid}`, { cookie, body: { name: 'stolen' } })
    expect(notMine.status).toBe(404)
    expect(notMine.body).toEqual({ errors: ['api key not found'] })
    expect((await keyRow(theirs.uuid)).name).not.toBe('stolen')
    expect((await t.request('PATCH', `${BASE}/${crypto.randomUUID()}`, { cookie, body: { name: 'x-y-z' } })).status).toBe(404)

    await makeApiKey(t, cookie, { name: 'taken' })
    const mine = await makeApiKey(t, cookie)
    const dup = await t.request('PATCH', `${BASE}/${mine.uuid}`, { cookie, body: { name: 'taken' } })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({ errors: ['api key with name already exists'] })

    const bad = await t.request('PATCH', `${BASE}/${mine.uuid}`, { cookie, body: { admin_permissions: ['nodes.nope'] } })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ errors: ['admin_permissions: invalid permission: nodes.nope'] })
    const badId = await t.request('PATCH', `${BASE}/not-a-uuid`, { cookie, body: {} })
    expect(badId.status).toBe(400)
  })

  test('unauthenticated → 401; an API key without api-keys.update → 403', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    expect((await t.request('PATCH', `${BASE}/${made.uuid}`, { body: { name: 'nope' } })).status).toBe(401)
    const res = await t.request('PATCH', `${BASE}/${made.uuid}`, { token: made.key, body: { name: 'nope' } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.update'))
  })
})

describe('DELETE /api/client/account/api-keys/{api_key}', () => {
  test('deletes the key, logs api-key:delete, and the key is refused at once', async () => {
    const { user, cookie } = await owner()
    const made = await makeApiKey(t, cookie, { name: 'doomed' })
    expect((await t.request('GET', '/api/client/account', { token: made.key })).status).toBe(200)
    const res = await t.request('DELETE', `${BASE}/${made.uuid}`, { cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect(await keyRow(made.uuid)).toBeUndefined()
    expect((await lastActivity(t, user.uuid, 'api-key:delete')).data).toEqual({
      uuid: made.uuid,
      identifier: made.key.slice(0, 16),
      name: 'doomed',
    })
    const after = await t.request('GET', '/api/client/account', { token: made.key })
    expect(after.status).toBe(401)
    expect(after.body).toEqual({ errors: ['invalid api key'] })
  })

  test('a key may delete itself; the activity then names no key', async () => {
    const { user, cookie } = await owner()
    const made = await makeApiKey(t, cookie, { user_permissions: ['api-keys.delete'] })
    const res = await t.request('DELETE', `${BASE}/${made.uuid}`, { token: made.key })
    expect(res.status).toBe(200)
    expect((await lastActivity(t, user.uuid, 'api-key:delete')).api_key_uuid).toBeNull()
    expect((await t.request('GET', '/api/client/account', { token: made.key })).status).toBe(401)
  })

  test('another user’s key → 404; bad input → 400', async () => {
    const { cookie } = await owner()
    const stranger = await owner()
    const theirs = await makeApiKey(t, stranger.cookie)
    const res = await t.request('DELETE', `${BASE}/${theirs.uuid}`, { cookie })
    expect(res.status).toBe(404)
    expect(await keyRow(theirs.uuid)).toBeDefined()
    expect((await t.request('DELETE', `${BASE}/42`, { cookie })).status).toBe(400)
  })

  test('unauthenticated → 401; an API key without api-keys.delete → 403', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    expect((await t.request('DELETE', `${BASE}/${made.uuid}`)).status).toBe(401)
    const res = await t.request('DELETE', `${BASE}/${made.uuid}`, { token: made.key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.delete'))
  })
})

describe('POST /api/client/account/api-keys/{api_key}/recreate', () => {
  test('replaces the secret; the old one is refused at once; scope and name stay', async () => {
    const { user, cookie } = await owner()
    const made = await makeApiKey(t, cookie, { name: 'rotate', user_permissions: ['account.infos'] })
    expect((await t.request('GET', '/api/client/account', { token: made.key })).status).toBe(200)
    const res = await t.request('POST', `${BASE}/${made.uuid}/recreate`, { cookie })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['key'])
    expect(res.body.key).toMatch(/^c7sp_[A-Za-z0-9]{43}$/)
    expect(res.body.key).not.toBe(made.key)
    expect((await t.request('GET', '/api/client/account', { token: made.key })).status).toBe(401)
    expect((await t.request('GET', '/api/client/account', { token: res.body.key })).status).toBe(200)
    const row = await keyRow(made.uuid)
    expect(row).toMatchObject({ name: 'rotate', user_permissions: ['account.infos'], key_start: res.body.key.slice(0, 16) })
    expect((await lastActivity(t, user.uuid, 'api-key:recreate')).data).toEqual({
      uuid: made.uuid,
      identifier: res.body.key.slice(0, 16),
      name: 'rotate',
    })
  })

  test('a key cannot recreate a key holding more than itself', async () => {
    const { cookie } = await owner()
    const small = await makeApiKey(t, cookie, { user_permissions: ['api-keys.recreate'] })
    const big = await makeApiKey(t, cookie, { user_permissions: ['api-keys.recreate', 'account.email'] })
    const res = await t.request('POST', `${BASE}/${big.uuid}/recreate`, { token: small.key })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['unable to recreate api key with more permissions than self'] })
    expect((await t.request('GET', '/api/client/account', { token: big.key })).status).toBe(200)
    const peer = await makeApiKey(t, cookie, { user_permissions: ['api-keys.recreate'] })
    expect((await t.request('POST', `${BASE}/${peer.uuid}/recreate`, { token: small.key })).status).toBe(200)
  })

  test('another user’s or an expired key → 404; bad input → 400', async () => {
    const { cookie } = await owner()
    const stranger = await owner()
    const theirs = await makeApiKey(t, stranger.cookie)
    expect((await t.request('POST', `${BASE}/${theirs.uuid}/recreate`, { cookie })).status).toBe(404)
    expect((await t.request('GET', '/api/client/account', { token: theirs.key })).status).toBe(200)
    const mine = await makeApiKey(t, cookie)
    await t.kernel.database.db
      .update(userApiKeys)
      .set({ expires: new Date(Date.now() - 1000) })
      .where(eq(userApiKeys.uuid, mine.uuid))
    expect((await t.request('POST', `${BASE}/${mine.uuid}/recreate`, { cookie })).status).toBe(404)
    expect((await t.request('POST', `${BASE}/nope/recreate`, { cookie })).status).toBe(400)
  })

  test('unauthenticated → 401; an API key without api-keys.recreate → 403', async () => {
    const { cookie } = await owner()
    const made = await makeApiKey(t, cookie, { user_permissions: ['api-keys.read'] })
    expect((await t.request('POST', `${BASE}/${made.uuid}/recreate`)).status).toBe(401)
    const res = await t.request('POST', `${BASE}/${made.uuid}/recreate`, { token: made.key })
    expect(res.status).toBe(403)
    expect(res.body).toEqual(denied('api-keys.recreate'))
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  makeUser,
  plainCaller,
  runJob,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { AdminOAuthProvider, OAuthLink, ProviderUserLink, SECRET_MASK } from './model'
import { oauthProviders, oauthStates } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let outsider: AdminCaller
let outsiderKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: outsider, limitedKey: outsiderKey } = await adminCallers(t, ['stats.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'prov') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const SECRET = 'super-secret-client-value'
const providerBody = (o: Record<string, unknown> = {}) => ({
  name: uniq(),
  description: 'Company SSO',
  enabled: true,
  login_only: false,
  login_bypass_2fa: true,
  link_viewable: true,
  user_manageable: true,
  basic_auth: false,
  client_id: 'panel-client',
  client_secret: SECRET,
  auth_url: 'https://id.example.com/authorize',
  token_url: 'https://id.example.com/token',
  info_url: 'https://id.example.com/userinfo',
  scopes: ['openid', 'email'],
  identifier_path: '$.sub',
  email_path: '$.email',
  username_path: null,
  name_first_path: '$.given_name',
  name_last_path: null,
  ...o,
})
async function makeProvider(o: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/oauth-providers', { cookie: admin.cookie, body: providerBody(o) })
  expect(res.status).toBe(200)
  return res.body.oauth_provider as { uuid: string; name: string }
}
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(oauthProviders).where(eq(oauthProviders.uuid, uuid)))[0]
const decrypt = (box: string) => t.kernel.secrets.decrypt(box)

test('every oauth admin and client route is guarded', async () => {
  const p = await makeProvider()
  await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'oauth',
    bodies: {
      'POST /api/admin/oauth-providers': providerBody(),
      'POST /api/admin/users/:user/oauth-links': { oauth_provider_uuid: p.uuid, identifier: 'x' },
      'POST /api/admin/oauth-providers/:oauth_provider/mappings': {
        matcher: { type: 'none' },
        mapping: { type: 'role', role_uuid: crypto.randomUUID() },
      },
    },
  })
  await expectRoutesGuarded(t, { namespace: 'client', plugin: 'oauth' })
})

describe('POST /api/admin/oauth-providers', () => {
  test('creates a provider; the secret is stored encrypted and answered as the mask', async () => {
    const res = await t.request('POST', '/api/admin/oauth-providers', { cookie: admin.cookie, body: providerBody() })
    expect(res.status).toBe(200)
    expectModel(AdminOAuthProvider, res.body.oauth_provider)
    expect(res.body.oauth_provider.client_secret).toBe(SECRET_MASK)
    expect(res.text).not.toContain(SECRET)
    const row = await stored(res.body.oauth_provider.uuid)
    expect(row.client_secret).not.toContain(SECRET)
    expect(decrypt(row.client_secret)).toBe(SECRET)
    const [event] = await adminEvents(t, admin, 'oauth-provider:create')
    expect(event.data.name).toBe(res.body.oauth_provider.name)
    expect(JSON.stringify(event)).not.toContain(SECRET)
  })

  test('401 / 403 without oauth-providers.create', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/oauth-providers', body: providerBody() },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'oauth-providers.create',
    )
  })

  test('bad JSONPath, bad URL, short secret → 400', async () => {
    const res = await t.request('POST', '/api/admin/oauth-providers', {
      cookie: admin.cookie,
      body: providerBody({ identifier_path: '$[?(@.admin)]', email_path: 'email', auth_url: 'javascript:alert(1)' }),
    })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual([
      'auth_url: not a valid http(s) URL',
      'identifier_path: filter and script expressions are not allowed',
      'email_path: must start with $',
    ])
    const short = await t.request('POST', '/api/admin/oauth-providers', {
      cookie: admin.cookie,
      body: providerBody({ client_secret: 'ab' }),
    })
    expect(short.status).toBe(400)
    const mask = await t.request('POST', '/api/admin/oauth-providers', {
      cookie: admin.cookie,
      body: providerBody({ client_secret: SECRET_MASK }),
    })
    expect(mask.status).toBe(400)
  })

  test('a taken name → 409', async () => {
    const p = await makeProvider()
    const res = await t.request('POST', '/api/admin/oauth-providers', { cookie: admin.cookie, body: providerBody({ name: p.name }) })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['oauth provider with name already exists'])
  })
})

describe('GET /api/admin/oauth-providers[/{oauth_provider}]', () => {
  test('lists (search: name) and reads one, never with the secret', async () => {
    const p = await makeProvider({ name: uniq('findme') })
    const list = await t.request('GET', '/api/admin/oauth-providers?search=findme', { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.oauth_providers.data.map((r: any) => r.uuid)).toEqual([p.uuid])
    expect(list.text).not.toContain(SECRET)
    const one = await t.request('GET', `/api/admin/oauth-providers/${p.uuid}`, { cookie: admin.cookie })
    expect(one.status).toBe(200)
    expectModel(AdminOAuthProvider, one.body.oauth_provider)
    expect(one.text).not.toContain(SECRET)
    for (const as of ['msgpack', 'xml'] as const)
      expect((await t.request('GET', `/api/admin/oauth-providers/${p.uuid}`, { cookie: admin.cookie, as })).text).not.toContain(SECRET)
  })

  test('400 / 404 / 403', async () => {
    expect((await t.request('GET', '/api/admin/oauth-providers/nope', { cookie: admin.cookie })).body.errors).toEqual([
      'invalid oauth provider uuid',
    ])
    const missing = await t.request('GET', `/api/admin/oauth-providers/${crypto.randomUUID()}`, { cookie: admin.cookie })
    expect(missing.status).toBe(404)
    expect(missing.body.errors).toEqual(['oauth provider not found'])
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/oauth-providers' },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'oauth-providers.read',
    )
  })
})

describe('PATCH /api/admin/oauth-providers/{oauth_provider}', () => {
  test('mask round-trip: sending the whole object back keeps the secret; a new secret replaces it', async () => {
    const p = await makeProvider()
    const read = (await t.request('GET', `/api/admin/oauth-providers/${p.uuid}`, { cookie: admin.cookie })).body.oauth_provider
    const { uuid: _u, created: _c, ...form } = read
    const back = await t.request('PATCH', `/api/admin/oauth-providers/${p.uuid}`, {
      cookie: admin.cookie,
      body: { ...form, description: null, name_first_path: null },
    })
    expect(back.status).toBe(200)
    const row = await stored(p.uuid)
    expect(decrypt(row.client_secret)).toBe(SECRET)
    expect(row.description).toBeNull()
    expect(row.name_first_path).toBeNull()
    const changed = await t.request('PATCH', `/api/admin/oauth-providers/${p.uuid}`, {
      cookie: admin.cookie,
      body: { client_secret: 'a-new-secret' },
    })
    expect(changed.status).toBe(200)
    expect(decrypt((await stored(p.uuid)).client_secret)).toBe('a-new-secret')
    const [event] = await adminEvents(t, admin, 'oauth-provider:update')
    expect(JSON.stringify(event)).not.toContain('a-new-secret')
  })

  test('bad path → 400, taken name → 409, unknown → 404, no permission → 403', async () => {
    const p = await makeProvider()
    const other = await makeProvider()
    const path = `/api/admin/oauth-providers/${p.uuid}`
    expect((await t.request('PATCH', path, { cookie: admin.cookie, body: { username_path: '$.[' } })).body.errors).toEqual([
      'username_path: unbalanced brackets',
    ])
    expect((await t.request('PATCH', path, { cookie: admin.cookie, body: { name: other.name } })).status).toBe(409)
    expect((await t.request('PATCH', `/api/admin/oauth-providers/${crypto.randomUUID()}`, { cookie: admin.cookie, body: {} })).status).toBe(
      404,
    )
    await expectGuarded(
      t,
      { method: 'PATCH', path, body: {} },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'oauth-providers.update',
    )
  })
})

describe('POST /api/admin/oauth-providers/{oauth_provider}/duplicate and DELETE', () => {
  test('duplicates with the secret; deletes', async () => {
    const p = await makeProvider()
    const dup = await t.request('POST', `/api/admin/oauth-providers/${p.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: uniq('copy') },
    })
    expect(dup.status).toBe(200)
    expectModel(AdminOAuthProvider, dup.body.oauth_provider)
    expect(decrypt((await stored(dup.body.oauth_provider.uuid)).client_secret)).toBe(SECRET)
    expect((await adminEvents(t, admin, 'oauth_provider:duplicate'))[0].data).toMatchObject({
      source_uuid: p.uuid,
      uuid: dup.body.oauth_provider.uuid,
    })
    expect(
      (await t.request('POST', `/api/admin/oauth-providers/${p.uuid}/duplicate`, { cookie: admin.cookie, body: { name: p.name } })).status,
    ).toBe(409)
    expect(
      (await t.request('POST', `/api/admin/oauth-providers/${p.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } })).status,
    ).toBe(400)
    const del = await t.request('DELETE', `/api/admin/oauth-providers/${p.uuid}`, { cookie: admin.cookie })
    expect(del.status).toBe(200)
    expect(await stored(p.uuid)).toBeUndefined()
    expect((await t.request('DELETE', `/api/admin/oauth-providers/${p.uuid}`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/oauth-providers/${dup.body.oauth_provider.uuid}` },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'oauth-providers.delete',
    )
  })
})

describe('/api/admin/oauth-providers/{oauth_provider}/mappings', () => {
  test('CRUD of a role mapping with a nested matcher', async () => {
    const p = await makeProvider()
    const role = (
      await t.request('POST', '/api/admin/roles', {
        cookie: admin.cookie,
        body: { name: uniq('role'), require_two_factor: false, admin_permissions: [], server_permissions: [] },
      })
    ).body.role
    const matcher = {
      type: 'and',
      matchers: [
        { type: 'scopes', scopes: ['email'] },
        { type: 'not', matcher: { type: 'field_contains', path: '$.groups', contains: 'banned' } },
      ],
    }
    const base = `/api/admin/oauth-providers/${p.uuid}/mappings`
    const created = await t.request('POST', base, {
      cookie: admin.cookie,
      body: { matcher, mapping: { type: 'role', role_uuid: role.uuid, revoke_unmatched: true } },
    })
    expect(created.status).toBe(200)
    expect(created.body.oauth_mapping).toMatchObject({ matcher, mapping: { type: 'role', role_uuid: role.uuid, revoke_unmatched: true } })
    const uuid = created.body.oauth_mapping.uuid
    const list = await t.request('GET', base, { cookie: admin.cookie })
    expect(list.body.oauth_mappings).toMatchObject({ total: 1, data: [{ uuid }] })
    expect((await t.request('PATCH', `${base}/${uuid}`, { cookie: admin.cookie, body: { matcher: { type: 'none' } } })).status).toBe(200)
    expect((await t.request('GET', `${base}/${uuid}`, { cookie: admin.cookie })).body.oauth_mapping.matcher).toEqual({ type: 'none' })
    expect((await adminEvents(t, admin, 'oauth-provider:mapping.update'))[0].data).toMatchObject({ uuid, oauth_provider_uuid: p.uuid })
    expect((await t.request('DELETE', `${base}/${uuid}`, { cookie: admin.cookie })).status).toBe(200)
    const gone = await t.request('GET', `${base}/${uuid}`, { cookie: admin.cookie })
    expect(gone.status).toBe(404)
    expect(gone.body.errors).toEqual(['oauth mapping not found'])
  })

  test('400: server_subuser to a missing server, bad path, too deep, missing role', async () => {
    const p = await makeProvider()
    const base = `/api/admin/oauth-providers/${p.uuid}/mappings`
    const send = (body: unknown) => t.request('POST', base, { cookie: admin.cookie, body })
    const role = { type: 'role', role_uuid: crypto.randomUUID() }
    expect(
      (
        await send({
          matcher: { type: 'none' },
          mapping: { type: 'server_subuser', server_uuid: crypto.randomUUID(), permissions: [], ignored_files: [] },
        })
      ).status,
    ).toBe(400)
    expect((await send({ matcher: { type: 'field_exists', path: '$..[?(@)]' }, mapping: role })).status).toBe(400)
    const deep = { type: 'not', matcher: { type: 'not', matcher: { type: 'not', matcher: { type: 'not', matcher: { type: 'none' } } } } }
    expect((await send({ matcher: deep, mapping: role })).status).toBe(400)
    const missing = await send({ matcher: { type: 'none' }, mapping: role })
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toEqual(['invalid relation `role` provided'])
    await expectGuarded(
      t,
      { method: 'POST', path: base, body: { matcher: { type: 'none' }, mapping: role } },
      plain,
      [{ cookie: outsider.cookie }, { token: outsiderKey }],
      'oauth-providers.update',
    )
  })
})

describe("admin links: /users/{user}/oauth-links and a provider's users", () => {
  test('link by hand, list, look up by identifier, 409 on duplicates, delete', async () => {
    const p = await makeProvider()
    const user = await makeUser(t)
    const base = `/api/admin/users/${user.uuid}/oauth-links`
    const created = await t.request('POST', base, { cookie: admin.cookie, body: { oauth_provider_uuid: p.uuid, identifier: 'ext-42' } })
    expect(created.status).toBe(200)
    expectModel(OAuthLink, created.body.oauth_link)
    const other = await makeUser(t)
    const dup = await t.request('POST', `/api/admin/users/${other.uuid}/oauth-links`, {
      cookie: admin.cookie,
      body: { oauth_provider_uuid: p.uuid, identifier: 'ext-42' },
    })
    expect(dup.status).toBe(409)
    expect(dup.body.errors).toEqual(['oauth link with provider + identifier already exists'])
    expect(
      (await t.request('POST', base, { cookie: admin.cookie, body: { oauth_provider_uuid: crypto.randomUUID(), identifier: 'x' } })).status,
    ).toBe(404)
    expect((await t.request('POST', base, { cookie: admin.cookie, body: { oauth_provider_uuid: p.uuid, identifier: '' } })).status).toBe(
      400,
    )
    expect((await t.request('GET', base, { cookie: admin.cookie })).body.oauth_links.total).toBe(1)
    const users = await t.request('GET', `/api/admin/oauth-providers/${p.uuid}/users`, { cookie: admin.cookie })
    expect(users.status).toBe(200)
    expectModel(ProviderUserLink, users.body.user_oauth_links.data[0])
    const byId = await t.request('GET', `/api/admin/oauth-providers/${p.uuid}/users/identifier/ext-42`, { cookie: admin.cookie })
    expect(byId.body.user_oauth_link.user.uuid).toBe(user.uuid)
    expect((await t.request('GET', `/api/admin/oauth-providers/${p.uuid}/users/identifier/nobody`, { cookie: admin.cookie })).status).toBe(
      404,
    )
    const linkUuid = created.body.oauth_link.uuid
    expect((await t.request('GET', `${base}/${linkUuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await t.request('DELETE', `${base}/${linkUuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await adminEvents(t, admin, 'user:oauth-link.delete'))[0].data).toEqual({
      oauth_link_uuid: linkUuid,
      oauth_provider_uuid: p.uuid,
    })
    expect((await t.request('GET', `${base}/${linkUuid}`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(t, { method: 'GET', path: base }, plain, [{ cookie: outsider.cookie }, { token: outsiderKey }], 'users.oauth-links')
  })
})

describe('/api/client/account/oauth-links', () => {
  test("lists only link_viewable providers, reads, deletes; 404 on others' links", async () => {
    const visible = await makeProvider({ link_viewable: true })
    const hidden = await makeProvider({ link_viewable: false })
    const me = await plainCaller(t)
    for (const [p, id] of [
      [visible, 'v1'],
      [hidden, 'h1'],
    ] as const) {
      expect(
        (
          await t.request('POST', `/api/admin/users/${me.uuid}/oauth-links`, {
            cookie: admin.cookie,
            body: { oauth_provider_uuid: p.uuid, identifier: id },
          })
        ).status,
      ).toBe(200)
    }
    const list = await t.request('GET', '/api/client/account/oauth-links', { cookie: me.cookie })
    expect(list.status).toBe(200)
    expect(list.body.oauth_links.data.map((l: any) => l.identifier)).toEqual(['v1'])
    expectModel(OAuthLink, list.body.oauth_links.data[0])
    const uuid = list.body.oauth_links.data[0].uuid
    expect((await t.request('GET', `/api/client/account/oauth-links/${uuid}`, { cookie: plain.cookie })).status).toBe(404)
    expect((await t.request('GET', '/api/client/account/oauth-links/not-a-uuid', { cookie: me.cookie })).status).toBe(400)
    expect((await t.request('DELETE', `/api/client/account/oauth-links/${uuid}`, { cookie: me.cookie })).status).toBe(200)
    expect((await t.request('GET', `/api/client/account/oauth-links/${uuid}`, { cookie: me.cookie })).status).toBe(404)
    expect((await t.request('GET', '/api/client/account/oauth-links')).status).toBe(401)
  })

  test('a link of a provider the user may not manage cannot be removed by the user (409), only by an admin', async () => {
    const locked = await makeProvider({ link_viewable: true, user_manageable: false })
    const me = await plainCaller(t)
    const made = await t.request('POST', `/api/admin/users/${me.uuid}/oauth-links`, {
      cookie: admin.cookie,
      body: { oauth_provider_uuid: locked.uuid, identifier: uniq('id') },
    })
    const res = await t.request('DELETE', `/api/client/account/oauth-links/${made.body.oauth_link.uuid}`, { cookie: me.cookie })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['you cannot unlink this oauth provider'])
    expect(
      (await t.request('DELETE', `/api/admin/users/${me.uuid}/oauth-links/${made.body.oauth_link.uuid}`, { cookie: admin.cookie })).status,
    ).toBe(200)
  })
})

describe('job oauth:purge-states', () => {
  test('removes authorization requests nobody came back from', async () => {
    const p = await makeProvider()
    const db = t.kernel.database.db
    await db.insert(oauthStates).values({
      state_hash: 'a'.repeat(64),
      browser_hash: 'b'.repeat(64),
      oauth_provider_uuid: p.uuid,
      code_verifier: 'x',
      expires: new Date(Date.now() - 1000),
    })
    await db.insert(oauthStates).values({
      state_hash: 'c'.repeat(64),
      browser_hash: 'b'.repeat(64),
      oauth_provider_uuid: p.uuid,
      code_verifier: 'x',
      expires: new Date(Date.now() + 60_000),
    })
    await runJob(t, 'oauth:purge-states')
    const left = (await db.select().from(oauthStates).where(eq(oauthStates.oauth_provider_uuid, p.uuid))).map((r) => r.state_hash)
    expect(left).toEqual(['c'.repeat(64)])
  })
})

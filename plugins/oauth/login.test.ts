import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import Provider from 'oidc-provider'
import { adminCaller, makeUser, plainCaller, prepareAdminTests, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as userTables } from '../users'
import { oauthStates, userOauthLinks } from './tables'

/**
 * The whole authorization-code flow against a real OpenID provider (`oidc-provider`, certified)
 * on loopback: the browser is played by following redirects by hand with a cookie jar, and the
 * provider's login and consent are granted by an interaction route (`nextLogin` picks the account).
 */
const t = useTestApp()
const APP = 'http://panel.test'
const CLIENT_SECRET = 'oidc-client-secret-0123456789'
let admin: AdminCaller
let server: Server
let issuer: string
let oidc: Provider
let nextLogin: { account: string } | { deny: true } = { account: 'alice' }
const accounts: Record<string, { email: string; given_name: string }> = {}
let providerUuid: string

function startProvider(redirectUri: string): Promise<void> {
  server = createServer()
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      oidc = new Provider(issuer, {
        clients: [
          {
            client_id: 'panel',
            client_secret: CLIENT_SECRET,
            redirect_uris: [redirectUri],
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        claims: { openid: ['sub'], email: ['email'], profile: ['given_name'] },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
        findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) }),
        cookies: { keys: ['a-test-cookie-key-for-oidc-provider'] },
        ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      })
      oidc.on('server_error', () => {})
      const handler = oidc.callback()
      server.on('request', async (req, res) => {
        if (req.url?.startsWith('/interaction/')) {
          const details = await oidc.interactionDetails(req, res)
          const choice = nextLogin
          if ('deny' in choice) {
            await oidc.interactionFinished(
              req,
              res,
              { error: 'access_denied', error_description: 'the user said no' },
              { mergeWithLastSubmission: false },
            )
            return
          }
          const grant = new oidc.Grant({ accountId: choice.account, clientId: details.params.client_id as string })
          grant.addOIDCScope(String(details.params.scope))
          const grantId = await grant.save()
          await oidc.interactionFinished(
            req,
            res,
            { login: { accountId: choice.account }, consent: { grantId } },
            { mergeWithLastSubmission: false },
          )
          return
        }
        handler(req, res)
      })
      resolve()
    })
  })
}

/** A small browser: follows redirects, keeps the provider's cookies; stops when the provider sends it back to the panel. */
async function browse(url: string): Promise<string> {
  const jar = new Map<string, string>()
  for (let i = 0; i < 20; i++) {
    if (url.startsWith(APP)) return url
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const at = pair.indexOf('=')
      jar.set(pair.slice(0, at), pair.slice(at + 1))
    }
    const location = res.headers.get('location')
    if (!location) throw new Error(`the provider stopped at ${url} with ${res.status}: ${await res.text()}`)
    url = new URL(location, url).href
  }
  throw new Error('too many redirects')
}

const cookieValue = (res: { headers: Headers }, name: string) => {
  for (const c of res.headers.getSetCookie()) if (c.startsWith(`${name}=`)) return c.split(';')[0].slice(name.length + 1)
  return undefined
}

/** Redirect → provider → callback. Returns the callback answer and the session cookie it set (if any). */
async function signIn(opts: { provider?: string; session?: string; tamper?: (callback: URL) => void; stateCookie?: string | null } = {}) {
  const provider = opts.provider ?? providerUuid
  const start = await t.request('GET', `/api/auth/oauth/redirect/${provider}`)
  expect(start.status).toBe(307)
  const state = cookieValue(start, 'oauth_state')!
  const back = new URL(await browse(start.headers.get('location')!))
  opts.tamper?.(back)
  const cookies = [
    opts.stateCookie === null ? '' : `oauth_state=${opts.stateCookie ?? state}`,
    opts.session ? `hatchery_session=${opts.session}` : '',
  ].filter(Boolean)
  const res = await t.request('GET', back.pathname + back.search, { cookie: cookies.join('; ') })
  return { res, location: res.headers.get('location')!, session: cookieValue(res, 'hatchery_session'), callback: back, stateCookie: state }
}

beforeAll(async () => {
  await prepareAdminTests(t)
  const many = { hits: 100_000, window_seconds: 60 }
  await t.kernel.settings.update({
    'app.url': APP,
    'outbound.allow_private_addresses': true,
    'ratelimits.oauth_redirect': many,
    'ratelimits.oauth_callback': many,
    'ratelimits.oauth_providers': many,
  })
  admin = await adminCaller(t)
  const placeholder = await t.request('POST', '/api/admin/oauth-providers', {
    cookie: admin.cookie,
    body: providerBody('http://127.0.0.1:1'),
  })
  providerUuid = placeholder.body.oauth_provider.uuid
  await startProvider(`${APP}/api/auth/oauth/${providerUuid}`)
  const set = await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, {
    cookie: admin.cookie,
    body: { auth_url: `${issuer}/auth`, token_url: `${issuer}/token`, info_url: `${issuer}/me` },
  })
  expect(set.status).toBe(200)
}, SETUP_TIMEOUT)

afterAll(() => server?.close())

function providerBody(base: string, o: Record<string, unknown> = {}) {
  return {
    name: `oidc_${Math.random().toString(36).slice(2, 8)}`,
    enabled: true,
    login_only: false,
    login_bypass_2fa: true,
    link_viewable: true,
    user_manageable: true,
    basic_auth: false,
    client_id: 'panel',
    client_secret: CLIENT_SECRET,
    auth_url: `${base}/auth`,
    token_url: `${base}/token`,
    info_url: `${base}/me`,
    scopes: ['openid', 'email', 'profile'],
    identifier_path: '$.sub',
    email_path: '$.email',
    username_path: '$.sub',
    name_first_path: '$.given_name',
    ...o,
  }
}

const account = (id: string) => {
  accounts[id] = { email: `${id}@example.org`, given_name: id.toUpperCase() }
  nextLogin = { account: id }
  return id
}
const linkOf = async (identifier: string) =>
  (await t.kernel.database.db.select().from(userOauthLinks).where(eq(userOauthLinks.identifier, identifier)))[0]

describe('GET /api/auth/oauth and the redirect', () => {
  test('lists enabled providers only, in the public shape', async () => {
    const off = await t.request('POST', '/api/admin/oauth-providers', {
      cookie: admin.cookie,
      body: providerBody(issuer, { enabled: false }),
    })
    const res = await t.request('GET', '/api/auth/oauth')
    expect(res.status).toBe(200)
    const mine = res.body.oauth_providers.find((p: any) => p.uuid === providerUuid)
    expect(Object.keys(mine)).toEqual(['uuid', 'name', 'link_viewable', 'user_manageable'])
    expect(res.body.oauth_providers.some((p: any) => p.uuid === off.body.oauth_provider.uuid)).toBe(false)
    expect((await t.request('GET', `/api/auth/oauth/redirect/${off.body.oauth_provider.uuid}`)).status).toBe(404)
    expect((await t.request('GET', '/api/auth/oauth/redirect/garbage')).body.errors).toEqual(['oauth provider not found'])
  })

  test('the redirect carries state, PKCE S256, a nonce, and a browser-binding HttpOnly cookie', async () => {
    const res = await t.request('GET', `/api/auth/oauth/redirect/${providerUuid}`)
    expect(res.status).toBe(307)
    const to = new URL(res.headers.get('location')!)
    expect(to.origin + to.pathname).toBe(`${issuer}/auth`)
    expect(to.searchParams.get('code_challenge_method')).toBe('S256')
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(to.searchParams.get('nonce')).toBeTruthy()
    expect(to.searchParams.get('redirect_uri')).toBe(`${APP}/api/auth/oauth/${providerUuid}`)
    const state = to.searchParams.get('state')!
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('oauth_state='))!
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('Path=/api/auth/oauth')
    expect(cookie).not.toContain(state)
    const [row] = await t.kernel.database.db
      .select()
      .from(oauthStates)
      .where(eq(oauthStates.state_hash, t.kernel.secrets.hmac(state)))
    expect(row.code_verifier).not.toContain(to.searchParams.get('code_challenge')!)
  })
})

describe('GET /api/auth/oauth/{oauth_provider}: the callback', () => {
  test('registers a new account from the provider and ends with a working session cookie', async () => {
    const id = account('alice')
    const { res, location, session } = await signIn()
    expect(res.status).toBe(307)
    expect(location).toBe(APP)
    expect(session).toHaveLength(81)
    const me = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${session}` })
    expect(me.status).toBe(200)
    expect(me.body.user).toMatchObject({ username: 'alice', email: 'alice@example.org', name_first: 'ALICE', has_password: false })
    expect((await linkOf(id)).user_uuid).toBe(me.body.user.uuid)
    expect(res.headers.getSetCookie().find((c) => c.startsWith('oauth_state='))).toContain('Max-Age=0')
    const activity = await t.request('GET', '/api/client/account/activity', { cookie: `hatchery_session=${session}` })
    expect(activity.body.activities.data[0]).toMatchObject({ event: 'auth:success', data: { using: 'oauth2' } })
  })

  test('two callbacks racing with one state: exactly one gets through', async () => {
    account('lena')
    const start = await t.request('GET', `/api/auth/oauth/redirect/${providerUuid}`)
    const back = new URL(await browse(start.headers.get('location')!))
    const go = () => t.request('GET', back.pathname + back.search, { cookie: `oauth_state=${cookieValue(start, 'oauth_state')}` })
    const locations = (await Promise.all([go(), go()])).map((r) => r.headers.get('location')).sort()
    expect(locations).toEqual([APP, `${APP}/auth/login?error=oauth_state_invalid`].sort())
  })

  test('a linked login logs into the same account and records last_used', async () => {
    const id = account('bob')
    const first = await signIn()
    const firstUser = (await linkOf(id)).user_uuid
    const again = await signIn()
    expect(again.location).toBe(APP)
    expect(again.session).toBeTruthy()
    expect(again.session).not.toBe(first.session)
    const link = await linkOf(id)
    expect(link.user_uuid).toBe(firstUser)
    expect(link.last_used).not.toBeNull()
    const me = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${again.session}` })
    expect(me.body.user.uuid).toBe(firstUser)
  })

  test('link mode: a logged-in user links the provider, then logs in with it', async () => {
    const local = await plainCaller(t)
    const id = account('carol')
    const session = local.cookie.split('=')[1]
    const linked = await signIn({ session })
    expect(linked.location).toBe(`${APP}/account/oauth-links`)
    expect((await linkOf(id)).user_uuid).toBe(local.uuid)
    const login = await signIn()
    const me = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${login.session}` })
    expect(me.body.user.uuid).toBe(local.uuid)
    const twice = await signIn({ session })
    expect(twice.location).toBe(`${APP}/account/oauth-links?error=oauth_link_exists`)
  })

  test('link mode with a provider users may not manage → oauth_link_not_allowed', async () => {
    await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, { cookie: admin.cookie, body: { user_manageable: false } })
    try {
      const local = await plainCaller(t)
      account('kate')
      const { location } = await signIn({ session: local.cookie.split('=')[1] })
      expect(location).toBe(`${APP}/account/oauth-links?error=oauth_link_not_allowed`)
      expect(await linkOf('kate')).toBeUndefined()
    } finally {
      await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, { cookie: admin.cookie, body: { user_manageable: true } })
    }
  })

  test('an email already used by a local account never logs into it', async () => {
    const victim = await makeUser(t, { email: 'dave@example.org' })
    account('dave')
    const { location, session } = await signIn()
    expect(location).toBe(`${APP}/auth/login?error=user_already_exists`)
    expect(session).toBeUndefined()
    expect(await linkOf('dave')).toBeUndefined()
    const [row] = await t.kernel.database.db.select().from(userTables.users).where(eq(userTables.users.uuid, victim.uuid))
    expect(row.email).toBe('dave@example.org')
  })

  test('a tampered state, a missing or foreign state cookie are refused', async () => {
    account('erin')
    const tampered = await signIn({ tamper: (u) => u.searchParams.set('state', 'x' + u.searchParams.get('state')) })
    expect(tampered.location).toBe(`${APP}/auth/login?error=oauth_state_invalid`)
    expect(tampered.session).toBeUndefined()
    expect((await signIn({ stateCookie: null })).location).toBe(`${APP}/auth/login?error=oauth_state_invalid`)
    expect((await signIn({ stateCookie: 'someone-elses-browser' })).location).toBe(`${APP}/auth/login?error=oauth_state_invalid`)
    expect(await linkOf('erin')).toBeUndefined()
  })

  test('a replayed callback is refused (state used up), and so is the old code under a fresh state', async () => {
    account('frank')
    const first = await signIn()
    expect(first.location).toBe(APP)
    const replay = await t.request('GET', first.callback.pathname + first.callback.search, { cookie: `oauth_state=${first.stateCookie}` })
    expect(replay.headers.get('location')).toBe(`${APP}/auth/login?error=oauth_state_invalid`)
    const fresh = await t.request('GET', `/api/auth/oauth/redirect/${providerUuid}`)
    const state = new URL(fresh.headers.get('location')!).searchParams.get('state')!
    const cb = new URL(first.callback)
    cb.searchParams.set('state', state)
    const reused = await t.request('GET', cb.pathname + cb.search, { cookie: `oauth_state=${cookieValue(fresh, 'oauth_state')}` })
    expect(reused.status).toBe(307)
    expect(reused.headers.get('location')).toBe(`${APP}/auth/login?error=oauth_provider_error`)
    expect(cookieValue(reused, 'hatchery_session')).toBeUndefined()
  })

  test('denied consent comes back as oauth_denied', async () => {
    nextLogin = { deny: true }
    const { location, session } = await signIn()
    expect(location).toBe(`${APP}/auth/login?error=oauth_denied`)
    expect(session).toBeUndefined()
  })

  test('login_only providers do not register; two-factor users get the checkpoint when the provider does not bypass it', async () => {
    await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, { cookie: admin.cookie, body: { login_only: true } })
    account('gina')
    expect((await signIn()).location).toBe(`${APP}/auth/login?error=registration_disabled`)
    await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, {
      cookie: admin.cookie,
      body: { login_only: false, login_bypass_2fa: false },
    })
    const id = account('hank')
    await signIn()
    const { users } = userTables
    await t.kernel.database.db
      .update(users)
      .set({ totp_enabled: true })
      .where(eq(users.uuid, (await linkOf(id)).user_uuid))
    const { location, session } = await signIn()
    expect(location.startsWith(`${APP}/auth/login/checkpoint?data=`)).toBe(true)
    expect(session).toBeUndefined()
    const data = JSON.parse(Buffer.from(decodeURIComponent(new URL(location).searchParams.get('data')!), 'base64').toString())
    expect(data.user.username).toBe('hank')
    expect(typeof data.token).toBe('string')
    await t.request('PATCH', `/api/admin/oauth-providers/${providerUuid}`, { cookie: admin.cookie, body: { login_bypass_2fa: true } })
  })

  test('a role mapping is applied at login, and revoked once it no longer matches (revoke_unmatched)', async () => {
    const role = (
      await t.request('POST', '/api/admin/roles', {
        cookie: admin.cookie,
        body: { name: `mapped_${Date.now()}`, require_two_factor: false, admin_permissions: [], server_permissions: [] },
      })
    ).body.role
    const mapping = await t.request('POST', `/api/admin/oauth-providers/${providerUuid}/mappings`, {
      cookie: admin.cookie,
      body: {
        matcher: {
          type: 'and',
          matchers: [
            { type: 'scopes', scopes: ['email'] },
            { type: 'field_ends_with', path: '$.email', ends_with: '@example.org' },
          ],
        },
        mapping: { type: 'role', role_uuid: role.uuid },
      },
    })
    expect(mapping.status).toBe(200)
    account('iris')
    const { session } = await signIn()
    const me = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${session}` })
    expect(me.body.user.role?.uuid).toBe(role.uuid)
    const m = `/api/admin/oauth-providers/${providerUuid}/mappings/${mapping.body.oauth_mapping.uuid}`
    const revoke = await t.request('PATCH', m, {
      cookie: admin.cookie,
      body: {
        matcher: { type: 'field_equals', path: '$.email', equals: 'someone-else@example.org' },
        mapping: { type: 'role', role_uuid: role.uuid, revoke_unmatched: true },
      },
    })
    expect(revoke.status).toBe(200)
    const again = await signIn()
    const after = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${again.session}` })
    expect(after.body.user.role).toBeNull()
    await t.request('DELETE', `/api/admin/oauth-providers/${providerUuid}/mappings/${mapping.body.oauth_mapping.uuid}`, {
      cookie: admin.cookie,
    })
  })
})

describe('a provider that is down, answers garbage, or sits where outbound requests may not go', () => {
  let garbage: ReturnType<typeof Bun.serve>
  beforeAll(() => {
    garbage = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req) => {
        const path = new URL(req.url).pathname
        if (path === '/token-ok') return Response.json({ access_token: 'abc', token_type: 'Bearer' })
        if (path === '/slow') return new Promise<Response>((r) => setTimeout(() => r(new Response('late')), 15_000))
        return new Response('<html>oops</html>', { status: path === '/me' ? 200 : 500, headers: { 'content-type': 'text/html' } })
      },
    })
  })
  afterAll(() => garbage.stop(true))

  async function callbackWith(urls: { token_url: string; info_url?: string }) {
    const body = providerBody(issuer, { scopes: ['email'], ...urls })
    const p = (await t.request('POST', '/api/admin/oauth-providers', { cookie: admin.cookie, body })).body.oauth_provider
    const start = await t.request('GET', `/api/auth/oauth/redirect/${p.uuid}`)
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const res = await t.request('GET', `/api/auth/oauth/${p.uuid}?code=anything&state=${state}`, {
      cookie: `oauth_state=${cookieValue(start, 'oauth_state')}`,
    })
    expect(res.status).toBe(307)
    return res.headers.get('location')
  }

  test('token endpoint down (connection refused) → oauth_provider_error', async () => {
    expect(await callbackWith({ token_url: 'http://127.0.0.1:1/token' })).toBe(`${APP}/auth/login?error=oauth_provider_error`)
  })

  test('token endpoint answering HTML → oauth_provider_error', async () => {
    expect(await callbackWith({ token_url: `http://127.0.0.1:${garbage.port}/token` })).toBe(`${APP}/auth/login?error=oauth_provider_error`)
  })

  test('user-info answering garbage → oauth_provider_error', async () => {
    expect(
      await callbackWith({ token_url: `http://127.0.0.1:${garbage.port}/token-ok`, info_url: `http://127.0.0.1:${garbage.port}/me` }),
    ).toBe(`${APP}/auth/login?error=oauth_provider_error`)
  })

  test('a silent token endpoint is given up within the outbound timeout (10 s)', async () => {
    const started = Date.now()
    expect(await callbackWith({ token_url: `http://127.0.0.1:${garbage.port}/slow` })).toBe(`${APP}/auth/login?error=oauth_provider_error`)
    expect(Date.now() - started).toBeLessThan(12_000)
  }, 20_000)

  test('with outbound.allow_private_addresses off (the default), a loopback provider is never contacted', async () => {
    await t.kernel.settings.update({ 'outbound.allow_private_addresses': false })
    try {
      expect(await callbackWith({ token_url: `http://127.0.0.1:${garbage.port}/token-ok` })).toBe(
        `${APP}/auth/login?error=oauth_provider_error`,
      )
      expect(await callbackWith({ token_url: `https://127.0.0.1:${garbage.port}/token-ok` })).toBe(
        `${APP}/auth/login?error=oauth_provider_error`,
      )
    } finally {
      await t.kernel.settings.update({ 'outbound.allow_private_addresses': true })
    }
  })
})

describe('rate limits', () => {
  test('a spent callback bucket still redirects (error=rate_limited), never a bare 429', async () => {
    await t.kernel.settings.update({ 'ratelimits.oauth_callback': { hits: 1, window_seconds: 60 } })
    try {
      const locations = new Set<string | null>()
      for (let i = 0; i < 3; i++) {
        const res = await t.request('GET', `/api/auth/oauth/${providerUuid}?code=x&state=y`, { ip: '198.51.100.7' })
        expect(res.status).toBe(307)
        locations.add(res.headers.get('location'))
      }
      expect(locations.has(`${APP}/auth/login?error=rate_limited`)).toBe(true)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.oauth_callback': { hits: 100_000, window_seconds: 60 } })
    }
  })
})

/**
 * A real WebAuthn ceremony: headless Chromium with its DevTools virtual authenticator (CTAP2,
 * internal, resident keys, user verification) registers passkeys against the panel served on a
 * loopback port and logs in with them, from a page of the panel's own origin that does what the
 * official frontend does (options from the API, buffers sent back in plain base64).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { eq } from 'drizzle-orm'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { lastActivity, makeUser, relaxRateLimits, useTestApp, type TestUser } from 'hatchery/testing'
import { updateUser } from './test-helpers'
import { userSecurityKeyChallenges, userSecurityKeys } from './tables'

setDefaultTimeout(60_000)
const CHROMIUM = '/usr/bin/chromium'
const t = useTestApp()

const PAGE = `<!doctype html><meta charset="utf-8"><title>ceremony</title><script>
const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0))
const ids = (list) => (list || []).map((c) => ({ ...c, id: bytes(c.id) }))
async function call(method, path, body) {
  const res = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return { status: res.status, body: await res.json().catch(() => null) }
}
async function register(name, usernameless) {
  const made = await call('POST', '/api/client/account/security-keys', { name, allow_usernameless_login: usernameless })
  if (made.status !== 200) return made
  const pk = made.body.options.publicKey
  const cred = await navigator.credentials.create({ publicKey: { ...pk, challenge: bytes(pk.challenge), user: { ...pk.user, id: bytes(pk.user.id) }, excludeCredentials: ids(pk.excludeCredentials) } })
  const public_key_credential = { id: cred.id, rawId: b64(cred.rawId), type: cred.type, response: { clientDataJSON: b64(cred.response.clientDataJSON), attestationObject: b64(cred.response.attestationObject), transports: cred.response.getTransports() }, clientExtensionResults: cred.getClientExtensionResults() }
  const done = await call('POST', '/api/client/account/security-keys/' + made.body.security_key.uuid + '/challenge', { public_key_credential })
  return { ...done, key: made.body.security_key.uuid, rawId: cred.id }
}
async function assertion(path) {
  const got = await call('GET', path)
  if (got.status !== 200) return got
  const pk = got.body.options.publicKey
  const cred = await navigator.credentials.get({ publicKey: { ...pk, challenge: bytes(pk.challenge), allowCredentials: ids(pk.allowCredentials) } })
  const r = cred.response
  return { status: 200, uuid: got.body.uuid, allow: pk.allowCredentials.length, public_key_credential: { id: cred.id, rawId: b64(cred.rawId), type: cred.type, response: { clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: r.userHandle ? b64(r.userHandle) : null } } }
}
</script>`

const chromium = existsSync(CHROMIUM)
if (!chromium) console.warn(`security-key browser ceremony skipped: ${CHROMIUM} is absent (install Debian's chromium package)`)

describe.skipIf(!chromium)('security keys in a real browser (Chromium virtual authenticator)', () => {
  let server: ReturnType<typeof Bun.serve>
  let browser: Browser
  let page: Page
  let origin: string
  let user: TestUser

  let cdp: CDPSession
  let authenticatorId: string | undefined
  /** Replaces the virtual authenticator (one that holds a registered key may not register another: excludeCredentials). */
  async function newAuthenticator() {
    if (authenticatorId) await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
    ;({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }))
  }

  const inPage = <T = any>(fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([f, a]) => (globalThis as any)[f as string](...(a as unknown[])), [fn, args] as const) as Promise<T>
  const post = (path: string, body: unknown) => inPage<{ status: number; body: any }>('call', 'POST', path, body)

  beforeAll(async () => {
    await relaxRateLimits(t)
    await t.kernel.settings.update({ 'ratelimits.auth_login_security_key': { hits: 100_000, window_seconds: 60 } })
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (request, srv) =>
        new URL(request.url).pathname === '/ceremony'
          ? new Response(PAGE, { headers: { 'content-type': 'text/html' } })
          : t.fetch(request, srv),
    })
    // `localhost` is a secure context for WebAuthn; the RP id and origin follow app.url (no webauthn.rp_* stored).
    origin = `http://localhost:${server.port}`
    await t.kernel.settings.update({ 'app.url': origin })
    user = await makeUser(t)
    const { chromium: launcher } = await import('playwright-core')
    browser = await launcher.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    page = await browser.newPage()
    cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await newAuthenticator()
    await page.goto(`${origin}/ceremony`)
    expect((await post('/api/auth/login', { user: user.username, password: user.password })).status).toBe(200)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    server?.stop(true)
  })

  test('a registration answered for another origin is refused', async () => {
    await t.kernel.settings.update({ 'webauthn.rp_origin': 'http://localhost:1' })
    try {
      const res = await inPage('register', 'elsewhere', false)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['failed to finish security key registration'] })
    } finally {
      await t.kernel.settings.reset(['webauthn.rp_origin'])
    }
  })

  let keyUuid: string
  test('registers a passkey: credential id, public key and counter stored, activity written', async () => {
    const res = await inPage('register', 'laptop', false)
    expect(res.status).toBe(200)
    expect(res.body.credential_id).toBe(res.rawId)
    keyUuid = res.key
    const [row] = await t.kernel.database.db.select().from(userSecurityKeys).where(eq(userSecurityKeys.uuid, keyUuid))
    expect(row).toMatchObject({ credential_id: res.rawId, registration: null, user_uuid: user.uuid })
    expect(row.public_key!.length).toBeGreaterThan(50)
    expect((await lastActivity(t, user.uuid, 'security-key:create')).data).toEqual({ uuid: keyUuid, name: 'laptop' })
    const list = await inPage('call', 'GET', '/api/client/account/security-keys')
    expect(list.body.security_keys.data.map((k: any) => k.credential_id)).toEqual([res.rawId])
  })

  test('logs in username-first with the passkey: session cookie, {user}, auth:success (no TOTP checkpoint)', async () => {
    expect((await post('/api/client/account/logout', {})).status).toBe(200)
    expect((await inPage('call', 'GET', '/api/client/account')).status).toBe(401)
    const a = await inPage('assertion', `/api/auth/login/security-key?user=${encodeURIComponent(user.email.toUpperCase())}`)
    expect(a.allow).toBe(1)
    const res = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
    expect(res.status).toBe(200)
    expect(res.body.user.uuid).toBe(user.uuid)
    expect((await inPage('call', 'GET', '/api/client/account')).body.user.uuid).toBe(user.uuid)
    expect((await lastActivity(t, user.uuid, 'auth:success')).data).toMatchObject({ using: 'security-key', uuid: keyUuid })
    const [row] = await t.kernel.database.db.select().from(userSecurityKeys).where(eq(userSecurityKeys.uuid, keyUuid))
    expect(row.last_used).not.toBeNull()

    // Replayed as is: the challenge was spent by the first use.
    const again = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
    expect(again.status).toBe(400)
    expect(again.body).toEqual({ errors: ['invalid or expired challenge'] })
    // Replayed against a fresh challenge: the signature covers the old one.
    const fresh = await inPage('call', 'GET', `/api/auth/login/security-key?user=${user.username}`)
    const replay = await post('/api/auth/login/security-key', { uuid: fresh.body.uuid, public_key_credential: a.public_key_credential })
    expect(replay.status).toBe(400)
    expect(replay.body).toEqual({ errors: ['failed to finish security key authentication'] })
  })

  test('an assertion made for another origin is refused', async () => {
    const a = await inPage('assertion', `/api/auth/login/security-key?user=${user.username}`)
    await t.kernel.settings.update({ 'webauthn.rp_origin': 'https://panel.example.com' })
    try {
      const res = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['failed to finish security key authentication'] })
    } finally {
      await t.kernel.settings.reset(['webauthn.rp_origin'])
    }
  })

  test('a stale (expired) challenge is refused', async () => {
    const a = await inPage('assertion', `/api/auth/login/security-key?user=${user.username}`)
    await t.kernel.database.db
      .update(userSecurityKeyChallenges)
      .set({ expires: new Date(Date.now() - 1000) })
      .where(eq(userSecurityKeyChallenges.uuid, a.uuid))
    const res = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['invalid or expired challenge'] })
  })

  test('a signature counter that does not move forward is refused', async () => {
    await t.kernel.database.db.update(userSecurityKeys).set({ counter: 1_000_000 }).where(eq(userSecurityKeys.uuid, keyUuid))
    try {
      const a = await inPage('assertion', `/api/auth/login/security-key?user=${user.username}`)
      const res = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['failed to finish security key authentication'] })
    } finally {
      await t.kernel.database.db.update(userSecurityKeys).set({ counter: 0 }).where(eq(userSecurityKeys.uuid, keyUuid))
    }
  })

  test('discoverable login with a resident key identifies the user from its handle', async () => {
    // The authenticator holding the registered key is excluded from registering another one.
    const excluded = await inPage('register', 'again', true).catch((e: Error) => e.message)
    expect(String(excluded)).toContain('InvalidStateError')
    await newAuthenticator()
    const reg = await inPage('register', 'phone', true)
    expect(reg.status).toBe(200)
    expect((await post('/api/client/account/logout', {})).status).toBe(200)
    const a = await inPage('assertion', '/api/auth/login/security-key/discoverable')
    expect(a.allow).toBe(0)
    expect(a.public_key_credential.response.userHandle).toBeTruthy()
    // A discoverable assertion is no answer to a username-first challenge, and vice versa.
    const res = await post('/api/auth/login/security-key/discoverable', { uuid: a.uuid, public_key_credential: a.public_key_credential })
    expect(res.status).toBe(200)
    expect(res.body.user.uuid).toBe(user.uuid)
    expect((await lastActivity(t, user.uuid, 'auth:success')).data).toMatchObject({ using: 'security-key', uuid: reg.key })
    const crossed = await post('/api/auth/login/security-key', { uuid: a.uuid, public_key_credential: a.public_key_credential })
    expect(crossed.status).toBe(400)
  })

  test("another user's challenge does not accept this user's key", async () => {
    const other = await makeUser(t)
    const a = await inPage('call', 'GET', `/api/auth/login/security-key?user=${other.username}`)
    expect(a.body.options.publicKey.allowCredentials).toEqual([])
    // Sign the other user's (empty-list) challenge with our resident key: Chromium picks it.
    const signed = await page.evaluate(
      async ({ pk }) => {
        const b = (s: string) =>
          Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0))
        const e = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf)))
        const cred = (await (globalThis as any).navigator.credentials.get({
          publicKey: { ...pk, challenge: b(pk.challenge), allowCredentials: [] },
        })) as any
        const r = cred.response
        return {
          id: cred.id,
          rawId: e(cred.rawId),
          type: cred.type,
          response: {
            clientDataJSON: e(r.clientDataJSON),
            authenticatorData: e(r.authenticatorData),
            signature: e(r.signature),
            userHandle: r.userHandle ? e(r.userHandle) : null,
          },
        }
      },
      { pk: a.body.options.publicKey },
    )
    const res = await post('/api/auth/login/security-key', { uuid: a.body.uuid, public_key_credential: signed })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['failed to finish security key authentication'] })
  })

  test('a suspended account is refused like at the password login (403), after the key is checked', async () => {
    await updateUser(t, user.uuid, { suspended: true })
    try {
      const a = await inPage('assertion', '/api/auth/login/security-key/discoverable')
      const res = await post('/api/auth/login/security-key/discoverable', { uuid: a.uuid, public_key_credential: a.public_key_credential })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ errors: ['account is suspended'] })
    } finally {
      await updateUser(t, user.uuid, { suspended: false })
    }
  })

  test('a passkey registered in the browser satisfies required two-factor', async () => {
    await t.kernel.settings.update({ 'app.two_factor_requirement': 'all_users' })
    try {
      const a = await inPage('assertion', '/api/auth/login/security-key/discoverable')
      expect(
        (await post('/api/auth/login/security-key/discoverable', { uuid: a.uuid, public_key_credential: a.public_key_credential })).status,
      ).toBe(200)
      expect((await inPage('call', 'GET', '/api/client/account/sessions')).status).toBe(200)
    } finally {
      await t.kernel.settings.reset(['app.two_factor_requirement'])
    }
  })
})

import { Elysia, t } from 'elysia'
import { BadRequest, Forbidden, requestMeta, type PluginContext, type SettingsSnapshot } from 'hatchery'
import type { UsersApi } from './api'
import { AssertionCredential, FullUser, RequestOptions, Uuid } from './model'
import { userAgentOf } from './service/credentials'
import { sessionCookie } from './service/cookies'
import { openSession } from './service/sessions'
import { getUser, toFullUser } from './service/users'
import { assertSecurityKeysEnabled } from './service/security-keys'
import { startSecurityKeyLogin, verifySecurityKeyLogin } from './service/security-key-login'

const Challenge = t.Object({ uuid: Uuid, options: RequestOptions })
const Finish = t.Object({ uuid: Uuid, public_key_credential: AssertionCredential })
const LoggedIn = t.Object({ user: FullUser })

function assertDiscoverable(settings: SettingsSnapshot) {
  if (!settings.get('webauthn.allow_discoverable')) throw new BadRequest('usernameless security key login is disabled')
}

/**
 * `/api/auth/login/security-key` (username first) and `/discoverable` (usernameless): a passkey
 * login ends like a password login (session cookie, `auth:success` with `using: security-key`,
 * `{user}`). It skips the TOTP checkpoint, as the reference does: keys are registered and used
 * with user verification required, so the passkey already stands for two factors. All four
 * routes share the `auth_login_security_key` rate limit (by IP; each GET and the POSTs counted apart).
 */
export function securityKeyLoginRoutes(ctx: PluginContext, api: UsersApi) {
  async function start(request: Request, login: string | null) {
    const settings = await ctx.settings.snapshot()
    assertSecurityKeysEnabled(settings)
    if (login === null) assertDiscoverable(settings)
    await ctx.rateLimit('auth_login_security_key', `${login === null ? 'discoverable-challenge' : 'challenge'}:${requestMeta(request).ip}`)
    return startSecurityKeyLogin(ctx.db, settings, login)
  }

  async function finish(request: Request, body: typeof Finish.static, discoverable: boolean, set: { headers: Record<string, unknown> }) {
    const settings = await ctx.settings.snapshot()
    assertSecurityKeysEnabled(settings)
    if (discoverable) assertDiscoverable(settings)
    const { ip } = requestMeta(request)
    await ctx.rateLimit('auth_login_security_key', ip)
    const proof = await verifySecurityKeyLogin(ctx.db, settings, body.uuid, body.public_key_credential, discoverable)
    const found = await getUser(ctx.db, proof.userUuid)
    if (found.user.suspended) throw new Forbidden('account is suspended')
    const login = { userUuid: proof.userUuid, ip, userAgent: userAgentOf(request), using: 'security-key', extra: { uuid: proof.keyUuid } }
    const cookie = await openSession(ctx.db, api.credentials, ctx.activity, login, proof.claim)
    set.headers['set-cookie'] = sessionCookie(settings, cookie)
    return { user: toFullUser(found, settings) }
  }

  const errors =
    '400 `security keys are disabled`, `invalid or expired challenge` (each challenge answers once), `failed to finish security key authentication`; 404 `user not found` for an unknown credential; 403 for a suspended account.'
  return new Elysia({ prefix: '/login/security-key', tags: ['auth'] })
    .get('', ({ query, request }) => start(request, query.user), {
      query: t.Object({ user: t.String({ minLength: 1, maxLength: 255, description: 'Username or email' }) }),
      response: { 200: Challenge },
      detail: {
        summary: 'Start a security-key login (username first)',
        description:
          "Options for `navigator.credentials.get` listing the user's keys, and the challenge uuid to send back. A user without keys, or no such user, gets the same answer with an empty `allowCredentials` (then ask for the password): the answer does not reveal whether an account exists.",
      },
    })
    .post('', ({ body, request, set }) => finish(request, body, false, set), {
      body: Finish,
      response: { 200: LoggedIn },
      detail: { summary: 'Finish a security-key login', description: `Sets the session cookie. ${errors}` },
    })
    .get('/discoverable', ({ request }) => start(request, null), {
      response: { 200: Challenge },
      detail: {
        summary: 'Start a usernameless security-key login',
        description: '400 `usernameless security key login is disabled` unless `webauthn.allow_discoverable`.',
      },
    })
    .post('/discoverable', ({ body, request, set }) => finish(request, body, true, set), {
      body: Finish,
      response: { 200: LoggedIn },
      detail: {
        summary: 'Finish a usernameless security-key login',
        description: `The user is the one the key's user handle names. Sets the session cookie. ${errors}`,
      },
    })
}

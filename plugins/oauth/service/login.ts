import { and, eq, gt, or, sql } from 'drizzle-orm'
import { anonymousActor, NotFound, randomAlnum, transaction, type PluginContext, type SettingsSnapshot } from 'hatchery'
import {
  createCheckpoint,
  createUser,
  findByLogin,
  getUser,
  openSession,
  readCookie,
  sessionCookie,
  startSession,
  toShortUser,
  userAgentOf,
  userTransaction,
  type SessionLogin,
  type UsersApi,
} from '../../users'
import { oauthProviders, oauthStates, userOauthLinks } from '../tables'
import { authorizationUrl, oauthLibrary, ProviderError, redeem, wantsOpenId } from './protocol'
import { applyMappings, type MappingTypes } from './mappings'
import { touchLink } from './links'
import { extractText } from './jsonpath'
import type { ProviderRow } from './providers'

export type OAuthDeps = Pick<PluginContext, 'db' | 'secrets' | 'settings' | 'log' | 'activity'> & {
  users: UsersApi
  mappingTypes: MappingTypes
}

/** Pending authorization requests live this long (the `oauth_state` cookie too). */
export const STATE_SECONDS = 600
/** Budget of the whole exchange with the provider (token and user-info requests). */
export const PROVIDER_TIMEOUT_MS = 10_000
const COOKIE = 'oauth_state'
const COOKIE_PATH = '/api/auth/oauth'

const appUrlOf = (s: SettingsSnapshot) => s.get('app.url').replace(/\/+$/, '')
const stateCookie = (s: SettingsSnapshot, value: string, maxAge: number) =>
  `${COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${s.get('app.url').startsWith('https://') ? '; Secure' : ''}`
export const redirectUriOf = (s: SettingsSnapshot, provider: string) => `${appUrlOf(s)}/api/auth/oauth/${provider}`

async function enabledProvider(deps: OAuthDeps, uuid: string): Promise<ProviderRow> {
  const valid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)
  const [row] = valid ? await deps.db.select().from(oauthProviders).where(eq(oauthProviders.uuid, uuid.toLowerCase())).limit(1) : []
  if (!row || !row.enabled) throw new NotFound('oauth provider not found')
  return row
}

/**
 * Starts a login or link: a random `state` (stored as a keyed hash, single-use, 10 minutes) bound
 * to this browser by a second random value in the HttpOnly `oauth_state` cookie, a PKCE verifier
 * (stored encrypted) and, for OpenID Connect, a nonce.
 */
export async function startAuthorization(deps: OAuthDeps, providerUuid: string): Promise<{ location: string; cookie: string }> {
  const provider = await enabledProvider(deps, providerUuid)
  const settings = await deps.settings.snapshot()
  const oauth = await oauthLibrary()
  const state = oauth.generateRandomState()
  const browser = randomAlnum(43)
  const verifier = oauth.generateRandomCodeVerifier()
  const nonce = wantsOpenId(provider) ? oauth.generateRandomNonce() : null
  await deps.db.insert(oauthStates).values({
    state_hash: deps.secrets.hmac(state),
    browser_hash: deps.secrets.hmac(browser),
    oauth_provider_uuid: provider.uuid,
    code_verifier: deps.secrets.encrypt(verifier),
    nonce,
    expires: new Date(Date.now() + STATE_SECONDS * 1000),
  })
  const location = await authorizationUrl(provider, redirectUriOf(settings, provider.uuid), state, verifier, nonce)
  return { location, cookie: stateCookie(settings, browser, STATE_SECONDS) }
}

/** A refusal that sends the browser back to the frontend with `?error=<code>`. */
class Refused extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

export interface CallbackResult {
  location: string
  cookies: string[]
}

/**
 * The provider's redirect back. Never throws: every outcome is a redirect — to the panel after a
 * login, to `/account/oauth-links` after a link, to `/auth/login/checkpoint?data=…` when two-factor
 * is still due, or, on any failure, to `/auth/login?error=<code>` (`/account/oauth-links?error=<code>`
 * in link mode). Codes: `oauth_provider_not_found`, `oauth_state_invalid`, `oauth_denied`,
 * `oauth_provider_error`, `oauth_invalid_profile`, `oauth_link_not_allowed`, `oauth_link_exists`,
 * `registration_disabled`, `user_already_exists`, `account_suspended`, `oauth_error`.
 */
export async function finishAuthorization(
  deps: OAuthDeps,
  request: Request,
  ip: string,
  providerUuid: string,
  query: URLSearchParams,
): Promise<CallbackResult> {
  const settings = await deps.settings.snapshot()
  const cookies = [stateCookie(settings, '', 0)]
  let linkMode = false
  try {
    const provider = await enabledProvider(deps, providerUuid).catch(() => {
      throw new Refused('oauth_provider_not_found')
    })
    const pending = await consumeState(deps, provider.uuid, query.get('state'), readCookie(request.headers.get('cookie'), COOKIE))
    const session = await currentSession(deps, request, settings)
    linkMode = session !== null
    if (query.get('error')) throw new Refused('oauth_denied')
    if (linkMode && !provider.user_manageable) throw new Refused('oauth_link_not_allowed')
    const { scopes, info } = await redeem(
      {
        provider,
        clientSecret: deps.secrets.decrypt(provider.client_secret),
        redirectUri: redirectUriOf(settings, provider.uuid),
        codeVerifier: deps.secrets.decrypt(pending.code_verifier),
        nonce: pending.nonce,
        allowPrivate: settings.get('outbound.allow_private_addresses'),
        timeoutMs: PROVIDER_TIMEOUT_MS,
      },
      query,
    ).catch((e) => {
      deps.log.warn('oauth exchange failed', { provider: provider.uuid, error: e as Error })
      throw new Refused(
        e instanceof ProviderError && e.message.startsWith('authorization refused') ? 'oauth_denied' : 'oauth_provider_error',
      )
    })
    const identifier = extractText(provider.identifier_path, info, 255)
    if (!identifier) throw new Refused('oauth_invalid_profile')
    const meta = { ip, userAgent: userAgentOf(request), provider, identifier, scopes, info, settings }
    if (session) {
      await link(deps, meta, session.user_uuid)
      cookies.push(sessionCookie(settings, session.cookie))
      return { location: `${appUrlOf(settings)}/account/oauth-links`, cookies }
    }
    return await login(deps, meta, cookies)
  } catch (e) {
    const code = e instanceof Refused ? e.code : 'oauth_error'
    if (!(e instanceof Refused)) deps.log.error('oauth callback failed', { error: e as Error })
    return { location: `${appUrlOf(settings)}${linkMode ? '/account/oauth-links' : '/auth/login'}?error=${code}`, cookies }
  }
}

/** Deletes the pending request (once: a replay finds nothing) and checks it belongs to this browser. */
async function consumeState(deps: OAuthDeps, provider: string, state: string | null, browser: string | undefined) {
  if (!state || state.length > 512) throw new Refused('oauth_state_invalid')
  const [row] = await deps.db
    .delete(oauthStates)
    .where(
      and(
        eq(oauthStates.state_hash, deps.secrets.hmac(state)),
        eq(oauthStates.oauth_provider_uuid, provider),
        gt(oauthStates.expires, sql`now()`),
      ),
    )
    .returning()
  if (!row || !browser || !deps.secrets.verifyHmac(browser, row.browser_hash)) throw new Refused('oauth_state_invalid')
  return row
}

/** The live session behind the session cookie, if any: its presence selects link mode. A stale cookie is a plain login. */
async function currentSession(deps: OAuthDeps, request: Request, settings: SettingsSnapshot) {
  const cookie = readCookie(request.headers.get('cookie'), settings.get('app.session_cookie'))
  if (!cookie) return null
  const row = await deps.users.credentials.findSession(cookie, settings.get('app.session_duration_seconds'))
  return row ? { user_uuid: row.user_uuid, cookie } : null
}

type Meta = {
  ip: string
  userAgent: string
  provider: ProviderRow
  identifier: string
  scopes: string[]
  info: Record<string, unknown>
  settings: SettingsSnapshot
}

async function link(deps: OAuthDeps, m: Meta, userUuid: string) {
  await userTransaction(deps.db, userUuid, async (tx) => {
    const taken = await tx
      .select({ user: userOauthLinks.user_uuid })
      .from(userOauthLinks)
      .where(
        and(
          eq(userOauthLinks.oauth_provider_uuid, m.provider.uuid),
          or(eq(userOauthLinks.user_uuid, userUuid), eq(userOauthLinks.identifier, m.identifier)),
        ),
      )
      .limit(1)
    if (taken.length) throw new Refused('oauth_link_exists')
    await tx.insert(userOauthLinks).values({ user_uuid: userUuid, oauth_provider_uuid: m.provider.uuid, identifier: m.identifier })
    await applyMappings(tx, deps.mappingTypes, deps.log, m.provider.uuid, userUuid, m.scopes, m.info)
    await deps.activity.user(tx, anonymousActor(userUuid, m.ip), 'account:oauth-links.create', {
      provider: m.provider.name,
      identifier: m.identifier,
      user_agent: m.userAgent,
    })
  })
}

async function login(deps: OAuthDeps, m: Meta, cookies: string[]): Promise<CallbackResult> {
  const appUrl = appUrlOf(m.settings)
  const using = { using: 'oauth2', oauth_provider: m.provider.name, user_agent: m.userAgent }
  const login = (userUuid: string): SessionLogin => ({
    userUuid,
    ip: m.ip,
    userAgent: m.userAgent,
    using: 'oauth2',
    extra: { oauth_provider: m.provider.name },
  })
  const [existing] = await deps.db
    .select()
    .from(userOauthLinks)
    .where(and(eq(userOauthLinks.oauth_provider_uuid, m.provider.uuid), eq(userOauthLinks.identifier, m.identifier)))
    .limit(1)
  if (existing) {
    const { user } = await getUser(deps.db, existing.user_uuid)
    if (user.suspended) throw new Refused('account_suspended')
    if (user.totp_enabled && !m.provider.login_bypass_2fa) {
      const token = await userTransaction(deps.db, user.uuid, async (tx) => {
        await applyMappings(tx, deps.mappingTypes, deps.log, m.provider.uuid, user.uuid, m.scopes, m.info)
        await deps.activity.user(tx, anonymousActor(user.uuid, m.ip), 'auth:checkpoint', using)
        return createCheckpoint(tx, deps.secrets, user.uuid)
      })
      const data = Buffer.from(JSON.stringify({ user: toShortUser(user, m.settings), token })).toString('base64')
      return { location: `${appUrl}/auth/login/checkpoint?data=${encodeURIComponent(data)}`, cookies }
    }
    const cookie = await openSession(deps.db, deps.users.credentials, deps.activity, login(user.uuid), async (tx) => {
      await applyMappings(tx, deps.mappingTypes, deps.log, m.provider.uuid, user.uuid, m.scopes, m.info)
      await touchLink(tx, existing.uuid)
    })
    return { location: appUrl, cookies: [...cookies, sessionCookie(m.settings, cookie)] }
  }
  if (m.provider.login_only) throw new Refused('registration_disabled')
  const profile = await newProfile(deps, m)
  const cookie = await transaction(deps.db, async (tx) => {
    const user = await createUser(tx, { ...profile, password: null, admin: false, language: m.settings.get('app.language') }).catch(() => {
      throw new Refused('user_already_exists')
    })
    await tx.insert(userOauthLinks).values({ user_uuid: user.uuid, oauth_provider_uuid: m.provider.uuid, identifier: m.identifier })
    await applyMappings(tx, deps.mappingTypes, deps.log, m.provider.uuid, user.uuid, m.scopes, m.info)
    return startSession(tx, deps.users.credentials, deps.activity, login(user.uuid))
  })
  return { location: appUrl, cookies: [...cookies, sessionCookie(m.settings, cookie)] }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * The new account's fields from the user-info document (spec 01 §3.7 defaults when no path is
 * configured; a configured path that selects nothing is `oauth_invalid_profile`). An email that an
 * account already uses is `user_already_exists`: a provider's email never takes an account over —
 * its owner links the provider from their account instead. A username that is taken, or not made
 * of 3–15 letters, digits and `_`, gets a random one.
 */
async function newProfile(deps: OAuthDeps, m: Meta) {
  const pick = (path: string | null, max: number, fallback: () => string) => {
    if (!path) return fallback()
    const value = extractText(path, m.info, max)
    if (value === null || value.trim() === '') throw new Refused('oauth_invalid_profile')
    return value
  }
  const email = pick(m.provider.email_path, 255, () => `${randomAlnum(10)}@oauth.invalid`)
  if (!EMAIL.test(email)) throw new Refused('oauth_invalid_profile')
  if (await findByLogin(deps.db, email)) throw new Refused('user_already_exists')
  let username = pick(m.provider.username_path, 255, () => randomAlnum(10))
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 15)
  if (username.length < 3 || (await findByLogin(deps.db, username)))
    username = `${username.slice(0, 4)}_${randomAlnum(10)}`.replace(/^_/, 'u')
  return {
    email,
    username,
    name_first: pick(m.provider.name_first_path, 255, () => 'First'),
    name_last: pick(m.provider.name_last_path, 255, () => 'Last'),
  }
}

/** Removes authorization requests nobody came back from (a job). */
export const purgeStates = (deps: Pick<OAuthDeps, 'db'>) => deps.db.delete(oauthStates).where(sql`${oauthStates.expires} < now()`)

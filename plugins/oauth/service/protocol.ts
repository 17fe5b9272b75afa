import type * as OAuth from 'oauth4webapi'
import { fetchOutbound } from 'hatchery'
import type { ProviderRow } from './providers'

/** A step of the exchange with the provider failed; `message` is for the log only. */
export class ProviderError extends Error {}

export interface Exchange {
  provider: ProviderRow
  clientSecret: string
  redirectUri: string
  codeVerifier: string
  nonce: string | null
  /** Lets the provider's URLs be http or private addresses (`outbound.allow_private_addresses`). */
  allowPrivate: boolean
  timeoutMs: number
}

let library: Promise<typeof OAuth> | undefined
/** oauth4webapi, imported on first use: only logins through a provider need it (~0.7 MiB at boot). */
export const oauthLibrary = () => (library ??= import('oauth4webapi'))

export const wantsOpenId = (provider: ProviderRow) => provider.scopes.includes('openid')

/** The authorization request URL: code flow with `state`, PKCE S256, and a nonce for OpenID Connect. */
export async function authorizationUrl(
  provider: ProviderRow,
  redirectUri: string,
  state: string,
  codeVerifier: string,
  nonce: string | null,
): Promise<string> {
  const oauth = await oauthLibrary()
  const url = new URL(provider.auth_url)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', provider.client_id)
  url.searchParams.set('redirect_uri', redirectUri)
  if (provider.scopes.length) url.searchParams.set('scope', provider.scopes.join(' '))
  url.searchParams.set('state', state)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier))
  url.searchParams.set('code_challenge_method', 'S256')
  if (nonce) url.searchParams.set('nonce', nonce)
  return url.href
}

function peekJwt(jwt: unknown): { header: Record<string, unknown>; claims: Record<string, unknown> } | null {
  if (typeof jwt !== 'string') return null
  try {
    const [h, c] = jwt.split('.')
    return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(c, 'base64url').toString()) }
  } catch {
    return null
  }
}

/**
 * Redeems the code at the token endpoint and reads the user-info document, every request through
 * `fetchOutbound`. The provider record names no issuer: the issuer is the `iss` of the callback
 * (RFC 9207) when sent, else the one the ID token states; the ID token (OpenID Connect) is checked
 * for audience, expiry and our nonce. Its signature is not verified: it comes straight from the token
 * endpoint over a TLS connection checked by name (OpenID Connect Core §3.1.3.7), and the identity
 * is read from the user-info answer anyway.
 */
export async function redeem(x: Exchange, callback: URLSearchParams): Promise<{ scopes: string[]; info: Record<string, unknown> }> {
  const oauth = await oauthLibrary()
  const outbound: typeof fetch = ((url: string, init: RequestInit) =>
    fetchOutbound(url, init, { allowPrivate: x.allowPrivate, timeoutMs: x.timeoutMs, maxBytes: 1024 * 1024, maxRedirects: 0 })) as any
  const options = { [oauth.customFetch]: outbound, [oauth.allowInsecureRequests]: x.allowPrivate, signal: AbortSignal.timeout(x.timeoutMs) }
  let as: OAuth.AuthorizationServer = {
    issuer: callback.get('iss') ?? new URL(x.provider.token_url).origin,
    authorization_endpoint: x.provider.auth_url,
    token_endpoint: x.provider.token_url,
  }
  const client: OAuth.Client = { client_id: x.provider.client_id }
  const auth = x.provider.basic_auth ? oauth.ClientSecretBasic(x.clientSecret) : oauth.ClientSecretPost(x.clientSecret)
  try {
    const params = oauth.validateAuthResponse(as, client, callback, oauth.skipStateCheck)
    const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, x.redirectUri, x.codeVerifier, options)
    const peek = peekJwt(
      (
        (await response
          .clone()
          .json()
          .catch(() => ({}))) as { id_token?: unknown }
      ).id_token,
    )
    if (peek) {
      if (!callback.get('iss') && typeof peek.claims.iss === 'string') as = { ...as, issuer: peek.claims.iss }
      if (typeof peek.header.alg === 'string' && peek.header.alg !== 'none') client.id_token_signed_response_alg = peek.header.alg
    }
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: x.nonce ?? oauth.expectNoNonce,
      requireIdToken: x.nonce !== null,
    })
    const answer = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(x.provider.info_url),
      new Headers({ accept: 'application/json' }),
      null,
      options,
    )
    if (answer.status !== 200) throw new ProviderError(`user-info answered ${answer.status}`)
    const info = await answer.json().catch(() => null)
    if (!info || typeof info !== 'object' || Array.isArray(info)) throw new ProviderError('user-info did not answer a JSON object')
    const scopes = typeof tokens.scope === 'string' ? tokens.scope.split(' ').filter(Boolean) : x.provider.scopes
    return { scopes, info: info as Record<string, unknown> }
  } catch (e) {
    if (e instanceof ProviderError) throw e
    if (e instanceof oauth.AuthorizationResponseError) throw new ProviderError(`authorization refused: ${e.error}`)
    throw new ProviderError((e as Error).message)
  }
}

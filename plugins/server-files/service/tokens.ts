import { randomUUID } from 'node:crypto'
import { signWingsToken, type WingsClient } from '../../servers'

/** Lifetime of download and upload URLs (spec 04 §2.2). */
export const URL_TOKEN_SECONDS = 900
/** Lifetime of a remote copy's transfer token. */
export const TRANSFER_TOKEN_SECONDS = 600

/**
 * An HS256 JWT for a Wings node (spec 04 §2.1), signed with that node's token: every common claim
 * present (`sub`, `nbf` null, `aud` []), `jti` as given; `oneShot` adds the `unique_id` Wings counts
 * uses of (download and upload URLs).
 */
export async function wingsToken(
  wings: WingsClient,
  claims: { scope: string; jti: string; sub?: string | null; ttl: number; oneShot?: boolean } & Record<string, unknown>,
): Promise<string> {
  const { ttl, oneShot, sub = null, ...rest } = claims
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    iss: 'panel',
    sub,
    aud: [],
    exp: now + ttl,
    nbf: null,
    iat: now,
    ...rest,
    ...(oneShot ? { unique_id: randomUUID() } : {}),
  }
  return signWingsToken(wings, payload)
}

/** `public_url` (else `url`) of the node + `path` + the query. */
export function browserUrl(wings: WingsClient, path: string, query: Record<string, string>): string {
  const url = new URL(wings.publicUrl.replace(/\/+$/, '') + path)
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return url.toString()
}

import type { JWTPayload } from 'jose'
import type { WingsClient } from './client'

let jose: Promise<typeof import('jose')> | undefined

/**
 * An HS256 JWT for a Wings node (spec 04 §2.1), signed with that node's token. The claims go on the
 * wire as given, nulls included (`sub`, `nbf`), which jose's payload type does not foresee. jose is
 * imported on first use: only the routes that hand out console, file, backup or transfer tokens sign,
 * and a booted panel would otherwise hold its 46 modules (~2 MiB of resident memory).
 * @example const token = await signWingsToken(wings, { scope: 'transfer', iss: 'panel', sub: uuid, aud: [], exp, nbf: null, iat, jti })
 */
export async function signWingsToken(wings: WingsClient, claims: Record<string, unknown>): Promise<string> {
  const { SignJWT } = await (jose ??= import('jose'))
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(wings.target.token))
}

import { signWingsToken, type WingsClient } from '../../servers'

/** Lifetime of a transfer token (spec 04 §2.2). */
export const TRANSFER_TOKEN_SECONDS = 600

/**
 * The transfer JWT the source node presents to the destination (spec 04 §2.2): HS256 signed with
 * the destination node's token, `scope: "transfer"`, `sub` the server, `jti` the source node.
 */
export async function transferToken(destination: WingsClient, serverUuid: string, sourceNodeUuid: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    scope: 'transfer',
    iss: 'panel',
    sub: serverUuid,
    aud: [],
    exp: now + TRANSFER_TOKEN_SECONDS,
    nbf: null,
    iat: now,
    jti: sourceNodeUuid,
  }
  return signWingsToken(destination, claims)
}

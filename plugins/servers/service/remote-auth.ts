import { createHash, timingSafeEqual } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { Unauthorized, type Db, type Logger, type Secrets } from 'hatchery'
import { tables as nodeTables, type NodeRow } from '../../nodes'

/** `<token_id>.<token>`: 16 + 1 + 64 characters (spec 04 §3.1). */
export const NODE_CREDENTIAL_LENGTH = 81
/** How long a node found by its token is remembered (spec 04 §3.1: positive results, 10 s). */
export const NODE_CACHE_MS = 10_000

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/**
 * The token pair of `Authorization: Bearer <token_id>.<token>`, as the reference reads it: the
 * scheme exactly `Bearer`, the credential exactly 81 characters, split at its first `.`; else 401
 * `invalid authorization header`.
 */
export function parseNodeAuthorization(header: string | null): { tokenId: string; token: string } {
  const space = header?.indexOf(' ') ?? -1
  if (!header || space < 0) throw new Unauthorized('invalid authorization header')
  const credential = header.slice(space + 1)
  const dot = credential.indexOf('.')
  if (header.slice(0, space) !== 'Bearer' || credential.length !== NODE_CREDENTIAL_LENGTH || dot < 0) {
    throw new Unauthorized('invalid authorization header')
  }
  return { tokenId: credential.slice(0, dot), token: credential.slice(dot + 1) }
}

/**
 * Finds the node a Wings request comes from: by `token_id`, then the stored token decrypted and
 * compared in constant time (digests of equal length, whatever was sent). A miss, a reset token
 * or a token that no longer decrypts is 401 `invalid token`. Hits are kept 10 s, keyed by the
 * token id and the token's digest, and dropped at once when the node's token is reset.
 */
export class NodeAuthenticator {
  private readonly cache = new Map<string, { node: NodeRow; until: number }>()

  constructor(
    private readonly db: Db,
    private readonly secrets: Secrets,
    private readonly log: Logger,
  ) {}

  async authenticate(header: string | null): Promise<NodeRow> {
    const { tokenId, token } = parseNodeAuthorization(header)
    const sent = digest(token)
    const key = `${tokenId}:${sent.toString('hex')}`
    const now = Date.now()
    const hit = this.cache.get(key)
    if (hit && hit.until > now) return hit.node
    const [node] = await this.db.select().from(nodeTables.nodes).where(eq(nodeTables.nodes.token_id, tokenId)).limit(1)
    if (!node || !timingSafeEqual(digest(this.stored(node)), sent)) throw new Unauthorized('invalid token')
    if (this.cache.size >= 1_000) this.sweep(now)
    this.cache.set(key, { node, until: now + NODE_CACHE_MS })
    return node
  }

  /** Forgets the node's cached credentials (its token was reset). */
  forget(nodeUuid: string): void {
    for (const [key, entry] of this.cache) if (entry.node.uuid === nodeUuid) this.cache.delete(key)
  }

  private stored(node: NodeRow): string {
    try {
      return this.secrets.decrypt(node.token)
    } catch (error) {
      // A token encrypted under a key no longer configured: no Wings can match it.
      this.log.warn('node token does not decrypt', { node: node.uuid, error: (error as Error).message })
      return ''
    }
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key)
    if (this.cache.size >= 1_000) this.cache.clear()
  }
}

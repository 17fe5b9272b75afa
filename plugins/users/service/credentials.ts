import { eq } from 'drizzle-orm'
import type { Db, PluginContext, Secrets, Tx } from 'hatchery'
import { userApiKeys, userSessions } from '../tables'
import { findUser, type UserWithRole } from './users'
import { randomAlnum, randomHex, transaction } from 'hatchery'

export type SessionRow = typeof userSessions.$inferSelect
export type ApiKeyRow = typeof userApiKeys.$inferSelect

/** Credentials, users and roles are trusted from memory this long; revocations elsewhere show within it. */
export const CACHE_MS = 1000
/** `last_used`, IP and user agent are written in batches this often. */
export const FLUSH_MS = 5000

export const API_KEY_PREFIX = 'c7sp_'
export const API_KEY_LENGTH = 48
export const SESSION_COOKIE_LENGTH = 81

interface Cached<T> {
  value: T
  until: number
}

/** `User-Agent` cut to 255 bytes on a character boundary, `unknown` when absent. */
export function userAgentOf(request: Request): string {
  const ua = request.headers.get('user-agent')
  if (!ua) return 'unknown'
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no encoding to be measured.
  if (ua.length <= 85 || Buffer.byteLength(ua) <= 255) return ua
  const bytes = new TextEncoder().encode(ua)
  return new TextDecoder().decode(bytes.subarray(0, 255)).replace(/\uFFFD+$/, '')
}

/**
 * Sessions and API keys: creation (only keyed hashes are stored), lookup with a short
 * in-process cache, batched `last_used` updates, and revocation that is immediate here and
 * within `CACHE_MS` in every other panel process.
 */
export class Credentials {
  private sessions = new Map<string, Cached<SessionRow | null>>()
  private keys = new Map<string, Cached<ApiKeyRow | null>>()
  private users = new Map<string, Cached<UserWithRole | null>>()
  private pendingSessions = new Map<string, { ip: string; userAgent: string; at: Date }>()
  private pendingKeys = new Map<string, Date>()
  /** Loads in flight, by kind and key: requests that miss together share one query. */
  private loading = new Map<string, Promise<unknown>>()
  /** Moves on at every `forget`/`invalidate`: a load started before it is not remembered. */
  private generation = 0
  private timer: ReturnType<typeof setInterval>

  constructor(
    private db: Db,
    private secrets: Secrets,
    private log: PluginContext['log'],
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS)
    this.timer.unref?.()
  }

  // ------------------------------------------------------------ sessions

  /** Creates a session; returns the cookie value `<key_id>:<secret>` (81 characters). */
  async createSession(db: Db | Tx, userUuid: string, ip: string, userAgent: string): Promise<{ uuid: string; cookie: string }> {
    const keyId = randomAlnum(16)
    const secret = randomHex(32)
    const [row] = await db
      .insert(userSessions)
      .values({ user_uuid: userUuid, key_id: keyId, key_hash: this.secrets.hmac(secret), ip, user_agent: userAgent })
      .returning({ uuid: userSessions.uuid })
    return { uuid: row.uuid, cookie: `${keyId}:${secret}` }
  }

  /**
   * The session behind a cookie value, or null. Expired sessions are not returned. A cached answer
   * comes back synchronously (callers `await` either way; the hot path allocates no promise).
   */
  findSession(cookie: string, maxAgeSeconds: number): SessionRow | null | Promise<SessionRow | null> {
    const now = Date.now()
    const hit = this.sessions.get(cookie)
    if (hit && hit.until > now) return this.unexpired(hit.value, maxAgeSeconds, now)
    return this.once(`s:${cookie}`, () => this.loadSession(cookie, now)).then((row) => this.unexpired(row, maxAgeSeconds, now))
  }

  /** One load per key at a time (the others await it), its result remembered unless the cache was dropped meanwhile. */
  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const pending = this.loading.get(key)
    if (pending) return pending as Promise<T>
    const started = load().finally(() => {
      if (this.loading.get(key) === started) this.loading.delete(key)
    })
    this.loading.set(key, started)
    return started
  }

  private async loadSession(cookie: string, now: number): Promise<SessionRow | null> {
    const generation = this.generation
    let row: SessionRow | null = null
    if (cookie[16] === ':') {
      const rows = await this.db
        .select()
        .from(userSessions)
        .where(eq(userSessions.key_id, cookie.slice(0, 16)))
      const secret = cookie.slice(17)
      row = rows.find((r) => this.secrets.verifyHmac(secret, r.key_hash)) ?? null
    }
    this.remember(this.sessions, cookie, row, now, generation)
    return row
  }

  private unexpired(row: SessionRow | null, maxAgeSeconds: number, now: number): SessionRow | null {
    if (!row) return null
    const lastUsed = this.pendingSessions.get(row.uuid)?.at ?? row.last_used
    return lastUsed.getTime() + maxAgeSeconds * 1000 < now ? null : row
  }

  touchSession(uuid: string, ip: string, userAgent: string): void {
    this.pendingSessions.set(uuid, { ip, userAgent, at: new Date() })
  }

  // ------------------------------------------------------------ API keys

  /** A fresh key: `c7sp_` + 43 letters/digits; store `key_start` and `key_hash`, show `key` once. */
  newApiKey(): { key: string; key_start: string; key_hash: string } {
    const key = API_KEY_PREFIX + randomAlnum(API_KEY_LENGTH - API_KEY_PREFIX.length)
    return { key, key_start: key.slice(0, 16), key_hash: this.secrets.hmac(key) }
  }

  /** The unexpired key row behind a full key, or null (synchronously when cached). */
  findApiKey(key: string): ApiKeyRow | null | Promise<ApiKeyRow | null> {
    const now = Date.now()
    const hit = this.keys.get(key)
    if (hit && hit.until > now) return unexpiredKey(hit.value, now)
    return this.once(`k:${key}`, () => this.loadApiKey(key, now)).then((row) => unexpiredKey(row, now))
  }

  private async loadApiKey(key: string, now: number): Promise<ApiKeyRow | null> {
    const generation = this.generation
    const [found] = await this.db
      .select()
      .from(userApiKeys)
      .where(eq(userApiKeys.key_start, key.slice(0, 16)))
      .limit(1)
    const row = found && this.secrets.verifyHmac(key, found.key_hash) ? found : null
    this.remember(this.keys, key, row, now, generation)
    return row
  }

  touchApiKey(uuid: string): void {
    this.pendingKeys.set(uuid, new Date())
  }

  // ------------------------------------------------------------ users

  /** A user and role, cached for `CACHE_MS` (synchronously when cached). */
  user(uuid: string): UserWithRole | null | Promise<UserWithRole | null> {
    const now = Date.now()
    const hit = this.users.get(uuid)
    if (hit && hit.until > now) return hit.value
    const generation = this.generation
    return this.once(`u:${uuid}`, () =>
      findUser(this.db, uuid).then((row) => {
        this.remember(this.users, uuid, row, now, generation)
        return row
      }),
    )
  }

  /**
   * Forgets what is cached of one user (row, sessions, keys), or everything without a user. The
   * plugin calls it on `USER_CHANGED`, after the commit of every change of a user or a role.
   */
  forget(userUuid?: string): void {
    if (userUuid === undefined) return this.invalidate()
    this.dropLoads()
    this.users.delete(userUuid)
    for (const map of [this.sessions, this.keys] as Map<string, Cached<{ user_uuid: string } | null>>[]) {
      for (const [k, hit] of map) if (hit.value?.user_uuid === userUuid) map.delete(k)
    }
  }

  /** Forgets everything cached. */
  invalidate(): void {
    this.dropLoads()
    this.sessions.clear()
    this.keys.clear()
    this.users.clear()
  }

  // A load in flight may have read the rows before the change that drops the cache: requests from
  // now on start their own, and what it read is not remembered.
  private dropLoads(): void {
    this.generation++
    this.loading.clear()
  }

  private remember<T>(map: Map<string, Cached<T>>, key: string, value: T, now: number, generation: number) {
    if (generation !== this.generation) return
    if (map.size > 10_000) map.clear()
    map.set(key, { value, until: now + CACHE_MS })
  }

  /** Writes batched `last_used` / IP / user agent updates (one transaction per flush). */
  async flush(): Promise<void> {
    if (this.pendingSessions.size === 0 && this.pendingKeys.size === 0) return
    // In key order, so two processes flushing at once lock the rows in the same order.
    const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : 1)
    const sessions = [...this.pendingSessions].sort(byKey)
    const keys = [...this.pendingKeys].sort(byKey)
    this.pendingSessions.clear()
    this.pendingKeys.clear()
    try {
      await transaction(this.db, async (tx) => {
        for (const [uuid, s] of sessions) {
          await tx.update(userSessions).set({ last_used: s.at, ip: s.ip, user_agent: s.userAgent }).where(eq(userSessions.uuid, uuid))
        }
        for (const [uuid, at] of keys) await tx.update(userApiKeys).set({ last_used: at }).where(eq(userApiKeys.uuid, uuid))
      })
    } catch (e) {
      this.log.warn('could not record credential use', { error: e as Error })
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
  }
}

function unexpiredKey(row: ApiKeyRow | null, now: number): ApiKeyRow | null {
  return !row || (row.expires && row.expires.getTime() <= now) ? null : row
}

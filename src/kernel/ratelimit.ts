import type Redis from 'ioredis'
import { TooManyRequests } from './errors'

/** A bucket's budget: at most `hits` requests per fixed window of `window_seconds`. */
export interface RateLimitRule {
  hits: number
  window_seconds: number
}

export interface RateLimitResult {
  allowed: boolean
  count: number
  /** Unix milliseconds at which the window ends. */
  resetAt: number
}

class MemoryStore {
  private windows = new Map<string, { count: number; resetAt: number }>()
  private sweepAt = 0

  hit(key: string, windowMs: number, now: number): { count: number; resetAt: number } {
    if (now >= this.sweepAt) this.sweep(now)
    let w = this.windows.get(key)
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs }
      this.windows.set(key, w)
    }
    w.count++
    return w
  }

  private sweep(now: number) {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k)
    this.sweepAt = now + 10_000
  }
}

// Fixed window: the first hit creates the key with its expiry; later hits only count.
const HIT_SCRIPT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`

class RedisStore {
  constructor(
    private redis: Redis,
    private prefix: string,
  ) {}

  async hit(key: string, windowMs: number, now: number) {
    const [count, ttl] = (await (this.redis as any).eval(HIT_SCRIPT, 1, `${this.prefix}ratelimit:${key}`, windowMs)) as [number, number]
    return { count, resetAt: now + ttl }
  }
}

/**
 * Fixed-window rate limiter. Exactly `hits` requests pass per window; the next one gets 429.
 * Counts live in Redis when one is configured (shared by every panel process) and fall back to
 * process memory, without failing the request, while Redis is unreachable.
 * @example await limiter.consume('auth_login', clientIp, { hits: 20, window_seconds: 300 })
 */
export class RateLimiter {
  private memory = new MemoryStore()
  private redisStore?: RedisStore

  constructor(
    private redis?: Redis,
    prefix = '',
    private onFallback?: (error: unknown) => void,
  ) {
    if (redis) this.redisStore = new RedisStore(redis, prefix)
  }

  async check(bucket: string, subject: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const key = `${bucket}:${subject}`
    const windowMs = rule.window_seconds * 1000
    const now = Date.now()
    let result: { count: number; resetAt: number }
    if (this.redisStore && (this.redis as any).status === 'ready') {
      try {
        result = await this.redisStore.hit(key, windowMs, now)
      } catch (error) {
        this.onFallback?.(error)
        result = this.memory.hit(key, windowMs, now)
      }
    } else {
      result = this.memory.hit(key, windowMs, now)
    }
    return { allowed: result.count <= rule.hits, count: result.count, resetAt: result.resetAt }
  }

  /**
   * Counts one request and throws `TooManyRequests` (429) once the budget is spent. Counting in
   * process memory (no Redis, or Redis down) is synchronous: nothing to await on the hot path.
   */
  consume(bucket: string, subject: string, rule: RateLimitRule): Promise<void> | void {
    if (this.redisStore && (this.redis as any).status === 'ready') {
      return this.check(bucket, subject, rule).then((r) => {
        if (!r.allowed) throw tooMany(r.resetAt, rule)
      })
    }
    const hit = this.memory.hit(`${bucket}:${subject}`, rule.window_seconds * 1000, Date.now())
    if (hit.count > rule.hits) throw tooMany(hit.resetAt, rule)
  }
}

function tooMany(resetAt: number, rule: RateLimitRule): TooManyRequests {
  const retry = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000))
  return new TooManyRequests(retry, rule.hits, Math.ceil(resetAt / 1000))
}

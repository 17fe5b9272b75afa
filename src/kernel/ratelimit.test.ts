import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { TooManyRequests } from './errors'
import { RateLimiter, type RateLimitRule } from './ratelimit'

const REDIS_URL = 'redis://127.0.0.1:6379'
const PREFIX = `hatchery-test:${process.pid}-${Math.random().toString(36).slice(2, 10)}:`

async function connect(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectTimeout: 1000,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  await redis.connect().catch(() => {})
  return redis
}

async function rejection(fn: () => Promise<void> | void): Promise<TooManyRequests> {
  try {
    await fn()
  } catch (e) {
    expect(e).toBeInstanceOf(TooManyRequests)
    return e as TooManyRequests
  }
  throw new Error('expected TooManyRequests')
}

/** Consumes until the first 429; returns how many requests passed (stops at `max`). */
async function passes(limiter: RateLimiter, bucket: string, subject: string, rule: RateLimitRule, max = 100): Promise<number> {
  for (let i = 0; i < max; i++) {
    try {
      await limiter.consume(bucket, subject, rule)
    } catch (e) {
      if (e instanceof TooManyRequests) return i
      throw e
    }
  }
  return max
}

describe('RateLimiter in process memory', () => {
  test('exactly `hits` requests pass per window, then 429', async () => {
    const limiter = new RateLimiter()
    expect(await passes(limiter, 'auth/login', '203.0.113.7', { hits: 3, window_seconds: 60 })).toBe(3)
  })

  test('the 429 carries the message and the rate-limit headers', async () => {
    const limiter = new RateLimiter()
    const rule = { hits: 2, window_seconds: 30 }
    await limiter.consume('b', 's', rule)
    await limiter.consume('b', 's', rule)
    const before = Date.now()
    const e = await rejection(() => limiter.consume('b', 's', rule))
    expect(e.status).toBe(429)
    expect(e.messages).toHaveLength(1)
    expect(e.messages[0]).toMatch(/^you are ratelimited, retry in (29|30)s$/)
    const retry = Number(e.messages[0].match(/(\d+)s$/)![1])
    expect(e.headers!['retry-after']).toBe(String(retry))
    expect(e.headers!['x-ratelimit-limit']).toBe('2')
    expect(e.headers!['x-ratelimit-remaining']).toBe('0')
    const reset = Number(e.headers!['x-ratelimit-reset'])
    expect(reset).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 29)
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 30)
  })

  test('rejected requests keep counting but do not extend the window', async () => {
    const limiter = new RateLimiter()
    const rule = { hits: 1, window_seconds: 60 }
    const first = await limiter.check('b', 's', rule)
    const second = await limiter.check('b', 's', rule)
    const third = await limiter.check('b', 's', rule)
    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, false, false])
    expect([first.count, second.count, third.count]).toEqual([1, 2, 3])
    expect(third.resetAt).toBe(first.resetAt)
  })

  test('buckets and subjects are counted apart', async () => {
    const limiter = new RateLimiter()
    const rule = { hits: 1, window_seconds: 60 }
    await limiter.consume('auth/login', '1.1.1.1', rule)
    await limiter.consume('auth/login', '2.2.2.2', rule)
    await limiter.consume('auth/register', '1.1.1.1', rule)
    await rejection(() => limiter.consume('auth/login', '1.1.1.1', rule))
  })

  test('the window expiring resets the budget', async () => {
    const limiter = new RateLimiter()
    const rule = { hits: 2, window_seconds: 1 }
    expect(await passes(limiter, 'b', 's', rule)).toBe(2)
    await Bun.sleep(1100)
    expect(await passes(limiter, 'b', 's', rule)).toBe(2)
  })

  test('two limiters without Redis keep separate budgets', async () => {
    const a = new RateLimiter()
    const b = new RateLimiter()
    const rule = { hits: 1, window_seconds: 60 }
    await a.consume('b', 's', rule)
    await b.consume('b', 's', rule)
    await rejection(() => a.consume('b', 's', rule))
  })
})

describe('RateLimiter with Redis', () => {
  let redis: Redis
  let other: Redis

  beforeAll(async () => {
    redis = await connect(REDIS_URL)
    other = await connect(REDIS_URL)
    expect(redis.status).toBe('ready')
  })

  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`)
    if (keys.length) await redis.del(...keys)
    await redis.quit()
    await other.quit()
  })

  test('exactly `hits` requests pass, counted under <prefix>ratelimit:<bucket>:<subject>', async () => {
    const limiter = new RateLimiter(redis, PREFIX)
    expect(await passes(limiter, 'auth/login', '203.0.113.7', { hits: 3, window_seconds: 60 })).toBe(3)
    const key = `${PREFIX}ratelimit:auth/login:203.0.113.7`
    expect(await redis.get(key)).toBe('4')
    const ttl = await redis.pttl(key)
    expect(ttl).toBeGreaterThan(55_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  test('two limiters sharing one prefix share one budget', async () => {
    const a = new RateLimiter(redis, PREFIX)
    const b = new RateLimiter(other, PREFIX)
    const rule = { hits: 4, window_seconds: 60 }
    await a.consume('shared', 's', rule)
    await b.consume('shared', 's', rule)
    await a.consume('shared', 's', rule)
    await b.consume('shared', 's', rule)
    await rejection(() => a.consume('shared', 's', rule))
    await rejection(() => b.consume('shared', 's', rule))
  })

  test('different prefixes are different budgets', async () => {
    const a = new RateLimiter(redis, PREFIX)
    const b = new RateLimiter(redis, `${PREFIX}other:`)
    const rule = { hits: 1, window_seconds: 60 }
    await a.consume('prefixed', 's', rule)
    await b.consume('prefixed', 's', rule)
    await rejection(() => a.consume('prefixed', 's', rule))
  })

  test('the 429 reports the time left in the Redis window', async () => {
    const limiter = new RateLimiter(redis, PREFIX)
    const rule = { hits: 1, window_seconds: 20 }
    await limiter.consume('retry', 's', rule)
    const e = await rejection(() => limiter.consume('retry', 's', rule))
    expect(e.headers!['retry-after']).toMatch(/^(19|20)$/)
    expect(e.messages[0]).toBe(`you are ratelimited, retry in ${e.headers!['retry-after']}s`)
  })

  test('the window expiring resets the budget', async () => {
    const limiter = new RateLimiter(redis, PREFIX)
    const rule = { hits: 2, window_seconds: 1 }
    expect(await passes(limiter, 'expiry', 's', rule)).toBe(2)
    await Bun.sleep(1100)
    expect(await passes(limiter, 'expiry', 's', rule)).toBe(2)
  })

  test('a key that lost its expiry gets one again', async () => {
    const key = `${PREFIX}ratelimit:noexpiry:s`
    await redis.set(key, '1')
    const limiter = new RateLimiter(redis, PREFIX)
    const r = await limiter.check('noexpiry', 's', { hits: 5, window_seconds: 30 })
    expect(r.count).toBe(2)
    expect(await redis.pttl(key)).toBeGreaterThan(25_000)
  })
})

describe('RateLimiter with Redis unreachable', () => {
  let down: Redis

  beforeAll(async () => {
    down = await connect('redis://127.0.0.1:1')
  })

  afterAll(() => down.disconnect())

  test('limits still apply in process memory and no request fails otherwise', async () => {
    expect(down.status).not.toBe('ready')
    const limiter = new RateLimiter(down, PREFIX)
    expect(await passes(limiter, 'down', 's', { hits: 3, window_seconds: 60 })).toBe(3)
  })

  test('a Redis error during a request falls back to memory and is reported', async () => {
    const redis = await connect(REDIS_URL)
    const errors: unknown[] = []
    const limiter = new RateLimiter(redis, PREFIX, (e) => errors.push(e))
    // Make every command fail while the connection stays 'ready'.
    ;(redis as any).eval = () => Promise.reject(new Error('connection lost'))
    expect(await passes(limiter, 'flaky', 's', { hits: 2, window_seconds: 60 })).toBe(2)
    expect(errors.length).toBe(3)
    expect((errors[0] as Error).message).toBe('connection lost')
    redis.disconnect()
  })
})

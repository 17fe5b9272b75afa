import { afterAll, setDefaultTimeout } from 'bun:test'
import { dropTemplates, RUN_ID } from '../src/testing/db'
import { installHostResolver } from '../src/kernel/loader'

// Tests of external plugins (`bun test $PLUGINS_DIR` from the panel's checkout) import
// `hatchery/testing`, `bun:test` and the host's packages the way their plugin code does.
if (process.env.PLUGINS_DIR) installHostResolver(process.env.PLUGINS_DIR)

// Tests are quiet unless LOG_LEVEL asks otherwise.
process.env.LOG_LEVEL ??= 'silent'

// bunfig's [test] timeout is not applied by this Bun, and this call does not reach every file:
// package.json's `bun test --timeout 30000` is what holds. Password hashing and PGlite need more than 5 s.
setDefaultTimeout(30_000)

afterAll(async () => {
  await dropTemplates()
  await dropRedisKeys(`hatchery-test:${RUN_ID}:`)
})

/** Removes the Redis keys this run wrote (every test app prefixes them with the run id). */
async function dropRedisKeys(prefix: string) {
  const { default: Redis } = await import('ioredis')
  const redis = new Redis(process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } catch {
    // No Redis in this environment: nothing was written there.
  } finally {
    redis.disconnect()
  }
}

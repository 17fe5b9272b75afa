import { beforeAll, describe, expect, test } from 'bun:test'
import { login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { usersApi } from './test-helpers'

const t = useTestApp()
let key: string
let userUuid: string

beforeAll(async () => {
  await relaxRateLimits(t)
  const user = await makeUser(t)
  userUuid = user.uuid
  key = (await makeApiKey(t, await login(t, user))).key
})

/** The selects of API keys sent on the request pool while `fn` runs. */
async function keyLookups(fn: () => Promise<unknown>): Promise<number> {
  const client = (t.kernel.database.db as unknown as { $client: { query: (...a: any[]) => any } }).$client
  const query = client.query
  let seen = 0
  client.query = function (this: unknown, ...args: any[]) {
    const text: string = typeof args[0] === 'string' ? args[0] : args[0]?.text
    if (/^select\b/i.test(text) && text.includes('"user_api_keys"')) seen++
    return query.apply(this, args)
  }
  try {
    await fn()
  } finally {
    client.query = query
  }
  return seen
}

describe('the credentials cache', () => {
  test('requests that miss together share one load', async () => {
    const credentials = usersApi(t).credentials
    credentials.invalidate()
    let rows: unknown[] = []
    const lookups = await keyLookups(async () => {
      rows = await Promise.all(Array.from({ length: 10 }, () => credentials.findApiKey(key)))
    })
    expect(lookups).toBe(1)
    expect(new Set(rows.map((r) => (r as { uuid: string }).uuid)).size).toBe(1)
    // Then it is cached: answered without a promise.
    expect(credentials.findApiKey(key)).not.toBeInstanceOf(Promise)
  })

  test('a load under way when the cache is dropped is neither joined nor remembered', async () => {
    const credentials = usersApi(t).credentials
    credentials.invalidate()
    const lookups = await keyLookups(async () => {
      const before = credentials.findApiKey(key)
      expect(before).toBeInstanceOf(Promise)
      credentials.forget(userUuid)
      const after = credentials.findApiKey(key)
      await Promise.all([before, after])
    })
    expect(lookups).toBe(2)
    // The second load started after the drop, so its row is remembered.
    expect(credentials.findApiKey(key)).not.toBeInstanceOf(Promise)

    credentials.invalidate()
    const stale = credentials.findApiKey(key)
    credentials.forget(userUuid)
    await stale
    expect(credentials.findApiKey(key)).toBeInstanceOf(Promise)
  })
})

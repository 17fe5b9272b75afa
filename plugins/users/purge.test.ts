import { describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { login, makeApiKey, makeUser, useTestApp } from 'hatchery/testing'
import { userApiKeys, userSessions } from './tables'

describe('background purges', () => {
  const t = useTestApp()

  test('users:purge-sessions deletes sessions idle longer than the session duration, and only those', async () => {
    const user = await makeUser(t)
    const stale = await login(t, user)
    const fresh = await login(t, user)
    await t.kernel.contexts
      .get('users')!
      .api((await import('./index')).default)
      .credentials.flush()
    const [staleRow] = await t.kernel.database.db
      .select()
      .from(userSessions)
      .where(eq(userSessions.user_uuid, user.uuid))
      .orderBy(userSessions.created)
      .limit(1)
    await t.kernel.database.db
      .update(userSessions)
      .set({ last_used: sql`now() - interval '8 days'` })
      .where(eq(userSessions.uuid, staleRow.uuid))
    await t.kernel.jobs.runNow('users:purge-sessions')
    const left = await t.kernel.database.db
      .select({ uuid: userSessions.uuid })
      .from(userSessions)
      .where(eq(userSessions.user_uuid, user.uuid))
    expect(left.map((r) => r.uuid)).not.toContain(staleRow.uuid)
    expect(left).toHaveLength(1)
    expect((await t.request('GET', '/api/client/account', { cookie: fresh })).status).toBe(200)
    expect((await t.request('GET', '/api/client/account', { cookie: stale })).status).toBe(401)
  })

  test('users:purge-api-keys deletes expired keys, and only those', async () => {
    const user = await makeUser(t)
    const cookie = await login(t, user)
    const soon = await makeApiKey(t, cookie, { expires: new Date(Date.now() + 60_000).toISOString() })
    const never = await makeApiKey(t, cookie)
    await t.kernel.database.db
      .update(userApiKeys)
      .set({ expires: sql`now() - interval '1 minute'` })
      .where(eq(userApiKeys.uuid, soon.uuid))
    await t.kernel.jobs.runNow('users:purge-api-keys')
    const left = await t.kernel.database.db.select({ uuid: userApiKeys.uuid }).from(userApiKeys).where(eq(userApiKeys.user_uuid, user.uuid))
    expect(left.map((r) => r.uuid)).toEqual([never.uuid])
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { activitiesOf, useTestApp } from 'hatchery/testing'
import { anonymousActor, transaction } from 'hatchery'
import { lockUser } from '../users'
import { session } from './test-helpers'

const BASE = '/api/client/account/command-snippets'
const EGG = '11111111-1111-4111-8111-111111111111'

/**
 * One user's writes racing each other: each takes the user's row first (`userTransaction`), so
 * none deadlocks against another's foreign-key checks, and a deadlock would be re-run, not a 500.
 */
describe('concurrent command-snippet writes of one user', () => {
  const t = useTestApp()
  let cookie: string
  let userUuid: string
  const old: { uuid: string; name: string }[] = []

  beforeAll(async () => {
    const s = await session(t)
    cookie = s.cookie
    userUuid = s.user.uuid
    await t.kernel.settings.update({ 'user.max_command_snippet_count': 1000 })
    for (let i = 0; i < 50; i++) {
      const res = await t.request('POST', BASE, { cookie, body: { name: `old-${i}`, eggs: [EGG], command: 'say hi' } })
      expect(res.status).toBe(200)
      old.push(res.body.command_snippet)
    }
  })

  test('50 deletes and 50 creates in parallel (half of them reusing a name being deleted): no 5xx, rows and activity match', async () => {
    const create = (name: string) => t.request('POST', BASE, { cookie, body: { name, eggs: [EGG], command: 'say hi' } })
    const deletes: Promise<Awaited<ReturnType<typeof create>>>[] = []
    const fresh: typeof deletes = []
    const reused: typeof deletes = []
    // Interleaved, so each reusing create races the delete of its name and the fresh creates race both.
    for (let i = 0; i < 25; i++) {
      deletes.push(t.request('DELETE', `${BASE}/${old[i].uuid}`, { cookie }))
      fresh.push(create(`new-${i}`))
      deletes.push(t.request('DELETE', `${BASE}/${old[25 + i].uuid}`, { cookie }))
      reused.push(create(old[25 + i].name))
    }
    const [d, f, r] = await Promise.all([Promise.all(deletes), Promise.all(fresh), Promise.all(reused)])

    expect(d.map((x) => x.status)).toEqual(Array(50).fill(200))
    expect(f.map((x) => x.status)).toEqual(Array(25).fill(200))
    // A reused name is free only once its delete committed; before that the create is a 409.
    for (const x of r) expect([200, 409]).toContain(x.status)
    const reusedOk = r.filter((x) => x.status === 200).map((x) => x.body.command_snippet.name)

    const list = await t.request('GET', `${BASE}?per_page=100`, { cookie })
    expect(list.status).toBe(200)
    expect(list.body.command_snippets.total).toBe(25 + reusedOk.length)
    expect(list.body.command_snippets.data.map((s: { name: string }) => s.name).sort()).toEqual(
      [...Array.from({ length: 25 }, (_, i) => `new-${i}`), ...reusedOk].sort(),
    )
    expect(await activitiesOf(t, userUuid, 'user:command-snippet.delete')).toHaveLength(50)
    expect(await activitiesOf(t, userUuid, 'user:command-snippet.create')).toHaveLength(50 + 25 + reusedOk.length)
  }, 60_000)

  test.skipIf(!process.env.DATABASE_URL)(
    'lockUser lets through the foreign-key check of an insert referencing the user (PostgreSQL)',
    async () => {
      let release!: () => void
      let locked!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      const isLocked = new Promise<void>((resolve) => (locked = resolve))
      const holder = transaction(t.kernel.database.db, async (tx) => {
        await lockUser(tx, userUuid)
        locked()
        await held
      })
      await isLocked
      // Under FOR UPDATE this insert's FOR KEY SHARE check would wait for `holder` to end.
      const insert = t.kernel.activity.user(t.kernel.database.db, anonymousActor(userUuid, null), 'test:probe').then(() => 'inserted')
      const outcome = await Promise.race([insert, new Promise((resolve) => setTimeout(resolve, 2000, 'blocked'))])
      release()
      await holder
      expect(outcome).toBe('inserted')
    },
  )
})

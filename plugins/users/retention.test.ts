import { beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { makeUser, runJob, SETUP_TIMEOUT, useTestApp, type TestUser } from 'hatchery/testing'
import { enforceActivityRetention } from './service/retention'

const t = useTestApp()
const q = <T = Record<string, unknown>>(query: ReturnType<typeof sql>) => t.kernel.database.query<T>(query)
let alice: TestUser
let bob: TestUser

beforeAll(async () => {
  alice = await makeUser(t)
  bob = await makeUser(t)
}, SETUP_TIMEOUT)

beforeEach(async () => {
  await q(sql`delete from user_activities`)
  await q(sql`delete from admin_activities`)
  await t.kernel.settings.reset([
    'activity.user_log_retention_days',
    'activity.user_log_retention_count',
    'activity.admin_log_retention_days',
    'activity.admin_log_retention_count',
  ])
})

/** `n` rows for `user`, the i-th `ageDays + i` minutes older than now minus `ageDays` days. */
async function userRows(user: string, n: number, ageDays: number, event = 'test:row') {
  await q(sql`insert into user_activities (user_uuid, event, created)
    select ${user}::uuid, ${event}, now() - make_interval(days => ${ageDays}) - make_interval(mins => g) from generate_series(1, ${n}) g`)
}
async function adminRows(user: string | null, n: number, ageDays: number, event = 'test:row') {
  await q(sql`insert into admin_activities (user_uuid, event, created)
    select ${user}::uuid, ${event}, now() - make_interval(days => ${ageDays}) - make_interval(mins => g) from generate_series(1, ${n}) g`)
}

/** The trigger-kept counts agree with the rows, user by user and for the whole admin log. */
async function expectCountsExact() {
  const userDiff = await q(sql`select coalesce(c.user_uuid, r.user_uuid) as u from user_activity_counts c
    full join (select user_uuid, count(*) n from user_activities group by 1) r on r.user_uuid = c.user_uuid where c.count is distinct from r.n`)
  expect(userDiff).toEqual([])
  const adminDiff = await q(sql`select coalesce(c.subject, r.k) as k from admin_activity_counts c
    full join (select user_uuid k, count(*) n from admin_activities where user_uuid is not null group by 1
               union all select '00000000-0000-0000-0000-000000000000', count(*) from admin_activities having count(*) > 0) r on r.k = c.subject
    where c.count is distinct from r.n`)
  expect(adminDiff).toEqual([])
}

const userCount = async (user: string) =>
  (await q<{ n: number }>(sql`select count(*)::int n from user_activities where user_uuid = ${user}`))[0].n
const adminCount = async () => (await q<{ n: number }>(sql`select count(*)::int n from admin_activities`))[0].n

describe('job users:activity-retention', () => {
  test('rows older than the retention days go, newer stay, counts stay exact', async () => {
    await t.kernel.settings.update({ 'activity.user_log_retention_days': 30, 'activity.admin_log_retention_days': 10 })
    await userRows(alice.uuid, 5, 31, 'test:old')
    await userRows(alice.uuid, 3, 1, 'test:new')
    await userRows(bob.uuid, 4, 40, 'test:old')
    await adminRows(alice.uuid, 6, 11, 'test:old')
    await adminRows(null, 2, 12, 'test:old')
    await adminRows(bob.uuid, 2, 9, 'test:new')
    await runJob(t, 'users:activity-retention')
    expect(await userCount(alice.uuid)).toBe(3)
    expect(await userCount(bob.uuid)).toBe(0)
    expect(await q(sql`select 1 from user_activities where event = 'test:old'`)).toEqual([])
    expect(await adminCount()).toBe(2)
    expect(await q(sql`select 1 from admin_activities where event = 'test:old'`)).toEqual([])
    await expectCountsExact()
    // Bob has no activity left: his count row is gone (the list total reads 0).
    expect(await q(sql`select 1 from user_activity_counts where user_uuid = ${bob.uuid}`)).toEqual([])
  })

  test('the count cut is exact for rows created within the same millisecond (microseconds apart)', async () => {
    await q(sql`delete from admin_activities`)
    await t.kernel.settings.update({ 'activity.admin_log_retention_count': 2, 'activity.admin_log_retention_days': 3650 })
    await q(sql`insert into admin_activities (user_uuid, event, created) values
      (null, 'us:1', now() - interval '1 hour' + interval '100 microseconds'),
      (null, 'us:2', now() - interval '1 hour' + interval '300 microseconds'),
      (null, 'us:3', now() - interval '1 hour' + interval '500 microseconds')`)
    await runJob(t, 'users:activity-retention')
    expect((await q<{ event: string }>(sql`select event from admin_activities order by created desc`)).map((r) => r.event)).toEqual([
      'us:3',
      'us:2',
    ])
    await expectCountsExact()
  })

  test('past the count only the newest stay: per user for the user log, in all for the admin log', async () => {
    await t.kernel.settings.update({ 'activity.user_log_retention_count': 4, 'activity.admin_log_retention_count': 5 })
    await userRows(alice.uuid, 10, 0)
    await userRows(bob.uuid, 3, 0)
    await adminRows(alice.uuid, 4, 0)
    await adminRows(bob.uuid, 4, 0)
    const newestAlice = await q<{ id: number }>(
      sql`select id from user_activities where user_uuid = ${alice.uuid} order by created desc, id desc limit 4`,
    )
    const newestAdmin = await q<{ id: number }>(sql`select id from admin_activities order by created desc, id desc limit 5`)
    await runJob(t, 'users:activity-retention')
    expect(
      (await q<{ id: number }>(sql`select id from user_activities where user_uuid = ${alice.uuid} order by created desc, id desc`)).map(
        (r) => r.id,
      ),
    ).toEqual(newestAlice.map((r) => r.id))
    expect(await userCount(bob.uuid)).toBe(3)
    expect((await q<{ id: number }>(sql`select id from admin_activities order by created desc, id desc`)).map((r) => r.id)).toEqual(
      newestAdmin.map((r) => r.id),
    )
    await expectCountsExact()
  })

  test('with batches smaller than the rows due (5 at a time for 23 and 14), every row due goes and the counts stay exact', async () => {
    await t.kernel.settings.update({ 'activity.user_log_retention_days': 1, 'activity.admin_log_retention_count': 3 })
    await userRows(alice.uuid, 23, 2)
    await userRows(bob.uuid, 2, 0)
    await adminRows(alice.uuid, 17, 0)
    const result = await enforceActivityRetention(t.kernel.database.background, await t.kernel.settings.snapshot(), 5)
    expect(result).toEqual({ user: 23, admin: 14 })
    expect(await userCount(alice.uuid)).toBe(0)
    expect(await userCount(bob.uuid)).toBe(2)
    expect(await adminCount()).toBe(3)
    await expectCountsExact()
  })

  test('nothing due: nothing deleted', async () => {
    await userRows(alice.uuid, 3, 0)
    await adminRows(null, 3, 0)
    expect(await enforceActivityRetention(t.kernel.database.background, await t.kernel.settings.snapshot())).toEqual({ user: 0, admin: 0 })
    expect(await userCount(alice.uuid)).toBe(3)
    await expectCountsExact()
  })
})

/**
 * First-page latency and plans of the activity lists at 1,000 and 100,000 rows of one user
 * (plus as many of other users), on PostgreSQL. Creates and drops a database of its own.
 *   DATABASE_URL=postgres://… bun bench/activity-list.ts
 */
import { sql } from 'drizzle-orm'
import { openDatabase, type Database } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { CORE_MIGRATIONS } from '../src/kernel/app'
import { discoverPlugins } from '../src/kernel/loader'
import { pageParams, type SettingsSnapshot } from '../src/kernel'
import { listAdminActivity, listUserActivity } from '../plugins/users'
import { p50 } from './measure'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is required')
const name = `hatchery_bench_activity_${process.pid}`
const at = (db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString()
const server = await openDatabase({ databaseUrl: url, dataDir: '', max: 1 })
await server.query(sql.raw(`create database "${name}"`))
const database = await openDatabase({ databaseUrl: at(name), dataDir: '', max: 2 })
const settings = undefined as unknown as SettingsSnapshot // no impersonators: never read

async function fill(db: Database, user: string, rows: number) {
  await db.query(sql`insert into user_activities (user_uuid, event, ip, data, created)
    select ${user}, case when g % 10 = 0 then 'auth:success' else 'user:command-snippet.create' end, '127.0.0.1', '{"name":"x","eggs":[]}'::jsonb,
      now() - make_interval(secs => g) from generate_series(1, ${rows}) g`)
  await db.query(sql`insert into admin_activities (user_uuid, event, ip, data, created)
    select ${user}, 'user:update', '127.0.0.1', '{}'::jsonb, now() - make_interval(secs => g) from generate_series(1, ${rows}) g`)
  await db.query(sql`vacuum analyze`) // what autovacuum leaves: the visibility map lets counts be index-only scans
}

async function report(db: Database, user: string, label: string) {
  const first = pageParams({})
  const figures = {
    user: await p50(() => listUserActivity(db.db, user, first, settings)),
    'user search': await p50(() => listUserActivity(db.db, user, pageParams({ search: 'auth' }), settings)),
    'user page 100': await p50(() => listUserActivity(db.db, user, pageParams({ page: 100 }), settings)),
    admin: await p50(() => listAdminActivity(db.db, first, settings)),
    'admin one user': await p50(() => listAdminActivity(db.db, first, settings, { user })),
    'old query (count(*) over ())': await p50(() =>
      db.query(
        sql`select *, (count(*) over ())::int from user_activities where user_uuid = ${user} order by created desc, id desc limit 10`,
      ),
    ),
  }
  console.log(label, Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, `${v.toFixed(2)} ms`])))
}

async function explain(db: Database, query: string) {
  const rows = await db.query<{ 'QUERY PLAN': string }>(sql.raw(`explain (analyze, buffers) ${query}`))
  console.log(`\n${query}\n${rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`)
}

try {
  const plugins = await discoverPlugins()
  await migrate(database, [
    { owner: 'core', dir: CORE_MIGRATIONS },
    ...plugins.filter((p) => p.migrationsDir).map((p) => ({ owner: p.descriptor.name, dir: p.migrationsDir! })),
  ])
  const make = async (n: number) =>
    (
      await database.query<{ uuid: string }>(
        sql`insert into users (username, email, name_first, name_last) values (${`bench${n}`}, ${`bench${n}@example.com`}, 'B', 'U') returning uuid`,
      )
    )[0].uuid
  const [user, other] = [await make(1), await make(2)]
  await fill(database, user, 1_000)
  await fill(database, other, 1_000)
  await report(database, user, '1,000 rows of the user (+1,000 of another):')
  await fill(database, user, 99_000)
  await fill(database, other, 99_000)
  await report(database, user, '100,000 rows of the user (+100,000 of another):')
  await explain(database, `select * from user_activities where user_uuid = '${user}' order by created desc, id desc limit 10`)
  await explain(database, `select count(*) from user_activities where user_uuid = '${user}'`)
  await explain(
    database,
    `select a.* from admin_activities a left join users actor on actor.uuid = a.user_uuid order by a.created desc, a.id desc limit 10`,
  )
  await explain(database, `select * from admin_activities where user_uuid = '${user}' order by created desc, id desc limit 10`)
} finally {
  await database.close()
  await server.query(sql.raw(`drop database if exists "${name}" with (force)`))
  await server.close()
}

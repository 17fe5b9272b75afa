/**
 * The client server routes' queries at 100 and 10,000 servers (over 1,000 accounts), on PostgreSQL:
 * in-process p50 of `GET /api/client/servers` (first page of 10, as the owner of 100 servers) and
 * of `GET /api/client/servers/{server}` (the owner's lookup and the server object), then each
 * statement they send with its `EXPLAIN (ANALYZE, BUFFERS)` plan at 10,000 servers. The plans
 * are PostgreSQL's own (`auto_explain`, sent back as notices), of the statements as Drizzle sends
 * them. Creates and drops a database of its own on the `DATABASE_URL` admin server (`--keep` keeps
 * it, to try queries in psql; drop it yourself).
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/explain-servers.ts [--keep]
 */
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { openDatabase, type Db } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { CORE_MIGRATIONS } from '../src/kernel/app'
import { discoverPlugins } from '../src/kernel/loader'
import { pageParams, type Principal, type PrincipalUser } from '../src/kernel'
import { listClientServers, toClientServers } from '../plugins/servers/client/servers'
import { visibleServer } from '../plugins/servers/client/scope'
import type { ServersApi } from '../plugins/servers/api'
import { benchServers, benchServerUuid } from './servers'
import { p50 } from './measure'

const keep = Bun.argv.includes('--keep')
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const name = `hatchery_bench_servers_${process.pid}`
const at = (db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString()
const server = await openDatabase({ databaseUrl: url, dataDir: '', max: 1 })
await server.query(sql.raw(`create database "${name}"`))
const database = await openDatabase({ databaseUrl: at(name), dataDir: '', max: 2 })

// One connection of its own whose every statement PostgreSQL explains (analyze, buffers) and
// sends back as a notice (auto_explain, loaded by this superuser session).
const plans: string[] = []
const explained = new pg.Client({ connectionString: at(name) })
explained.on('notice', (n) => plans.push(n.message ?? ''))
await explained.connect()
const explaining = drizzle(explained) as unknown as Db
const explain = async (on: boolean) =>
  explained.query(
    on
      ? `load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
         set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice; set client_min_messages = notice`
      : `set auto_explain.log_min_duration = -1`,
  )

try {
  const plugins = await discoverPlugins()
  await migrate(database, [
    { owner: 'core', dir: CORE_MIGRATIONS },
    ...plugins.filter((p) => p.migrationsDir).map((p) => ({ owner: p.descriptor.name, dir: p.migrationsDir! })),
  ])
  const [{ uuid }] = await database.query<{ uuid: string }>(
    sql`insert into users (username, email, name_first, name_last) values ('bench', 'bench@example.com', 'B', 'B') returning uuid`,
  )
  const user: PrincipalUser = {
    uuid,
    username: 'bench',
    email: 'bench@example.com',
    admin: false,
    suspended: false,
    frozen: false,
    totpEnabled: false,
    requireTwoFactor: false,
    role: null,
  }
  const principal: Principal = { user, actor: user, method: 'session', sessionUuid: null, apiKey: null, impersonator: null }
  // The owner's lookup never asks the subusers service.
  const api = undefined as unknown as ServersApi
  const target = benchServerUuid(50)
  const list = (db: Db) => listClientServers(db, principal, pageParams({ per_page: 10 }), false)
  const one = async (db: Db) => {
    const { server, access } = await visibleServer(db, api, principal, target)
    return toClientServers(db, principal, [server], () => access)
  }
  const figures: Record<string, Record<string, string>> = {}
  for (const total of [100, 10_000]) {
    const started = performance.now()
    await benchServers(database, uuid, total)
    const label = `${total.toLocaleString('en-US')} servers`
    console.error(`seeded ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const page = await list(database.db)
    if (page.total !== 100 || page.data.length !== 10)
      throw new Error(`the list answered ${page.total} servers, ${page.data.length} on the page`)
    figures[label] = {
      'GET /api/client/servers': `${(await p50(() => list(database.db), 200, 20)).toFixed(2)} ms`,
      'GET /api/client/servers/{server}': `${(await p50(() => one(database.db), 200, 20)).toFixed(2)} ms`,
    }
  }
  console.log('p50 in-process (no HTTP, no authentication), 200 runs after 20:')
  console.table(figures)
  await explain(true)
  for (const [title, run] of [
    ['GET /api/client/servers?per_page=10 (owner of 100 of 10,000 servers)', () => list(explaining)],
    ['GET /api/client/servers/{server} (its owner)', () => one(explaining)],
  ] as const) {
    plans.length = 0
    await run()
    console.log(`\n## ${title}: ${plans.length} statements\n`)
    for (const plan of plans) console.log(plan.replace(/^duration: [\d.]+ ms {2}plan:\n/, '') + '\n')
  }
  await explain(false)
} finally {
  await explained.end()
  await database.close()
  if (keep) console.error(`kept database ${name}`)
  else await server.query(sql.raw(`drop database if exists "${name}" with (force)`))
  await server.close()
}

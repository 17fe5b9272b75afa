/**
 * The servers fixture of the client server scenarios (`npm run bench`) and of `bench/explain-servers.ts`:
 * one account owning BENCH_SERVERS servers, and as many more servers as a step asks for, spread
 * over OTHER_OWNERS other accounts, all written in SQL with multi-row inserts.
 */
import { sql } from 'drizzle-orm'
import type { Database } from '../src/db/client'

/** Servers of the measured account (the list shows 10 of them per page). */
export const BENCH_SERVERS = 100
/** Accounts owning the other servers (with the measured one: 1,000 users). */
export const OTHER_OWNERS = 999
const NODES = 10

// Every uuid is made from the server's number `i` (1-based), so the scenarios know the paths
// up front: `<8 hex of PREFIX + i>-0000-4000-<kind>-<12 hex of i>`. The first 8 hex digits are
// the short id (`uuid_short`, unique) of a server.
const PREFIX = 0x0b000000
const uuidOf = (i: number, kind = '8000') =>
  `${(PREFIX + i).toString(16).padStart(8, '0')}-0000-4000-${kind}-${i.toString(16).padStart(12, '0')}`
const uuidSql = (i: ReturnType<typeof sql.raw>, kind: string) =>
  sql`(lpad(to_hex(${PREFIX}::int + ${i}), 8, '0') || '-0000-4000-' || ${kind} || '-' || lpad(to_hex(${i}), 12, '0'))::uuid`

/** The uuid of the measured account's `n`th server (1 to BENCH_SERVERS). */
export const benchServerUuid = (n: number) => uuidOf(n)

/** A location, NODES nodes, a nest and an egg, and the OTHER_OWNERS accounts, once per database. */
async function base(db: Database): Promise<{ egg: string; nodes: string[]; owners: string[] }> {
  const [existing] = await db.query<{ uuid: string }>(sql`select uuid from nest_eggs where name = 'bench-servers'`)
  if (!existing) {
    await db.query(sql`
      with location as (insert into locations (name) values ('bench-servers') returning uuid)
      insert into nodes (location_uuid, name, url, sftp_port, memory, disk, token_id, token)
      select location.uuid, 'bench-servers-' || n, 'https://node' || n || '.servers.bench.example.com:8080', 2022, 0, 0,
             'benchsrv' || lpad(n::text, 8, '0'), 'bench'
      from location, generate_series(1, ${NODES}) n`)
    await db.query(sql`
      with nest as (insert into nests (author, name) values ('bench@example.com', 'bench-servers') returning uuid)
      insert into nest_eggs (nest_uuid, author, name, config_startup, config_stop, config_script, startup_commands, docker_images)
      select uuid, 'bench@example.com', 'bench-servers', '{"done":["Done"],"strip_ansi":false}', '{"type":"command","value":"stop"}',
             '{"container":"debian","entrypoint":"bash","content":"echo"}', '[["Default","java -jar server.jar"]]',
             '[["Java 21","ghcr.io/pterodactyl/yolks:java_21"]]'
      from nest`)
    await db.query(sql`
      insert into users (username, email, name_first, name_last)
      select 'bench-owner-' || n, 'bench-owner-' || n || '@example.com', 'B', 'O' from generate_series(1, ${OTHER_OWNERS}) n`)
  }
  const [{ egg }] = await db.query<{ egg: string }>(sql`select uuid as egg from nest_eggs where name = 'bench-servers'`)
  const nodes = await db.query<{ uuid: string }>(sql`select uuid from nodes where name like 'bench-servers-%' order by name`)
  const owners = await db.query<{ uuid: string }>(sql`select uuid from users where username like 'bench-owner-%' order by username`)
  return { egg, nodes: nodes.map((n) => n.uuid), owners: owners.map((o) => o.uuid) }
}

/**
 * Servers `from` to `to` (numbers), each with its own node allocation (a distinct address,
 * port 25565) as its primary allocation, created in one statement: servers `i` ≤ BENCH_SERVERS
 * belong to `bench`, the others to the other accounts in turn, every third of those with the
 * next account as a subuser. Newer numbers are older servers (`created` goes back a minute each).
 */
async function insertServers(db: Database, bench: string, from: number, to: number): Promise<void> {
  if (to < from) return
  const { egg, nodes, owners } = await base(db)
  const i = sql.raw('g.i')
  await db.query(sql`
    with g as (select i from generate_series(${from}::int, ${to}::int) i),
    s as (
      insert into servers (uuid, uuid_short, node_uuid, owner_uuid, egg_uuid, name, memory, swap, disk, cpu, startup, image, created)
      select ${uuidSql(i, '8000')}, ${PREFIX}::int + g.i, (${sql.param(nodes)}::uuid[])[1 + g.i % ${nodes.length}],
             case when g.i <= ${BENCH_SERVERS} then ${bench}::uuid else (${sql.param(owners)}::uuid[])[1 + g.i % ${owners.length}] end,
             ${egg}, 'bench-' || g.i, 1024, 0, 4096, 100, 'java -jar {{SERVER_JARFILE}}', 'ghcr.io/pterodactyl/yolks:java_21',
             now() - make_interval(mins => g.i)
      from g returning uuid
    ),
    na as (
      insert into node_allocations (uuid, node_uuid, ip, port)
      select ${uuidSql(i, 'a000')}, (${sql.param(nodes)}::uuid[])[1 + g.i % ${nodes.length}],
             ('10.' || (g.i >> 16) % 256 || '.' || (g.i >> 8) % 256 || '.' || g.i % 256)::inet, 25565
      from g returning uuid
    ),
    sa as (
      insert into server_allocations (uuid, server_uuid, allocation_uuid)
      select ${uuidSql(i, 'b000')}, ${uuidSql(i, '8000')}, ${uuidSql(i, 'a000')} from g returning uuid
    )
    insert into server_subusers (server_uuid, user_uuid, permissions)
    select ${uuidSql(i, '8000')}, (${sql.param(owners)}::uuid[])[1 + (g.i + 1) % ${owners.length}], '{control.console}'
    from g where g.i > ${BENCH_SERVERS} and g.i % 3 = 0`)
  // The primary allocation points back at its server: set once both rows exist.
  await db.query(sql`
    update servers set allocation_uuid = ${uuidSql(sql.raw('n'), 'b000')}
    from (select generate_series(${from}::int, ${to}::int) n) g where servers.uuid = ${uuidSql(sql.raw('g.n'), '8000')}`)
}

/**
 * Leaves exactly `total` servers of the fixture in the database (at least BENCH_SERVERS, those of
 * `bench`): adds the missing ones, or removes the newest-numbered ones (and their node
 * allocations) down to `total`; then VACUUM ANALYZE, as autovacuum would after such a batch.
 */
export async function benchServers(db: Database, bench: string, total: number): Promise<void> {
  total = Math.max(total, BENCH_SERVERS)
  const [{ n }] = await db.query<{ n: number }>(
    sql`select count(*)::int as n from servers where uuid_short > ${PREFIX}::int and uuid_short <= ${PREFIX + 1_000_000}::int`,
  )
  if (n < total) await insertServers(db, bench, n + 1, total)
  else if (n > total) {
    await db.query(sql`delete from servers where uuid_short > ${PREFIX + total}::int and uuid_short <= ${PREFIX + 1_000_000}::int`)
    await db.query(sql`delete from node_allocations na where na.uuid::text like '%-0000-4000-a000-%'
      and not exists (select 1 from server_allocations sa where sa.allocation_uuid = na.uuid)`)
  }
  await db.query(sql`vacuum analyze servers`)
  await db.query(sql`vacuum analyze server_allocations`)
  await db.query(sql`vacuum analyze server_subusers`)
  await db.query(sql`vacuum analyze node_allocations`)
  await db.query(sql`vacuum analyze users`)
}

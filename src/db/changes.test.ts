import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { ANY_TABLE, BEGIN, classifyStatement, COMMIT, READ, ROLLBACK, watch, type Watch } from './changes'
import { transaction } from './transaction'

describe('classifyStatement', () => {
  test.each([
    ['select "uuid" from "servers" where "uuid" = $1', READ],
    ['  SELECT 1', READ],
    ['select * from "servers" for update', READ],
    ['(select 1) union (select 2)', READ],
    ['show statement_timeout', READ],
    ['set local statement_timeout = 5', READ],
    ['savepoint sp1', READ],
    ['release savepoint sp1', READ],
    ['rollback to savepoint sp1', READ],
    ['with "x" as (select 1) select * from "x"', READ],
    ['with "x" as (select * from "servers" for no key update) select * from "x"', READ],
    ['begin', BEGIN],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', BEGIN],
    ['commit', COMMIT],
    ['rollback', ROLLBACK],
    ['insert into "servers" ("uuid") values ($1)', 'servers'],
    ['insert into "public"."server_subusers" ("uuid") values ($1) on conflict do update set "x" = 1', 'server_subusers'],
    ['update "nodes" set "name" = $1 where "uuid" = $2', 'nodes'],
    ['UPDATE Nodes SET name = 1', 'nodes'],
    ['update only "nodes" set "name" = $1', 'nodes'],
    ['delete from "locations" where "uuid" = $1 returning *', 'locations'],
    ['delete from public.locations', 'locations'],
    ['insert into "odd""name" values (1)', 'odd"name'],
    ['truncate "nest_eggs"', 'nest_eggs'],
    ['truncate table "nest_eggs" restart identity;', 'nest_eggs'],
    ['truncate "a", "b"', ANY_TABLE],
    ['truncate "a" cascade', ANY_TABLE],
    ['with "moved" as (delete from "a" returning *) insert into "b" select * from "moved"', ANY_TABLE],
    ['with "x" as (update "a" set "n" = 1 returning *) select * from "x"', ANY_TABLE],
    ['create table "t" ("id" int)', ANY_TABLE],
    ['alter table "servers" add column "x" int', ANY_TABLE],
    ['select 1; delete from "servers"', ANY_TABLE],
    ['-- a comment\ndelete from "servers"', ANY_TABLE],
    ['call do_things()', ANY_TABLE],
    ['', ANY_TABLE],
  ] as const)('%p', (text, effect) => {
    expect(classifyStatement(text)).toBe(effect)
  })
})

let tdb: TestDatabase
const run = (q: string) => tdb.database.query(sql.raw(q))

/** A watch once it can be trusted (the foreign keys read and, on PostgreSQL, the listener connected). */
async function ready(w: Watch): Promise<Watch> {
  for (let i = 0; i < 400 && w.version() === null; i++) await Bun.sleep(5)
  expect(w.version()).not.toBeNull()
  return w
}

/** Whether `fn` moves each watch's version on, in order. */
async function moves(watches: Watch[], fn: () => Promise<unknown>): Promise<boolean[]> {
  const before = watches.map((w) => w.version())
  await fn()
  return watches.map((w, i) => w.version() !== before[i])
}

beforeAll(async () => {
  tdb = await freshDatabase()
  await run(`create table feed_a (id int primary key, n int not null default 0)`)
  await run(`create table feed_b (id int primary key)`)
  await run(`create table feed_child (id int primary key, a int references feed_a (id) on delete cascade)`)
  await run(`insert into feed_a (id) values (1), (2), (3)`)
}, 120_000)

afterAll(() => tdb?.drop())

describe('watch(db, tables)', () => {
  test('a committed insert, update, delete or truncate moves the watches of its table only', async () => {
    const db = tdb.database.db
    const [a, b] = [await ready(watch(db, ['feed_a'])), await ready(watch(db, ['feed_b']))]
    expect(await moves([a, b], () => db.execute(sql`insert into "feed_a" ("id") values (10)`))).toEqual([true, false])
    expect(await moves([a, b], () => db.execute(sql`update "public"."feed_a" set "n" = 1 where "id" = 10`))).toEqual([true, false])
    expect(await moves([a, b], () => db.execute(sql`delete from feed_a where id = 10`))).toEqual([true, false])
    expect(await moves([a, b], () => db.execute(sql`truncate "feed_b"`))).toEqual([false, true])
    expect(await moves([a, b], () => db.execute(sql`select * from "feed_a" for update`))).toEqual([false, false])
  })

  test('a write hidden in a CTE or DDL moves every watch', async () => {
    const db = tdb.database.db
    const [a, b] = [await ready(watch(db, ['feed_a'])), await ready(watch(db, ['feed_b']))]
    expect(await moves([a, b], () => db.execute(sql`with x as (update feed_a set n = n + 1 returning id) select count(*) from x`))).toEqual(
      [true, true],
    )
    expect(await moves([a, b], () => run(`create index if not exists feed_a_n on feed_a (n)`))).toEqual([true, true])
  })

  test('a transaction moves its tables once it has committed, before the writer sees the commit', async () => {
    const db = tdb.database.db
    const [a, b] = [await ready(watch(db, ['feed_a'])), await ready(watch(db, ['feed_b']))]
    const before = a.version()
    let inside: number | null = null
    await transaction(db, async (tx) => {
      await tx.execute(sql`update "feed_a" set "n" = "n" + 1 where "id" = 1`)
      await transaction(tx, async (savepoint) => void (await savepoint.execute(sql`insert into "feed_b" ("id") values (1)`)))
      inside = a.version()
    })
    const after = [a.version(), b.version()]
    expect(inside === before).toBe(true)
    expect(after[0]).not.toBe(before)
    expect(after[1]).not.toBeNull()
    // Both tables of the transaction, the savepoint's included.
    expect(await moves([a, b], () => transaction(db, async (tx) => void (await tx.execute(sql`delete from "feed_b"`))))).toEqual([
      false,
      true,
    ])
  })

  test('a rolled back transaction may move its tables (conservative), a read-only one does not', async () => {
    const db = tdb.database.db
    const a = await ready(watch(db, ['feed_a']))
    const failing = transaction(db, async (tx) => {
      await tx.execute(sql`update "feed_a" set "n" = 0`)
      throw new Error('no')
    })
    const before = a.version()
    await expect(failing).rejects.toThrow('no')
    expect(a.version()).not.toBe(before)
    expect(await moves([a], () => transaction(db, (tx) => tx.execute(sql`select * from "feed_a"`)))).toEqual([false])
  })

  test('a table written through a foreign key action (on delete cascade) moves with the table it starts from', async () => {
    const db = tdb.database.db
    const child = await ready(watch(db, ['feed_child']))
    await run(`insert into feed_child (id, a) values (1, 3)`)
    expect(await moves([child], () => db.execute(sql`delete from "feed_a" where "id" = 3`))).toEqual([true])
    expect((await run(`select * from feed_child`)).length).toBe(0)
  })

  test('the background handle shares the feed; a handle opened elsewhere is refused', async () => {
    const a = await ready(watch(tdb.database.db, ['feed_a']))
    expect(await moves([a], () => tdb.database.background.execute(sql`update "feed_a" set "n" = 5`))).toEqual([true])
    expect(() => watch({} as never, ['feed_a'])).toThrow('plain database handle')
  })
})

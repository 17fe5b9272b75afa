import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { asc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm'
import { integer, pgTable, text } from 'drizzle-orm/pg-core'
import { freshDatabase, type TestDatabase } from '../testing/db'
import type { Db } from '../db/client'
import { pageParams, paginate, toCountedPage, type TotalField } from './pagination'

/** `total` rows numbered from 0, the page of them the list query would return, and how often it counted. */
async function pageOf(total: number, query: { page?: number; per_page?: number }) {
  const p = pageParams(query)
  const rows = Array.from({ length: Math.max(0, Math.min(p.perPage, total - p.offset)) }, (_, i) => p.offset + i)
  let counted = 0
  const page = await toCountedPage(
    p,
    rows,
    async () => (counted++, total),
    (n) => n,
  )
  return { total: page.total, rows: page.data.length, counted }
}

describe('toCountedPage', () => {
  test('a short page (or an empty first page) gives the total without counting', async () => {
    expect(await pageOf(13, { page: 3, per_page: 5 })).toEqual({ total: 13, rows: 3, counted: 0 })
    expect(await pageOf(0, {})).toEqual({ total: 0, rows: 0, counted: 0 })
  })

  test('a full page, or a page past the end, counts', async () => {
    expect(await pageOf(10, { per_page: 5 })).toEqual({ total: 10, rows: 5, counted: 1 })
    expect(await pageOf(10, { page: 2, per_page: 5 })).toEqual({ total: 10, rows: 5, counted: 1 })
    expect(await pageOf(10, { page: 9, per_page: 5 })).toEqual({ total: 10, rows: 0, counted: 1 })
  })
})

describe('paginate', () => {
  const items = pgTable('paginate_items', { id: integer('id').primaryKey(), name: text('name').notNull(), tag_id: integer('tag_id') })
  const tags = pgTable('paginate_tags', { id: integer('id').primaryKey(), label: text('label').notNull() })
  let tdb: TestDatabase
  let db: Db

  beforeAll(async () => {
    tdb = await freshDatabase()
    db = tdb.database.db
    await tdb.database.query(sql`create table paginate_tags (id int primary key, label text not null)`)
    await tdb.database.query(sql`create table paginate_items (id int primary key, name text not null, tag_id int references paginate_tags)`)
    await db.insert(tags).values([
      { id: 1, label: 'red' },
      { id: 2, label: 'blue' },
    ])
    // 12 items: item-1 … item-12; odd ids tagged red, even ids blue, 12 untagged
    await db
      .insert(items)
      .values(Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}`, tag_id: i === 11 ? null : (i % 2) + 1 })))
  }, 120_000)

  afterAll(async () => {
    await tdb?.drop()
  })

  const byId = { from: items, orderBy: [asc(items.id)] }

  test('a table: the page, its total, and rows mapped', async () => {
    const page = await paginate(db, { ...byId, map: (r) => r.name }, pageParams({ page: 2, per_page: 5 }))
    expect(page).toEqual({ total: 12, per_page: 5, page: 2, data: ['item-6', 'item-7', 'item-8', 'item-9', 'item-10'] })
  })

  test('past the last page the total stays exact; an empty list is 0', async () => {
    expect(await paginate(db, byId, pageParams({ page: 9, per_page: 5 }))).toEqual({ total: 12, per_page: 5, page: 9, data: [] })
    expect(await paginate(db, { ...byId, where: sql`false` }, pageParams({}))).toEqual({ total: 0, per_page: 10, page: 1, data: [] })
  })

  test('search matches any search column, case-insensitively and literally, within `where`', async () => {
    const found = await paginate(
      db,
      { ...byId, search: [items.name], where: sql`${items.id} > 1`, map: (r) => r.id },
      pageParams({ search: 'ITEM-1' }),
    )
    expect(found).toMatchObject({ total: 3, data: [10, 11, 12] })
    expect((await paginate(db, { ...byId, search: [items.name] }, pageParams({ search: '%' }))).total).toBe(0)
    expect((await paginate(db, { ...byId, search: [items.name] }, pageParams({ search: '' }))).total).toBe(12)
  })

  test('a join: the builder gets the total field; past the end it is counted over the join', async () => {
    const joined = (query: { page?: number; per_page?: number; search?: string }, search = [tags.label]) =>
      paginate(
        db,
        {
          from: (total) =>
            db
              .select({ item: getTableColumns(items), tag: getTableColumns(tags), ...total })
              .from(items)
              .leftJoin(tags, eq(tags.id, items.tag_id)),
          search,
          orderBy: [asc(items.id)],
          map: (r) => `${r.item.name}:${r.tag?.label ?? '-'}`,
        },
        pageParams(query),
      )
    expect(await joined({ per_page: 2, search: 'red' })).toEqual({ total: 6, per_page: 2, page: 1, data: ['item-1:red', 'item-3:red'] })
    expect((await joined({ page: 4, per_page: 2, search: 'red' })).total).toBe(6)
    expect((await joined({ page: 2, per_page: 10 }, [])).data).toEqual(['item-11:red', 'item-12:-'])
  })

  test('a custom count is asked only when the rows cannot tell, and gets the matching count', async () => {
    const asked: number[] = []
    const count = async (matching: () => Promise<number>) => {
      const n = await matching()
      asked.push(n)
      return n + 1000
    }
    expect((await paginate(db, { ...byId, count }, pageParams({ page: 3, per_page: 5 }))).total).toBe(12)
    expect(asked).toEqual([])
    expect((await paginate(db, { ...byId, count }, pageParams({ page: 2, per_page: 5 }))).total).toBe(1012)
    expect((await paginate(db, { ...byId, count }, pageParams({ page: 7, per_page: 5 }))).total).toBe(1012)
    expect(asked).toEqual([12, 12])
  })

  test('`load` runs once per page and feeds `map`', async () => {
    let loads = 0
    const page = await paginate(
      db,
      {
        ...byId,
        load: async (rows) => (loads++, new Map(rows.map((r) => [r.id, r.id * 10]))),
        map: (r, tens) => tens.get(r.id),
      },
      pageParams({ per_page: 3 }),
    )
    expect(page.data).toEqual([10, 20, 30])
    expect(loads).toBe(1)
  })

  describe('prepared (`prepare`)', () => {
    const joinedList = (where?: SQL, values?: Record<string, unknown>) => ({
      from: (total: TotalField) =>
        db
          .select({ item: getTableColumns(items), tag: getTableColumns(tags), ...total })
          .from(items)
          .leftJoin(tags, eq(tags.id, items.tag_id)),
      where,
      values,
      search: [items.name, tags.label],
      orderBy: [asc(items.id)],
    })
    const queries = [
      {},
      { per_page: 5 },
      { page: 2, per_page: 5 },
      { page: 9, per_page: 5 },
      { search: 'red' },
      { search: 'ITEM-1', per_page: 2 },
      { search: '%' },
    ]

    test('answers what the list answers unprepared: pages, totals past the end, search, left-joined nulls', async () => {
      for (const query of queries) {
        const plain = await paginate(db, joinedList(), pageParams(query))
        expect(await paginate(db, { ...joinedList(), prepare: 'test_items' }, pageParams(query))).toEqual(plain)
        // A second run uses the statements built by the first.
        expect(await paginate(db, { ...joinedList(), prepare: 'test_items' }, pageParams(query))).toEqual(plain)
      }
      const page = await paginate(db, { ...joinedList(), prepare: 'test_items' }, pageParams({ page: 2 }))
      expect(page.data.at(-1)).toEqual({ item: { id: 12, name: 'item-12', tag_id: null }, tag: null })
    })

    test('`where` takes placeholders, filled from `values` on every page', async () => {
      const byTag = (tag: number) => joinedList(eq(items.tag_id, sql.placeholder('tag')), { tag })
      for (const tag of [1, 2, 1]) {
        const plain = await paginate(db, joinedList(eq(items.tag_id, tag)), pageParams({ per_page: 4 }))
        expect(await paginate(db, { ...byTag(tag), prepare: 'test_items' }, pageParams({ per_page: 4 }))).toEqual(plain)
        expect(plain.total).toBe(tag === 1 ? 6 : 5)
      }
    })

    test('a literal value in `where` is refused, not kept for the next page', async () => {
      await expect(paginate(db, { ...joinedList(eq(items.tag_id, 1)), prepare: 'test_items' }, pageParams({}))).rejects.toThrow(
        /literal value/,
      )
    })

    test('a custom count gets the prepared matching count', async () => {
      const count = async (matching: () => Promise<number>) => (await matching()) + 1000
      const list = { ...byId, count, prepare: 'test_items_counted' }
      expect((await paginate(db, list, pageParams({ page: 2, per_page: 5 }))).total).toBe(1012)
      expect((await paginate(db, { ...list, search: [items.name] }, pageParams({ page: 9, search: 'item-1' }))).total).toBe(1004)
    })

    test('inside a transaction the statements run in it', async () => {
      await db
        .transaction(async (tx) => {
          await tx.insert(items).values({ id: 99, name: 'item-99', tag_id: null })
          const page = await paginate(tx, { from: items, orderBy: [asc(items.id)], prepare: 'test_items_tx' }, pageParams({ page: 2 }))
          expect(page.total).toBe(13)
          tx.rollback()
        })
        .catch(() => {})
      expect((await paginate(db, { from: items, orderBy: [asc(items.id)], prepare: 'test_items_tx' }, pageParams({}))).total).toBe(12)
    })
  })
})

import { t, type TSchema } from 'elysia'
import { and, count, getTableColumns, ilike, or, sql, type SQL, type Column } from 'drizzle-orm'
import type { PgColumn, PgSelect, PgTable } from 'drizzle-orm/pg-core'
import type { Db, Tx } from '../db/client'

/** `page`, `per_page` and `search` query parameters, as every list route accepts them. */
export const PaginationQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, description: 'Page number, from 1 (default 1).' })),
  per_page: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: 'Items per page, 1–100 (default 10).' })),
  search: t.Optional(t.String({ maxLength: 128, description: 'Case-insensitive substring filter; empty means none.' })),
})

/** The same without `search`, for lists that cannot be searched. */
export const PaginationQueryNoSearch = t.Object({
  page: PaginationQuery.properties.page,
  per_page: PaginationQuery.properties.per_page,
})

export const DEFAULT_PER_PAGE = 10

export interface PageParams {
  page: number
  perPage: number
  offset: number
  search?: string
}

/**
 * Normalises validated query values; an empty `search` counts as absent.
 * @example const p = pageParams(query) // { page: 1, perPage: 10, offset: 0, search: undefined }
 */
export function pageParams(query: { page?: number; per_page?: number; search?: string }): PageParams {
  const page = query.page ?? 1
  const perPage = query.per_page ?? DEFAULT_PER_PAGE
  const search = query.search === undefined || query.search === '' ? undefined : query.search
  return { page, perPage, offset: (page - 1) * perPage, search }
}

/** Page object of the wire format: `{ total, per_page, page, data }`. */
export interface Page<T> {
  total: number
  per_page: number
  page: number
  data: T[]
}

/** TypeBox schema of a page of `item`. */
export function PageOf<T extends TSchema>(item: T) {
  return t.Object({ total: t.Integer(), per_page: t.Integer(), page: t.Integer(), data: t.Array(item) })
}

/** `count(*) over ()`: select it beside the columns to get the total with the page in one query. */
export const windowTotal = sql<number>`(count(*) over ())::int`.as('__total')

/** Escapes `%`, `_` and `\` so user text matches literally inside LIKE. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** Case-insensitive substring match of `search` on any of `columns`; undefined without search. */
export function searchFilter(search: string | undefined, columns: (Column | SQL)[]): SQL | undefined {
  if (!search) return undefined
  const pattern = `%${escapeLike(search)}%`
  return or(...columns.map((c) => ilike(c as Column, pattern)))
}

/**
 * Builds the page from rows selected with `windowTotal`. When the page is past the end the
 * window count has no row to ride on, so `countAll` gives the true total.
 * @example
 * const rows = await db.select({ ...getTableColumns(keys), __total: windowTotal }).from(keys)
 *   .where(w).orderBy(keys.created).limit(p.perPage).offset(p.offset)
 * return toPage(p, rows, () => db.$count(keys, w), toApiKey)
 */
export async function toPage<R extends { __total?: number }, T>(
  params: PageParams,
  rows: R[],
  countAll: () => Promise<number>,
  map: (row: R) => T | Promise<T>,
): Promise<Page<T>> {
  let total: number
  if (rows.length > 0) total = Number(rows[0].__total ?? rows.length)
  else total = params.offset === 0 ? 0 : Number(await countAll())
  return { total, per_page: params.perPage, page: params.page, data: await Promise.all(rows.map(map)) }
}

/**
 * Builds the page from rows selected *without* `windowTotal`, counting with `count` only when the
 * rows cannot tell the total (a full page, or none past the first). For lists that grow without
 * bound (activity logs): `count(*) over ()` reads every matching row in full before the limit
 * applies, while a plain count over an index on the filter columns is an index-only scan.
 * @example
 * const rows = await db.select().from(log).where(w).orderBy(desc(log.created), desc(log.id)).limit(p.perPage).offset(p.offset)
 * return toCountedPage(p, rows, () => db.$count(log, w), toEntry)
 */
export async function toCountedPage<R, T>(
  params: PageParams,
  rows: R[],
  count: () => Promise<number>,
  map: (row: R) => T | Promise<T>,
): Promise<Page<T>> {
  const known = rows.length > 0 ? rows.length < params.perPage : params.offset === 0
  const total = known ? params.offset + rows.length : Number(await count())
  return { total, per_page: params.perPage, page: params.page, data: await Promise.all(rows.map(map)) }
}

/** The window count `paginate` adds to a builder's selection: spread it into `select({ … })`. */
export type TotalField = { __total: typeof windowTotal } | Record<string, never>

/** A `db.select(…).from(…)` builder, joined or not, before `where`. */
export interface SelectBuilder {
  $dynamic(): PgSelect
  readonly _: { result: object[] }
}

/** What `paginate` lists: a table, or a select builder (joins, computed columns) given the total field. */
export type ListSource = PgTable | ((total: TotalField) => SelectBuilder)

type BuiltRow<B> = B extends SelectBuilder ? Omit<B['_']['result'][number], '__total'> : never
type RowOf<S> = S extends PgTable ? S['$inferSelect'] : S extends (total: TotalField) => infer B ? BuiltRow<B> : never

export interface ListOptions<S extends ListSource, C, T> {
  /** A table (every column is selected), or `(total) => db.select({ …, ...total }).from(…).leftJoin(…)`. */
  from: S
  where?: SQL
  /** Columns `PageParams.search` matches case-insensitively (any of them); ignored without a search. */
  search?: (Column | SQL)[]
  /** Give a unique last column so pages never overlap. */
  orderBy: (PgColumn | SQL | SQL.Aliased)[]
  /** One batch lookup per page (e.g. the users a page of log entries names); its result is `map`'s second argument. */
  load?: (rows: RowOf<S>[]) => Promise<C> | C
  map?: (row: RowOf<S>, loaded: C) => T | Promise<T>
  /**
   * For lists that grow without bound: read the page without a window count (which reads every
   * matching row before the limit applies) and call this only when the rows cannot tell the
   * total; `matching` counts the matching rows, e.g. `(matching) => search ? matching() : counterRow()`.
   */
  count?: (matching: () => Promise<number>) => Promise<number>
}

/**
 * One page of a list in the wire format, with an exact total on every page, past the last one too.
 * By default the total rides on the rows (`count(*) over ()`) and is counted apart only past the
 * end; with `count` the page is read alone and counted when it is full or empty (`toCountedPage`).
 * @example
 * // a table, searched by name
 * paginate(db, { from: notes, where: eq(notes.user_uuid, user), search: [notes.name],
 *   orderBy: [asc(notes.created), asc(notes.uuid)], map: toNote }, pageParams(query))
 * // a join: spread `total` into the selection
 * paginate(db, { from: (total) => db.select({ user: getTableColumns(users), role: getTableColumns(roles), ...total })
 *   .from(users).leftJoin(roles, eq(roles.uuid, users.role_uuid)), orderBy: [asc(users.created)] }, page)
 */
export async function paginate<S extends ListSource, C = undefined, T = RowOf<S>>(
  db: Db | Tx,
  list: ListOptions<S, C, T>,
  params: PageParams,
): Promise<Page<T>> {
  const where = and(list.where, searchFilter(params.search, list.search ?? []))
  const build = (total: TotalField): PgSelect => {
    const from = list.from
    if (typeof from === 'function') return from(total).$dynamic()
    return db
      .select({ ...getTableColumns(from), ...total })
      .from(from)
      .$dynamic()
  }
  const matching = async () => {
    const [row] = await db.select({ n: count() }).from(build({}).where(where).as('matching'))
    return Number(row.n)
  }
  const counted = list.count !== undefined
  const selected = (await build(counted ? {} : { __total: windowTotal })
    .where(where)
    .orderBy(...list.orderBy)
    .limit(params.perPage)
    .offset(params.offset)) as (RowOf<S> & { __total?: number })[]
  const rows = selected.map(({ __total: _, ...row }) => row as RowOf<S>)
  const loaded = (list.load ? await list.load(rows) : undefined) as C
  const map = (row: RowOf<S>) => (list.map ? list.map(row, loaded) : (row as unknown as T))
  if (counted) return toCountedPage(params, rows, () => list.count!(matching), map)
  const total = selected.length > 0 ? Number(selected[0].__total) : params.offset === 0 ? 0 : await matching()
  return { total, per_page: params.perPage, page: params.page, data: await Promise.all(rows.map(map)) }
}

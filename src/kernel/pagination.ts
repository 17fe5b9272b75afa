import { t, type TSchema } from 'elysia'
import { ilike, or, sql, type SQL, type Column } from 'drizzle-orm'

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
export async function toCountedPage<R, T>(params: PageParams, rows: R[], count: () => Promise<number>, map: (row: R) => T | Promise<T>): Promise<Page<T>> {
  const known = rows.length > 0 ? rows.length < params.perPage : params.offset === 0
  const total = known ? params.offset + rows.length : Number(await count())
  return { total, per_page: params.perPage, page: params.page, data: await Promise.all(rows.map(map)) }
}

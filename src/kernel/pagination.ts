import { t, type TSchema } from 'elysia'
import { and, Column, count, getTableColumns, getTableName, ilike, is, or, Placeholder, SQL, sql, Subquery } from 'drizzle-orm'
import type { PgColumn, PgDialect, PgSelect, PgTable } from 'drizzle-orm/pg-core'
import type { Db, Tx } from '../db/client'
import { WireInteger } from './models'

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

/** TypeBox schema of a page of `item` (`WireInteger`s: no transform for Elysia to encode). */
export function PageOf<T extends TSchema>(item: T) {
  return t.Object({ total: WireInteger(), per_page: WireInteger(), page: WireInteger(), data: t.Array(item) })
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

/** The LIKE pattern `searchFilter` matches `search` with. */
const searchPattern = (search: string) => `%${escapeLike(search)}%`

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
  /**
   * For hot lists: a name under which the list's statements are built once per database handle
   * and prepared by PostgreSQL (parsed and planned once per connection), instead of built by
   * Drizzle and planned for every page. `where` must then hold `sql.placeholder('name')` where
   * it varies, with the values in `values`: a literal value in it is refused, since the first
   * page's would be kept.
   * @example paginate(db, { from: nodes, where: eq(nodes.location_uuid, sql.placeholder('location')),
   *   values: { location }, orderBy: [asc(nodes.created), asc(nodes.uuid)], prepare: 'nodes' }, page)
   */
  prepare?: string
  /** The placeholder values of a prepared list's `where`. */
  values?: Record<string, unknown>
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
  const build = (total: TotalField): PgSelect => {
    const from = list.from
    if (typeof from === 'function') return from(total).$dynamic()
    return db
      .select({ ...getTableColumns(from), ...total })
      .from(from)
      .$dynamic()
  }
  const counted = list.count !== undefined
  let selected: (RowOf<S> & { __total?: number })[]
  let matching: () => Promise<number>
  if (list.prepare) {
    const search = params.search === undefined ? undefined : (list.search ?? [])
    const statements = preparedList(db, list.prepare, list.where, search, counted, (where) => ({
      page: build(counted ? {} : { __total: windowTotal })
        .where(where)
        .orderBy(...list.orderBy)
        .limit(sql.placeholder(LIMIT))
        .offset(sql.placeholder(OFFSET)),
      matching: db.select({ n: count() }).from(build({}).where(where).as('matching')),
    }))
    const values = {
      ...list.values,
      [LIMIT]: params.perPage,
      [OFFSET]: params.offset,
      [SEARCH]: params.search && searchPattern(params.search),
    }
    selected = (await statements.page.execute(values)) as typeof selected
    matching = async () => Number(((await statements.matching.execute(values)) as { n: number }[])[0].n)
  } else {
    const where = and(list.where, searchFilter(params.search, list.search ?? []))
    matching = async () => {
      const [row] = await db.select({ n: count() }).from(build({}).where(where).as('matching'))
      return Number(row.n)
    }
    selected = (await build(counted ? {} : { __total: windowTotal })
      .where(where)
      .orderBy(...list.orderBy)
      .limit(params.perPage)
      .offset(params.offset)) as typeof selected
  }
  const rows = selected.map(({ __total: _, ...row }) => row as RowOf<S>)
  const loaded = (list.load ? await list.load(rows) : undefined) as C
  const map = (row: RowOf<S>) => (list.map ? list.map(row, loaded) : (row as unknown as T))
  if (counted) return toCountedPage(params, rows, () => list.count!(matching), map)
  const total = selected.length > 0 ? Number(selected[0].__total) : params.offset === 0 ? 0 : await matching()
  return { total, per_page: params.perPage, page: params.page, data: await Promise.all(rows.map(map)) }
}

const LIMIT = '__page_limit'
const OFFSET = '__page_offset'
const SEARCH = '__page_search'

interface Statement {
  execute(values: Record<string, unknown>): Promise<unknown[]>
}
interface Preparable {
  toSQL(): { sql: string }
  prepare(name: string): Statement
}
interface ListStatements {
  page: Statement
  matching: Statement
}

// Per database handle (a transaction's die with it); per list name, search or not, counted or
// not, and the text of `where`, which holds placeholders only.
const preparedLists = new WeakMap<object, Map<string, ListStatements>>()
// One PostgreSQL statement name per statement text: node-postgres refuses a name reused for
// another text on a connection, and the same text from any handle may share its name.
const statementNames = new Map<string, string>()

function statementName(list: string, text: string): string {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `hatchery_${list.replace(/\W/g, '_').slice(0, 30)}_${statementNames.size}`
    statementNames.set(text, name)
  }
  return name
}

function prepareNamed(list: string, query: Preparable): Statement {
  return withRowMapper(query.prepare(statementName(list, query.toSQL().sql)))
}

interface Decoder {
  mapFromDriverValue(value: unknown): unknown
}
/** What Drizzle's prepared queries (node-postgres and PGlite alike) keep of their selection. */
interface DrizzleStatement {
  fields?: { path: string[]; field: unknown }[]
  joinsNotNullableMap?: Record<string, boolean>
  customResultMapper?: (rows: unknown[][]) => unknown[]
}

/**
 * Gives a prepared statement a row mapper worked out once from its selection. Drizzle's own
 * (`mapResultRow`) classifies every field of every row again (prototype walks, through alias
 * proxies for joined aliases): most of the CPU of a page of joined rows. Same result: nested
 * objects by path, each value through its column's decoder, and a left-joined table whose first
 * column is null answered as null.
 */
function withRowMapper(statement: Statement): Statement {
  const s = statement as Statement & DrizzleStatement
  const { fields, joinsNotNullableMap: nullable } = s
  if (!Array.isArray(fields) || s.customResultMapper) return statement
  const columns = fields.map(({ path, field }) => {
    // The decoders are internal to Drizzle: `mapResultRow` reads the same properties.
    type Decoded = { decoder: Decoder }
    const decoder: Decoder = is(field, Column)
      ? field
      : is(field, SQL)
        ? (field as unknown as Decoded).decoder
        : is(field, Subquery)
          ? (field as unknown as { _: { sql: Decoded } })._.sql.decoder
          : (field as { sql: Decoded }).sql.decoder
    const table = nullable && is(field, Column) && path.length === 2 ? getTableName(field.table) : undefined
    return { path, decoder, table }
  })
  s.customResultMapper = (rows) =>
    rows.map((row) => {
      const result: Record<string, unknown> = {}
      let nullify: Record<string, string | false> | undefined
      for (let i = 0; i < columns.length; i++) {
        const { path, decoder, table } = columns[i]
        let node = result
        for (let j = 0; j < path.length - 1; j++) node = (node[path[j]] ??= {}) as Record<string, unknown>
        const raw = row[i]
        const value = (node[path[path.length - 1]] = raw === null ? null : decoder.mapFromDriverValue(raw))
        if (table !== undefined) {
          nullify ??= {}
          const object = path[0]
          if (!(object in nullify)) nullify[object] = value === null ? table : false
          else if (typeof nullify[object] === 'string' && nullify[object] !== table) nullify[object] = false
        }
      }
      if (nullify)
        for (const object in nullify) if (typeof nullify[object] === 'string' && !nullable![nullify[object]]) result[object] = null
      return result
    })
  return statement
}

function preparedList(
  db: Db | Tx,
  list: string,
  where: SQL | undefined,
  search: (Column | SQL)[] | undefined,
  counted: boolean,
  build: (where: SQL | undefined) => { page: unknown; matching: unknown },
): ListStatements {
  let key = `${list}\u0000${search ? 's' : ''}${counted ? 'c' : 'w'}`
  if (where) {
    const dialect = (db as unknown as { dialect: PgDialect }).dialect
    const query = dialect.sqlToQuery(where)
    if (!query.params.every((p) => p instanceof Placeholder)) {
      throw new Error(`prepared list ${list}: \`where\` holds a literal value; use sql.placeholder() and \`values\``)
    }
    key += `\u0000${query.sql}`
  }
  let byKey = preparedLists.get(db)
  if (!byKey) preparedLists.set(db, (byKey = new Map()))
  let statements = byKey.get(key)
  if (!statements) {
    const matches = search && or(...search.map((c) => ilike(c as Column, sql.placeholder(SEARCH))))
    const built = build(and(where, matches))
    statements = { page: prepareNamed(list, built.page as Preparable), matching: prepareNamed(list, built.matching as Preparable) }
    byKey.set(key, statements)
  }
  return statements
}

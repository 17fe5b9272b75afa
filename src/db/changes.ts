import type { Db } from './client'

/**
 * The change feed: which tables were written, so a cache of rows read from them knows when it is
 * stale. Two signals feed it:
 *
 * - In this process, every statement sent through `src/db/client.ts` is classified
 *   (`classifyStatement`); the tables a connection wrote are bumped once its COMMIT (or the
 *   autocommit statement) has resolved, before the writer's own code sees it resolve, so a request
 *   that follows a write never reads a cache filled before it.
 * - Across processes (PostgreSQL), triggers made by a migration call `hatchery_notify_change()`,
 *   which sends `pg_notify('hatchery_changes', <table>)` at commit; one connection per database
 *   handle listens (`LISTEN hatchery_changes`) and bumps the named table. While it is not listening
 *   every watch reads `null` (do not cache); when it is back every watch is bumped.
 *
 * A write a watched table takes through a foreign key (`on delete cascade`, `set null`, `set
 * default`) counts as a write of the table it starts from: a watch also follows those tables.
 */

/** The PostgreSQL channel the triggers notify and the listener listens on. */
export const CHANGES_CHANNEL = 'hatchery_changes'

/** What a statement does, as far as caches care: see `classifyStatement`. */
export type StatementEffect = typeof READ | typeof BEGIN | typeof COMMIT | typeof ROLLBACK | typeof ANY_TABLE | string
export const READ = 0
export const BEGIN = 1
export const COMMIT = 2
export const ROLLBACK = 3
/** A write whose tables are not known (DDL, a write in a CTE, several statements, anything unparsed). */
export const ANY_TABLE = 4

const LEAD = /^\s*([a-z]+|\()/i
const NAME = String.raw`(?:"(?:[^"]|"")+"|[a-z_][\w$]*)`
const TARGET = new RegExp(
  String.raw`^\s*(?:insert\s+into|update(?:\s+only)?|delete\s+from(?:\s+only)?|truncate(?:\s+table)?(?:\s+only)?)\s+(?:${NAME}\s*\.\s*)?(?:"((?:[^"]|"")+)"|([a-z_][\w$]*))`,
  'iy',
)
// After `truncate t`: only options that keep it to that one table.
const TRUNCATE_TAIL = /^\s*(?:(?:restart|continue)\s+identity\s*)?(?:restrict\s*)?$/i
// A write anywhere in a WITH statement (`for update` / `for no key update` are row locks of a read).
const WRITE_WORD = /\b(?:insert|delete|merge|truncate)\b|(?<!\bfor\s+(?:no\s+key\s+)?)\bupdate\b/i
const ROLLBACK_TO = /^\s*rollback\s+(?:(?:work|transaction)\s+)?to\b/i

const LEADS: Record<string, StatementEffect> = {
  select: READ,
  '(': READ,
  values: READ,
  table: READ,
  show: READ,
  set: READ,
  reset: READ,
  savepoint: READ,
  release: READ,
  listen: READ,
  unlisten: READ,
  notify: READ,
  lock: READ,
  fetch: READ,
  close: READ,
  discard: READ,
  deallocate: READ,
  begin: BEGIN,
  start: BEGIN,
  commit: COMMIT,
  end: COMMIT,
  rollback: ROLLBACK,
  abort: ROLLBACK,
}

/**
 * What `text` does: `READ` (nothing a cache cares about, including `SET`, `SAVEPOINT`, `RELEASE`
 * and `ROLLBACK TO`), `BEGIN`, `COMMIT`, `ROLLBACK`, the one table an `insert into` / `update` /
 * `delete from` / `truncate` writes (Drizzle's quoted names, with or without a schema), or
 * `ANY_TABLE` for whatever else could write. Runs for every statement: one anchored regex for
 * the leading word, a second only for writes.
 * @example classifyStatement('update "servers" set "name" = $1 where …') // 'servers'
 */
export function classifyStatement(text: string): StatementEffect {
  const lead = LEAD.exec(text)
  if (!lead) return ANY_TABLE
  const semicolon = text.indexOf(';')
  // Several statements in one text (the simple protocol allows it): no telling what the rest does.
  if (semicolon !== -1 && text.slice(semicolon + 1).trim() !== '') return ANY_TABLE
  const word = lead[1].toLowerCase()
  const effect = LEADS[word]
  if (effect === ROLLBACK) return ROLLBACK_TO.test(text) ? READ : ROLLBACK
  if (effect !== undefined) return effect
  if (word === 'with') return WRITE_WORD.test(text) ? ANY_TABLE : READ
  if (word !== 'insert' && word !== 'update' && word !== 'delete' && word !== 'truncate') return ANY_TABLE
  TARGET.lastIndex = 0
  const target = TARGET.exec(text)
  if (!target) return ANY_TABLE
  if (word === 'truncate' && !TRUNCATE_TAIL.test(text.slice(TARGET.lastIndex).replace(/;\s*$/, ''))) return ANY_TABLE
  return target[1] !== undefined ? target[1].replace(/""/g, '"') : target[2].toLowerCase()
}

/** Tables written in a transaction so far: their names, or `true` for "any". */
type Written = Set<string> | true

/**
 * One connection's (or one PGlite transaction's) statements: call `sent(text)` before a statement
 * goes out; what it returns (if anything) must run once the statement has settled.
 */
export class StatementTracker {
  private written: Written | undefined

  constructor(
    private readonly feed: ChangeFeed,
    private inTransaction = false,
  ) {}

  /** The bump to run once the statement settles (success or failure), or undefined. */
  sent(text: string): (() => void) | undefined {
    const effect = classifyStatement(text)
    if (effect === READ) return undefined
    if (effect === BEGIN) {
      this.inTransaction = true
      this.written = undefined
      return undefined
    }
    if (effect === COMMIT || effect === ROLLBACK) {
      // A rolled back transaction changed nothing others saw; it is bumped anyway, which costs a
      // cache refill and covers a read made on the same session before the rollback.
      this.inTransaction = false
      return this.takeWritten()
    }
    if (!this.inTransaction) {
      const write: Written = effect === ANY_TABLE ? true : new Set([effect as string])
      return () => this.feed.committed(write)
    }
    if (this.written === true) return undefined
    if (effect === ANY_TABLE) this.written = true
    else if (this.written) this.written.add(effect as string)
    else this.written = new Set([effect as string])
    return undefined
  }

  /** What the transaction wrote, as a bump (undefined when nothing), forgetting it. */
  takeWritten(): (() => void) | undefined {
    const written = this.written
    this.written = undefined
    return written === undefined ? undefined : () => this.feed.committed(written)
  }
}

/** A set of tables being watched: `version()` moves on whenever one of them changes. */
export interface Watch {
  /**
   * A number that differs from any earlier answer once a write to a watched table has committed
   * (in this process: before the writer's COMMIT resolves; in another: when its notification
   * arrives), or `null` when changes cannot be seen now (do not cache).
   */
  version(): number | null
}

class TableWatch implements Watch {
  n = 0
  ready = false

  constructor(private readonly feed: ChangeFeed) {}

  version(): number | null {
    return this.ready && this.feed.live ? this.n : null
  }
}

/** The (child, parent) pairs of foreign keys whose action writes the child when the parent changes. */
type CascadeEdges = { child: string; parent: string }[]

export interface ChangeFeedOptions {
  /** Reads the foreign keys that write a table when another changes (once, at the first watch). */
  cascades: () => Promise<CascadeEdges>
  /** PostgreSQL: how to listen for other processes' notifications; none for PGlite (one process). */
  listen?: (feed: ChangeFeed) => Listener
}

/** The other processes' changes, heard over a connection of its own. */
export interface Listener {
  close(): Promise<void>
}

/** Which database a plain handle belongs to (`watch(db, …)`). */
const feeds = new WeakMap<object, ChangeFeed>()

/** One database's change feed (`Database.changes`); plugins use `watch(ctx.db, tables)`. */
export class ChangeFeed {
  /** Whether changes made elsewhere are heard now (always, without a listener). */
  live: boolean
  /** The listener's first wait before reconnecting, doubled per failure up to 5 s. */
  retryMs = 250
  private readonly byTable = new Map<string, Set<TableWatch>>()
  private readonly watches = new Set<TableWatch>()
  private pendingWatches: { watch: TableWatch; tables: string[] }[] = []
  private cascades: Promise<void> | undefined
  private parentsOf = new Map<string, string[]>()
  private listener: Listener | undefined
  private closed = false

  constructor(private readonly options: ChangeFeedOptions) {
    this.live = !options.listen
  }

  /** Makes `db` (and `db.background`'s handle) known as this feed's, for `watch(db, …)`. */
  bind(...handles: object[]): this {
    for (const h of handles) feeds.set(h, this)
    return this
  }

  /** A statement tracker for one connection (or one PGlite transaction, `inTransaction`). */
  tracker(inTransaction = false): StatementTracker {
    return new StatementTracker(this, inTransaction)
  }

  /** A watch of `tables` (see `watch`). */
  watch(tables: string[]): Watch {
    const watch = new TableWatch(this)
    this.watches.add(watch)
    if (this.options.listen && !this.listener && !this.closed) this.listener = this.options.listen(this)
    this.pendingWatches.push({ watch, tables })
    this.cascades ??= this.loadCascades()
    void this.cascades.then(() => this.registerPending())
    return watch
  }

  /** A transaction (or autocommit statement) that wrote `written` has committed. */
  committed(written: Written): void {
    if (written === true) this.bumpAll()
    else for (const table of written) this.bump(table)
  }

  /** Another process changed `table` (a notification). */
  bump(table: string): void {
    const set = this.byTable.get(table)
    if (set) for (const w of set) w.n++
  }

  bumpAll(): void {
    for (const w of this.watches) w.n++
  }

  /** The listener's state: when it is back, what it missed meanwhile is unknown, so everything moves on. */
  setLive(live: boolean): void {
    if (live) this.bumpAll()
    this.live = live
  }

  async close(): Promise<void> {
    this.closed = true
    this.live = false
    await this.listener?.close()
  }

  private async loadCascades(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        const parents = new Map<string, string[]>()
        for (const { child, parent } of await this.options.cascades()) {
          if (!parents.has(child)) parents.set(child, [])
          parents.get(child)!.push(parent)
        }
        this.parentsOf = parents
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)).unref?.())
      }
    }
  }

  private registerPending(): void {
    for (const { watch, tables } of this.pendingWatches.splice(0)) {
      for (const table of this.withCascades(tables)) {
        if (!this.byTable.has(table)) this.byTable.set(table, new Set())
        this.byTable.get(table)!.add(watch)
      }
      watch.ready = true
    }
  }

  /** `tables` and every table whose write reaches one of them through foreign key actions. */
  private withCascades(tables: string[]): Set<string> {
    const all = new Set<string>()
    const visit = (table: string) => {
      if (all.has(table)) return
      all.add(table)
      for (const parent of this.parentsOf.get(table) ?? []) visit(parent)
    }
    tables.forEach(visit)
    return all
  }
}

/** The foreign keys whose delete/update action (cascade, set null, set default) writes the child table. */
export const CASCADES_SQL = `select child.relname as child, parent.relname as parent
  from pg_constraint c join pg_class child on child.oid = c.conrelid join pg_class parent on parent.oid = c.confrelid
  where c.contype = 'f' and (c.confdeltype in ('c', 'n', 'd') or c.confupdtype in ('c', 'n', 'd'))`

/**
 * Watches `tables` of the database `db` (a plain handle: `ctx.db`): `version()` changes once a
 * write to any of them has committed, in this process or (PostgreSQL, with the tables' triggers
 * calling `hatchery_notify_change()`) another; it is `null` while that cannot be known (the
 * listener not connected yet, or lost), and then nothing may be cached. A plugin caching what it
 * read from these tables captures the version before reading and serves the entry only while
 * `version()` still returns it. Make the watch once (setup, a route factory), not per request.
 * @example
 * const changes = watch(ctx.db, ['servers', 'nodes'])
 * const version = changes.version()
 * const page = await load()
 * if (version !== null) cache.set(key, { version, page }) // a hit needs changes.version() === version
 */
export function watch(db: Db, tables: string[]): Watch {
  const feed = feeds.get(db)
  if (!feed) throw new Error('watch() needs a plain database handle (ctx.db) opened by the kernel')
  return feed.watch(tables)
}

/** The change feed of a plain handle, if it has one (tests). */
export function changeFeedOf(db: Db): ChangeFeed | undefined {
  return feeds.get(db)
}

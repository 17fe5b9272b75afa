import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import { sql, type SQL } from 'drizzle-orm'
import type { PoolClient } from 'pg'
import { DataDirLock } from './lock'
import { embedded } from '../embedded'
import { DatabaseUnreachable, DeadlineExceeded, isDatabaseUnavailable } from './errors'
import { queryScope } from './scope'
import { CASCADES_SQL, ChangeFeed, type StatementTracker } from './changes'
import { postgresListener } from './listener'

/** The Drizzle handle every service receives (PostgreSQL or embedded PGlite). */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>
/** A transaction handle; accepted wherever a `Db` is. */
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>, ExtractTablesWithRelations<Record<string, never>>>

export interface Database {
  /** For request handlers: statements time out after `statementTimeoutMs`. */
  db: Db
  /** For migrations and jobs: the same database with a long statement timeout. */
  background: Db
  kind: 'postgres' | 'pglite'
  /** Runs raw SQL and returns its rows (the drivers disagree on result shapes). */
  query<T = Record<string, unknown>>(query: SQL): Promise<T[]>
  /** Who is told when a COMMIT's outcome is unknown (the kernel logs it); PostgreSQL only. */
  onCommitUnknown(handler: CommitUnknownHandler): void
  /** The tables written, for caches (`watch(db, tables)` from hatchery). */
  changes: ChangeFeed
  close(): Promise<void>
}

/** Called when a COMMIT failed on a broken connection: the change may or may not have been made. */
export type CommitUnknownHandler = (info: { requestId?: string; error: Error }) => void

export interface OpenOptions {
  databaseUrl?: string
  dataDir: string
  /** Pool size for PostgreSQL. */
  max?: number
  /** An already-open PGlite instance (tests restore one from an image). */
  pglite?: import('@electric-sql/pglite').PGlite
  /** Longest wait for a new connection to be made, PostgreSQL only. Default 3 s. */
  connectTimeoutMs?: number
  /** Longest wait for a free pool slot while every connection is busy, PostgreSQL only. Default 10 s. */
  poolWaitMs?: number
  /** Server-side limit of one statement from a request, PostgreSQL only. Default 15 s. */
  statementTimeoutMs?: number
}

/** Statement timeout of the background pool (migrations, jobs). */
const BACKGROUND_STATEMENT_TIMEOUT_MS = 15 * 60_000

/** A close() that may be called again (shutdown paths overlap): the second call waits for the first. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined
  return () => (closing ??= fn())
}

/** Rows of a `db.execute()` result under either driver. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

const queryText = (arg: unknown): string =>
  typeof arg === 'string' ? arg : typeof (arg as { text?: unknown })?.text === 'string' ? (arg as { text: string }).text : ''

/**
 * Opens PostgreSQL through node-postgres when `databaseUrl` is set, else embedded PGlite in
 * `dataDir/db` (holding `dataDir/db.lock` so no second process opens it).
 *
 * Why node-postgres and not postgres.js: postgres.js 3.4.x throws from a `setImmediate`
 * callback when a connection closes with a write pending (porsager/postgres#1066, #1154,
 * #1208; unfixed in 3.4.10), which kills the process on a PostgreSQL restart under load.
 * node-postgres reports a broken connection as a rejected query plus an `error` event the
 * pool handles, and drops the client instead of reusing it.
 * @example const database = await openDatabase({ dataDir: './data' })
 */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts)
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  let lock: DataDirLock | undefined
  let client = opts.pglite
  if (!client) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    lock = DataDirLock.acquire(join(opts.dataDir, 'db.lock'))
    try {
      client = new PGlite(join(opts.dataDir, 'db'), await pgliteRuntime())
      await client.waitReady
    } catch (e) {
      lock.release()
      throw e
    }
  }
  const pg = client
  // One process holds the data directory: its own statements are every change there is.
  const changes = new ChangeFeed({ cascades: async () => (await pg.query<{ child: string; parent: string }>(CASCADES_SQL)).rows })
  guardPglite(pg, changes)
  const db = drizzle(pg) as unknown as Db
  changes.bind(db)
  return {
    db,
    background: db,
    kind: 'pglite',
    query: async (q) => rowsOf(await db.execute(q)),
    // In-process: a COMMIT cannot be lost on the way.
    onCommitUnknown: () => {},
    changes,
    close: once(async () => {
      await changes.close()
      await pg.close()
      lock?.release()
    }),
  }
}

/**
 * PGlite finds its runtime files beside its module, which a compiled binary does not have on
 * disk: there they are the copies the binary embedded, handed over as modules and a blob.
 */
async function pgliteRuntime(): Promise<import('@electric-sql/pglite').PGliteOptions> {
  const files = embedded()?.pglite
  if (!files) return {}
  const compile = async (path: string) => WebAssembly.compile(await Bun.file(path).arrayBuffer())
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([compile(files.wasm), compile(files.initdb)])
  return { pgliteWasmModule, initdbWasmModule, fsBundle: Bun.file(files.data) }
}

/** Refuses statements of a request past its deadline (ROLLBACK excepted), so its transaction cannot commit. */
function checkDeadline(text: string): void {
  const deadline = queryScope.getStore()?.deadline
  if (deadline !== undefined && performance.now() > deadline && !/^\s*rollback/i.test(text)) throw new DeadlineExceeded()
}

/** Runs `bump` once `result` settles, before the caller's own reactions (registered first). */
function settled<T>(result: Promise<T>, bump: (() => void) | undefined): Promise<T> {
  if (bump) result.then(bump, bump)
  return result
}

// PGlite runs one statement at a time in this process; its `query`/`exec` (and those of the
// transaction object it hands out) are where a late statement is stopped and where writes are
// seen: the tables a transaction wrote are bumped once its `transaction()` has committed.
function guardPglite(pg: import('@electric-sql/pglite').PGlite, changes: ChangeFeed): void {
  const wrap = <T extends { query: Function; exec: Function }>(target: T, tracker: StatementTracker) => {
    const query = target.query.bind(target)
    const exec = target.exec.bind(target)
    target.query = ((text: string, ...rest: unknown[]) => {
      const sql = queryText(text)
      checkDeadline(sql)
      return settled(query(text, ...rest), tracker.sent(sql))
    }) as T['query']
    target.exec = ((text: string, ...rest: unknown[]) => {
      checkDeadline(text)
      return settled(exec(text, ...rest), tracker.sent(text))
    }) as T['exec']
    return target
  }
  wrap(pg, changes.tracker())
  const transaction = pg.transaction.bind(pg)
  pg.transaction = ((fn: (tx: never) => Promise<unknown>) => {
    const tracker = changes.tracker(true)
    const done = transaction((tx) => fn(wrap(tx, tracker) as never))
    // Registered before the caller's await: the bump happens before its code sees the commit.
    done.then(
      () => tracker.takeWritten()?.(),
      () => tracker.takeWritten()?.(),
    )
    return done
  }) as typeof pg.transaction
}

async function openPostgres(url: string, opts: OpenOptions): Promise<Database> {
  const { default: pg } = await import('pg')
  const { drizzle } = await import('drizzle-orm/node-postgres')
  let onCommitUnknown: CommitUnknownHandler | undefined
  const changes = new ChangeFeed({
    cascades: async () => rowsOf(await db.execute(sql.raw(CASCADES_SQL))),
    listen: postgresListener(url, opts.connectTimeoutMs ?? 3000),
  })

  // Every statement of the panel goes through this client: a request past its deadline cannot
  // start a statement, and a COMMIT lost with its connection is reported.
  const connectTimeout = opts.connectTimeoutMs ?? 3000
  class GuardedClient extends pg.Client {
    constructor(config?: ConstructorParameters<typeof pg.Client>[0]) {
      // The pool's connectionTimeoutMillis bounds the wait for a slot (queueing under load); a
      // connection that cannot be made (the database gone) must fail sooner.
      super({ ...(typeof config === 'object' ? config : {}), connectionTimeoutMillis: connectTimeout })
      // A connection that breaks fails its pending queries and is dropped on release; the pool
      // listens for `error` only while the client is idle, and an unheard `error` event would
      // end the process (a transaction holds its client between statements).
      this.on('error', () => {})
    }

    // The tables this connection's open transaction wrote (the change feed).
    private readonly tracker = changes.tracker()

    // node-postgres' overloads (promise, callback, submittable) are passed through; a write's
    // bump runs once the statement settles, before the caller's callback or reactions.
    override query(...args: unknown[]): any {
      const text = queryText(args[0])
      const begin = /^\s*begin\b/i.test(text)
      const at = args.findIndex((a) => typeof a === 'function')
      try {
        checkDeadline(text)
      } catch (e) {
        if (begin) this.releaseAfterFailedBegin(e as Error)
        const callback = args[at] as ((e: Error) => void) | undefined
        if (callback) return void queueMicrotask(() => callback(e as Error))
        return Promise.reject(e)
      }
      const bump = this.tracker.sent(text)
      if (bump && at !== -1) {
        const callback = args[at] as (...a: unknown[]) => void
        args[at] = (...a: unknown[]) => {
          bump()
          callback(...a)
        }
      }
      const result = (super.query as (...a: unknown[]) => any)(...args)
      if (bump && at === -1) {
        if (typeof result?.then === 'function') result.then(bump, bump)
        else if (typeof result?.once === 'function') (result.once('end', bump), result.once('error', bump))
      }
      if (result && typeof result.catch === 'function') {
        if (begin) result.catch((error: Error) => this.releaseAfterFailedBegin(error))
        // A COMMIT sent on a live connection that then broke may or may not have been applied.
        else if (/^\s*commit\b/i.test(text) && (this as { _queryable?: boolean })._queryable !== false) {
          const scope = queryScope.getStore()
          result.catch((error: Error) => {
            if (isDatabaseUnavailable(error)) onCommitUnknown?.({ requestId: scope?.requestId, error })
          })
        }
      }
      return result
    }

    // Drizzle's node-postgres transaction sends BEGIN before its try/finally, so a BEGIN that
    // fails (a connection ended by a restart) would keep its pool slot forever; give it back,
    // as broken, here.
    private releaseAfterFailedBegin(error: Error): void {
      const release = (this as { release?: (e?: Error) => void }).release
      try {
        release?.call(this, error)
      } catch {}
    }
  }

  // A request whose attempt to connect failed is not made to wait out the connect timeout again
  // for its next statement: it gets the same answer at once. Other requests still try, so the
  // first request after the database is back succeeds.
  class GuardedPool extends pg.Pool {
    override connect(...args: unknown[]): any {
      const callback = args[0] as ((err: Error | undefined, client?: PoolClient, done?: (release?: unknown) => void) => void) | undefined
      const scope = queryScope.getStore()
      const attempt = (): Promise<PoolClient> => {
        if (scope?.unreachable) return Promise.reject(new DatabaseUnreachable())
        return (super.connect() as Promise<PoolClient>).catch((error: Error) => {
          if (scope && isDatabaseUnavailable(error)) scope.unreachable = true
          throw error
        })
      }
      if (!callback) return attempt()
      attempt().then(
        (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error | undefined)),
        (error: Error) => callback(error),
      )
    }
  }

  const pool = (max: number, statementTimeout: number) => {
    const p = new GuardedPool({
      connectionString: url,
      max,
      Client: GuardedClient,
      connectionTimeoutMillis: opts.poolWaitMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      statement_timeout: statementTimeout,
      idle_in_transaction_session_timeout: Math.max(statementTimeout, 60_000),
      application_name: 'hatchery',
    })
    // A connection that breaks while idle is removed by the pool, which then emits `error`:
    // without a listener that event would end the process.
    p.on('error', () => {})
    return p
  }
  const requests = pool(opts.max ?? 10, opts.statementTimeoutMs ?? 15_000)
  const jobs = pool(2, BACKGROUND_STATEMENT_TIMEOUT_MS)
  const db = drizzle(requests) as unknown as Db
  const background = drizzle(jobs) as unknown as Db
  changes.bind(db, background)
  return {
    db,
    background,
    kind: 'postgres',
    query: async (q) => rowsOf(await db.execute(q)),
    onCommitUnknown: (handler) => void (onCommitUnknown = handler),
    changes,
    close: once(() => Promise.all([changes.close(), requests.end(), jobs.end()]).then(() => {})),
  }
}

/** `select 1` — used by health checks and to fail fast at boot. */
export async function ping(database: Database): Promise<void> {
  await database.query(sql`select 1`)
}

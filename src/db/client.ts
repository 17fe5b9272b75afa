import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type { ExtractTablesWithRelations } from 'drizzle-orm'
import { sql, type SQL } from 'drizzle-orm'
import { DataDirLock } from './lock'

/** The Drizzle handle every service receives (PostgreSQL or embedded PGlite). */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>
/** A transaction handle; accepted wherever a `Db` is. */
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>, ExtractTablesWithRelations<Record<string, never>>>

export interface Database {
  db: Db
  kind: 'postgres' | 'pglite'
  /** Runs raw SQL and returns its rows (the drivers disagree on result shapes). */
  query<T = Record<string, unknown>>(query: SQL): Promise<T[]>
  close(): Promise<void>
}

export interface OpenOptions {
  databaseUrl?: string
  dataDir: string
  /** Pool size for PostgreSQL. */
  max?: number
  /** An already-open PGlite instance (tests restore one from an image). */
  pglite?: import('@electric-sql/pglite').PGlite
}

/** Rows of a `db.execute()` result under either driver. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

/**
 * Opens PostgreSQL through postgres.js when `databaseUrl` is set, else embedded PGlite in
 * `dataDir/db` (holding `dataDir/db.lock` so no second process opens it).
 * @example const database = await openDatabase({ dataDir: './data' })
 */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const { default: postgres } = await import('postgres')
    const { drizzle } = await import('drizzle-orm/postgres-js')
    const client = postgres(opts.databaseUrl, {
      max: opts.max ?? 10,
      onnotice: () => {},
      connection: { application_name: 'hatchery' },
    })
    const db = drizzle(client) as unknown as Db
    return {
      db,
      kind: 'postgres',
      query: async (q) => rowsOf(await db.execute(q)),
      close: () => client.end({ timeout: 5 }),
    }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const { drizzle } = await import('drizzle-orm/pglite')
  let lock: DataDirLock | undefined
  let client = opts.pglite
  if (!client) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    lock = DataDirLock.acquire(join(opts.dataDir, 'db.lock'))
    try {
      client = new PGlite(join(opts.dataDir, 'db'))
      await client.waitReady
    } catch (e) {
      lock.release()
      throw e
    }
  }
  const pg = client
  const db = drizzle(pg) as unknown as Db
  return {
    db,
    kind: 'pglite',
    query: async (q) => rowsOf(await db.execute(q)),
    close: async () => {
      await pg.close()
      lock?.release()
    },
  }
}

/** `select 1` — used by health checks and to fail fast at boot. */
export async function ping(database: Database): Promise<void> {
  await database.query(sql`select 1`)
}

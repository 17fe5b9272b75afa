import { sql } from 'drizzle-orm'
import { openDatabase, type Database } from '../db/client'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, readMigrations, type MigrationSource } from '../db/migrate'
import { CORE_MIGRATIONS } from '../kernel/app'
import { discoverPlugins, ROOT } from '../kernel/loader'

/** One id per `bun test` run: names every database and Redis key the run creates. */
const CACHE_DIR = join(ROOT, 'node_modules/.cache/hatchery')

export const RUN_ID = `${process.pid}_${Date.now().toString(36)}`

let counter = 0
let templatePg: Promise<string> | undefined
let templateImage: Promise<Blob> | undefined
const created: string[] = []

async function bundledSources(): Promise<MigrationSource[]> {
  const plugins = await discoverPlugins()
  return [
    { owner: 'core', dir: CORE_MIGRATIONS },
    ...plugins.filter((p) => p.migrationsDir).map((p) => ({ owner: p.descriptor.name, dir: p.migrationsDir! })),
  ]
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

async function admin<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', max: 1 })
  try {
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** A PostgreSQL database migrated once per run, the template of every test database. */
function pgTemplate(): Promise<string> {
  templatePg ??= (async () => {
    const name = `hatchery_tpl_${RUN_ID}`
    await admin((db) => db.query(sql.raw(`create database "${name}"`)))
    const tpl = await openDatabase({ databaseUrl: withDatabase(process.env.DATABASE_URL!, name), dataDir: '', max: 1 })
    try {
      await migrate(tpl, await bundledSources())
    } finally {
      await tpl.close()
    }
    return name
  })()
  return templatePg
}

/**
 * A PGlite data directory migrated once, restored for every test file. The image is cached in
 * node_modules/.cache keyed by the migrations' content, so only the first run pays for initdb.
 */
function pgliteImage(): Promise<Blob> {
  templateImage ??= (async () => {
    const sources = await bundledSources()
    const pgliteVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version
    const hash = createHash('sha256').update(pgliteVersion)
    for (const m of sources.flatMap(readMigrations)) hash.update(`${m.owner}/${m.name}:${m.checksum}\n`)
    const file = join(CACHE_DIR, `pglite-${hash.digest('hex').slice(0, 16)}.tar`)
    if (existsSync(file)) return new Blob([readFileSync(file)])
    const { PGlite } = await import('@electric-sql/pglite')
    const pg = new PGlite()
    await pg.waitReady
    const db = await openDatabase({ dataDir: '', pglite: pg })
    await migrate(db, sources)
    const image = await pg.dumpDataDir('none')
    await pg.close()
    mkdirSync(CACHE_DIR, { recursive: true })
    const tmp = `${file}.${process.pid}`
    writeFileSync(tmp, new Uint8Array(await image.arrayBuffer()))
    renameSync(tmp, file)
    return image
  })()
  return templateImage
}

export interface TestDatabase {
  database: Database
  /** Connection string on PostgreSQL (for a second app instance on the same data). */
  url?: string
  drop(): Promise<void>
}

/**
 * A database of its own for one test file, with every bundled migration applied: a copy of
 * the run's template on PostgreSQL (`DATABASE_URL`), or a PGlite restored from the run's image.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL) {
    const template = await pgTemplate()
    const name = `hatchery_t_${RUN_ID}_${counter++}`
    await admin((db) => db.query(sql.raw(`create database "${name}" template "${template}"`)))
    created.push(name)
    const url = withDatabase(process.env.DATABASE_URL, name)
    const database = await openDatabase({ databaseUrl: url, dataDir: '', max: 4 })
    return {
      database,
      url,
      async drop() {
        await database.close()
        await admin((db) => db.query(sql.raw(`drop database if exists "${name}" with (force)`)))
        created.splice(created.indexOf(name), 1)
      },
    }
  }
  const { PGlite } = await import('@electric-sql/pglite')
  const pg = new PGlite({ loadDataDir: await pgliteImage() })
  await pg.waitReady
  const database = await openDatabase({ dataDir: '', pglite: pg })
  return { database, drop: () => database.close() }
}

/** Drops what this run created (called once, after every test file). */
export async function dropTemplates(): Promise<void> {
  if (!process.env.DATABASE_URL || !templatePg) return
  const template = await templatePg.catch(() => null)
  await admin(async (db) => {
    for (const name of [...created, template].filter(Boolean)) {
      await db.query(sql.raw(`drop database if exists "${name}" with (force)`))
    }
  })
}

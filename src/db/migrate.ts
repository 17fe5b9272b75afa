import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { embeddedMigrations } from '../embedded'
import { rowsOf, type Database, type Tx } from './client'

/** A folder of `.sql` migrations owned by the kernel (`core`) or one plugin. */
export interface MigrationSource {
  owner: string
  dir: string
}

export interface Migration {
  owner: string
  name: string
  checksum: string
  statements: string[]
}

/** Boot must stop: a migration failed, or an applied one was edited. */
export class MigrationError extends Error {}

const BREAKPOINT = /-->\s*statement-breakpoint/

/**
 * Reads a source folder: `*.sql` files in name order, split on drizzle-kit breakpoints. In a
 * compiled binary the bundled folders come from the SQL it embedded, byte for byte, so checksums
 * match those recorded from source. A folder that is missing stops boot: the schema would
 * otherwise silently lack its tables.
 */
export function readMigrations(source: MigrationSource): Migration[] {
  const files = embeddedMigrations(source.dir) ?? readFolder(source)
  return files
    .filter((f) => f.name.endsWith('.sql'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, text: raw }) => {
      const text = raw.replace(/\r\n/g, '\n')
      return {
        owner: source.owner,
        name,
        checksum: createHash('sha256').update(text).digest('hex'),
        statements: text
          .split(BREAKPOINT)
          .map((s) => s.trim())
          .filter((s) => s && !/^(--[^\n]*\n?)*$/.test(s)),
      }
    })
}

function readFolder(source: MigrationSource): { name: string; text: string }[] {
  if (!existsSync(source.dir) || !statSync(source.dir).isDirectory()) {
    throw new MigrationError(`migrations folder of ${source.owner} not found: ${source.dir}`)
  }
  return readdirSync(source.dir)
    .filter((f) => f.endsWith('.sql'))
    .map((name) => ({ name, text: readFileSync(join(source.dir, name), 'utf8') }))
}

/**
 * Runs one chunk of a migration file. node-postgres sends a raw query without parameters over the
 * simple protocol, which accepts several statements; PGlite's query() is the extended protocol,
 * one statement per call. Its exec() is the simple protocol, so a chunk behaves the same on both.
 */
async function runStatement(database: Database, tx: Tx, statement: string): Promise<void> {
  const client = (tx as unknown as { session?: { client?: { exec?: (query: string) => Promise<unknown> } } }).session?.client
  if (database.kind === 'pglite' && typeof client?.exec === 'function') await client.exec(statement)
  else await tx.execute(sql.raw(statement))
}

const LOCK_ID = 0x4a7c4e1 // any constant shared by every panel process

/**
 * Applies pending migrations of every source exactly once, recorded by (owner, name, checksum)
 * in `hatchery_migrations`, so folders from several plugins never collide whatever their
 * dates. Everything pending runs in one transaction under an advisory lock, so concurrent
 * panel processes serialise and a failure leaves the schema untouched.
 * @returns the `owner/name` of each migration applied now
 */
export async function migrate(database: Database, sources: MigrationSource[]): Promise<string[]> {
  const all = sources.flatMap(readMigrations)
  const applied: string[] = []
  // The background handle: a long migration must not hit the request statement timeout.
  await database.background.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_ID})`)
    await tx.execute(sql`create table if not exists hatchery_migrations (
      owner varchar(128) not null,
      name varchar(255) not null,
      checksum char(64) not null,
      applied_at timestamptz not null default now(),
      primary key (owner, name)
    )`)
    const done = rowsOf<{ owner: string; name: string; checksum: string }>(
      await tx.execute(sql`select owner, name, checksum from hatchery_migrations`),
    )
    const known = new Map(done.map((r) => [`${r.owner}/${r.name}`, r.checksum]))
    for (const m of all) {
      const id = `${m.owner}/${m.name}`
      const checksum = known.get(id)
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(`migration ${id} was edited after it was applied (checksum mismatch); add a new migration instead`)
        }
        continue
      }
      for (const statement of m.statements) {
        try {
          await runStatement(database, tx, statement)
        } catch (e) {
          const cause = (e as any)?.cause?.message ?? (e as Error).message
          throw new MigrationError(`migration ${id} failed: ${cause}`)
        }
      }
      await tx.execute(sql`insert into hatchery_migrations (owner, name, checksum) values (${m.owner}, ${m.name}, ${m.checksum})`)
      applied.push(id)
    }
  })
  return applied
}

async function appliedRows(database: Database): Promise<{ owner: string; name: string }[]> {
  try {
    return await database.query(sql`select owner, name from hatchery_migrations order by owner, name`)
  } catch {
    return [] // no table yet: nothing applied
  }
}

/**
 * Applied migrations (recorded in `hatchery_migrations`) of an installed owner whose file no
 * longer exists, as `owner/name`. Owners not installed now (a removed plugin) are not listed.
 */
export async function deletedMigrations(database: Database, sources: MigrationSource[]): Promise<string[]> {
  const owners = new Set(sources.map((s) => s.owner))
  const files = new Set(sources.flatMap(readMigrations).map((m) => `${m.owner}/${m.name}`))
  return (await appliedRows(database))
    .map((r) => `${r.owner}/${r.name}`)
    .filter((id) => owners.has(id.slice(0, id.indexOf('/'))) && !files.has(id))
}

/**
 * Status of every known migration, for `panel migrate --status` and health checks: `applied`,
 * `pending`, or `deleted` (applied, but its file is gone).
 */
export async function migrationStatus(database: Database, sources: MigrationSource[]) {
  const all = sources.flatMap(readMigrations)
  const set = new Set((await appliedRows(database)).map((r) => `${r.owner}/${r.name}`))
  const rows = all.map((m) => ({ owner: m.owner, name: m.name, applied: set.has(`${m.owner}/${m.name}`), deleted: false }))
  for (const id of await deletedMigrations(database, sources)) {
    const at = id.indexOf('/')
    rows.push({ owner: id.slice(0, at), name: id.slice(at + 1), applied: true, deleted: true })
  }
  return rows
}

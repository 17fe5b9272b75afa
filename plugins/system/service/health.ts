import { sql } from 'drizzle-orm'
import { readMigrations, type Database, type MigrationSource } from 'hatchery'

/** The time with this process's UTC offset, as the reference's `chrono::Local` (`2026-12-07T05:12:34.123+01:00`). */
export function localTime(now = new Date()): string {
  const offset = -now.getTimezoneOffset()
  const local = new Date(now.getTime() + offset * 60_000).toISOString().replace('Z', '')
  const sign = offset >= 0 ? '+' : '-'
  const abs = Math.abs(offset)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/**
 * Migration files against the kernel's record (`hatchery_migrations`, by owner and name): the
 * kernel's own (`core`) at the top level, each plugin under `extensions` (the reference's word for
 * its add-ons). An applied migration whose file is gone is not counted.
 */
export async function migrationHealth(db: Database, sources: readonly MigrationSource[]) {
  const rows = await db.query<{ owner: string; name: string }>(sql`select owner, name from hatchery_migrations`)
  const applied = new Set(rows.map((r) => `${r.owner}/${r.name}`))
  const count = (source: MigrationSource) => {
    const files = readMigrations(source)
    return { total: files.length, applied: files.filter((m) => applied.has(`${m.owner}/${m.name}`)).length }
  }
  const core = sources.filter((s) => s.owner === 'core').map(count)
  const extensions: Record<string, { total: number; applied: number }> = {}
  for (const source of sources) if (source.owner !== 'core') extensions[source.owner] = count(source)
  return {
    total: core.reduce((n, c) => n + c.total, 0),
    applied: core.reduce((n, c) => n + c.applied, 0),
    extensions,
  }
}

/**
 * `GET /api/admin/system/health/general`. Hatchery asks no NTP server (the reference checks its
 * clock against a few), so `ntp_offsets` is empty.
 */
export async function generalHealth(db: Database, sources: readonly MigrationSource[]) {
  return { local_time: localTime(), ntp_offsets: {}, migrations: await migrationHealth(db, sources) }
}

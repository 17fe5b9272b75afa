import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client'

export interface BenchDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

/**
 * Creates an empty database for this run on the admin connection's server. The name carries the
 * harness pid so concurrent runs do not collide.
 */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `hatchery_bench_${process.pid}`
  const admin = () => openDatabase({ databaseUrl: adminUrl, dataDir: '', max: 1 })
  const db = await admin()
  try {
    await db.query(sql.raw(`drop database if exists "${name}" with (force)`))
    await db.query(sql.raw(`create database "${name}"`))
  } finally {
    await db.close()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  let dropped = false
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return
      dropped = true
      const db = await admin()
      try {
        // FORCE: a panel killed mid-run may still hold connections.
        await db.query(sql.raw(`drop database if exists "${name}" with (force)`))
      } finally {
        await db.close()
      }
    },
  }
}

import postgres from 'postgres'

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
  const admin = () => postgres(adminUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'hatchery-bench' } })
  const sql = admin()
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`)
    await sql.unsafe(`create database "${name}"`)
  } finally {
    await sql.end({ timeout: 5 })
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
      const sql = admin()
      try {
        // FORCE: a panel killed mid-run may still hold connections.
        await sql.unsafe(`drop database if exists "${name}" with (force)`)
      } finally {
        await sql.end({ timeout: 5 })
      }
    },
  }
}

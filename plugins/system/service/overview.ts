import { existsSync, readFileSync } from 'node:fs'
import { arch, cpus, freemem, release, totalmem } from 'node:os'
import { sql } from 'drizzle-orm'
import type { Database } from 'hatchery'
import pkg from '../../../package.json'

/** Rust's names for the machine (`std::env::consts::ARCH`), which the reference reports. */
const ARCHITECTURES: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'x86',
  arm: 'arm',
  riscv64: 'riscv64',
  s390x: 's390x',
  ppc64: 'powerpc64',
  loong64: 'loongarch64',
}

export const architecture = () => ARCHITECTURES[arch()] ?? arch()

/**
 * The reference's `container_type` names its own images; Hatchery has no official image, so the
 * answer is `unknown` inside a container and `none` outside one.
 */
export function containerType(): 'unknown' | 'none' {
  if (existsSync('/.dockerenv') || existsSync('/run/.containerenv')) return 'unknown'
  try {
    return /\b(docker|kubepods|containerd|lxc|libpod)\b/.test(readFileSync('/proc/1/cgroup', 'utf8')) ? 'unknown' : 'none'
  } catch {
    return 'none'
  }
}

function cpu() {
  const list = cpus()
  const model = list[0]?.model?.trim() ?? 'unknown'
  const vendor = /intel/i.test(model) ? 'GenuineIntel' : /amd/i.test(model) ? 'AuthenticAMD' : /apple/i.test(model) ? 'Apple' : 'unknown'
  return { name: 'cpu0', brand: model, vendor_id: vendor, frequency_mhz: list[0]?.speed ?? 0, cpu_count: list.length }
}

function memory() {
  const total = totalmem()
  const free = freemem()
  return { total_bytes: total, free_bytes: free, used_bytes: total - free, used_bytes_process: process.memoryUsage.rss() }
}

async function database(db: Database) {
  const [info] = await db.query<{ version: string; size: string | number }>(
    sql`select current_setting('server_version') as version, pg_database_size(current_database()) as size`,
  )
  // The reference has a read and a write pool; Hatchery has one, so both report its connections.
  const [conns] =
    db.kind === 'pglite'
      ? [{ total: 1, idle: 1 }]
      : await db.query<{ total: number; idle: number }>(
          sql`select count(*)::int as total, count(*) filter (where state = 'idle')::int as idle
              from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
        )
  return {
    version: info.version,
    size_bytes: Number(info.size),
    total_read_connections: conns.total,
    idle_read_connections: conns.idle,
    total_write_connections: conns.total,
    idle_write_connections: conns.idle,
  }
}

/**
 * `GET /api/admin/system/overview`: the reference's keys first, then Hatchery's own
 * (`runtime`, `database_driver`, `uptime_seconds`). Hatchery's caches (settings, credentials)
 * live in each process and keep no call statistics: `cache.version` says `in-process` and its
 * counters stay 0 rather than made up.
 */
export async function systemOverview(db: Database) {
  return {
    version: pkg.version,
    container_type: containerType(),
    cpu: cpu(),
    memory: memory(),
    cache: { version: 'in-process', total_calls: 0, total_hits: 0, total_misses: 0, average_call_latency_ns: 0, max_call_latency_ns: 0 },
    database: await database(db),
    architecture: architecture(),
    kernel_version: release(),
    runtime: `bun ${Bun.version}`,
    database_driver: db.kind,
    uptime_seconds: Math.floor(process.uptime()),
  }
}

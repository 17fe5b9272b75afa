/**
 * `bun bench/soak.ts [--duration 300] [--connections 64]`: the panel on a fresh PostgreSQL database
 * under minutes of mixed authenticated reads and writes (bench/wrk/mixed.lua) by one API key.
 * Reports requests, the status mix and 5xx count, p50/p99, the panel's RSS before, during and
 * after the load, and whether it is still alive and answering. See bench/README.md.
 */
import { sql } from 'drizzle-orm'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { logFile, RESULTS_DIR, runToCompletion, startBenchPanel, type BenchPanel } from './harness'
import { parseOptions } from './options'
import { createBenchDatabase, type BenchDatabase } from './postgres'
import { freePort, rssMiB, sleep, stopAll, tail } from './processes'
import { apiKey } from './scenarios'
import { writeResults } from './report'
import { requireWrk, wrk } from './wrk'

const USAGE = `usage: bun bench/soak.ts [--duration S] [--connections N] [--idle S] [--log-level info]
env: BENCH_DURATION (300) BENCH_CONNECTIONS (64) BENCH_IDLE BENCH_LOG_LEVEL; DATABASE_URL is the admin connection`
const options = (() => {
  try {
    return parseOptions(Bun.argv.slice(2), process.env, { duration: 300, connections: 64, usage: USAGE })
  } catch (e) {
    process.stderr.write(`soak: ${(e as Error).message}\n`)
    process.exit(2)
  }
})()
requireWrk('soak')
const log = (line: string) => process.stderr.write(`soak: ${line}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'hatchery-soak-'))
mkdirSync(RESULTS_DIR, { recursive: true })
let database: BenchDatabase | undefined
let started: BenchPanel | undefined

/** RSS every few seconds during the load: a leak shows as a climb, not just a higher end figure. */
function sampleRss(pid: number, everyMs: number) {
  const samples: { second: number; mib: number }[] = []
  const t0 = performance.now()
  const timer = setInterval(() => {
    const mib = rssMiB(pid)
    if (mib !== null) samples.push({ second: Math.round((performance.now() - t0) / 1000), mib })
  }, everyMs)
  return { samples, stop: () => clearInterval(timer) }
}

async function soak() {
  database = await createBenchDatabase(options.adminUrl)
  log(`starting the panel on PostgreSQL (${database.name})`)
  // Snippets are deleted as fast as they are created, but 64 connections may hold a few in flight.
  started = await startBenchPanel({
    databaseUrl: database.url,
    port: freePort(),
    dataDir: join(tmp, 'data'),
    logLevel: options.logLevel,
    logName: 'panel-soak',
    settings: { 'user.max_command_snippet_count': 100_000 },
    log,
  })
  const { panel, ctx } = started
  const key = await apiKey(ctx, { name: 'soak', allPermissions: true })
  const headers = { authorization: `Bearer ${key}` }
  const rssStart = rssMiB(panel.pid)
  log(`${options.duration} s of mixed reads and writes at ${options.connections} connections`)
  const every = Math.max(1, Math.round(options.duration / 30))
  const rss = sampleRss(panel.pid, every * 1000)
  const result = await wrk({
    url: panel.url + '/api/client/account',
    seconds: options.duration,
    connections: options.connections,
    headers,
    script: 'mixed.lua',
  })
  rss.stop()
  const rssEnd = rssMiB(panel.pid)
  await sleep(options.idle * 1000)
  const rssIdle = rssMiB(panel.pid)
  const exit = panel.exit()
  const check = exit
    ? null
    : await fetch(panel.url + '/api/client/account', { headers, signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.status,
        (e: Error) => e.message,
      )
  const serverErrors = Object.entries(result.statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0)
  const [snippets] = await ctx.db.query<{ n: number }>(sql`select count(*)::int as n from user_command_snippets`).catch(() => [{ n: -1 }])
  const alive = exit
    ? `NO: the panel died (${exit})`
    : check === 200
      ? 'yes (GET /api/client/account → 200)'
      : `running, but GET /api/client/account → ${check}`
  const mib = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} MiB`)
  const peak = Math.max(...rss.samples.map((s) => s.mib), rssEnd ?? 0)
  const lines = [
    `Hatchery soak: ${options.duration} s, ${options.connections} connections, mixed authenticated reads and writes (bench/wrk/mixed.lua)`,
    '',
    `requests        ${result.requests.toLocaleString('en-US')} (${Math.round(result.rps).toLocaleString('en-US')} req/s)`,
    `statuses        ${
      Object.entries(result.statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ') || 'none'
    }`,
    `5xx             ${serverErrors}`,
    `socket errors   ${result.errors}, timeouts ${result.timeouts}`,
    `latency         p50 ${result.p50?.toFixed(2) ?? '-'} ms, p99 ${result.p99?.toFixed(2) ?? '-'} ms, max ${result.max?.toFixed(2) ?? '-'} ms`,
    `panel RSS       start ${mib(rssStart)}, peak ${mib(peak)}, end ${mib(rssEnd)}, after ${options.idle} s idle ${mib(rssIdle)}`,
    `RSS every ${every} s    ${rss.samples.map((s) => s.mib.toFixed(0)).join(' ') || '-'} MiB`,
    `snippets left   ${snippets?.n ?? '?'} (created and deleted during the run)`,
    `panel alive     ${alive}`,
  ]
  if (exit) lines.push('', 'last lines of the panel log:', tail(logFile('panel-soak')))
  console.log(lines.join('\n'))
  const file = join(RESULTS_DIR, 'soak.json')
  writeResults(file, {
    date: new Date().toISOString(),
    options: { ...options, adminUrl: undefined },
    result,
    serverErrors,
    rss: { start: rssStart, end: rssEnd, idle: rssIdle, samples: rss.samples },
    alive: !exit,
    check,
  })
  log(`results written to ${file}`)
  if (exit || serverErrors > 0) process.exitCode = 1
}

await runToCompletion(log, soak, async () => {
  await stopAll()
  await started?.close()
  await database?.drop().catch((e) => log(`could not drop ${database!.name}: ${e.message}`))
  rmSync(tmp, { recursive: true, force: true })
})

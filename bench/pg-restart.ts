/**
 * `bun bench/pg-restart.ts [--duration 40] [--connections 32] [--outage 5]`: the panel on a
 * PostgreSQL cluster of the run's own (bench/cluster.ts) under mixed authenticated load, while the
 * cluster is restarted (`pg_ctl restart -m fast`) and later stopped for `--outage` seconds. A prober
 * sends one request every 100 ms to time each answer. Reports whether the panel survived, the
 * status mix, the recovery time after each event and the slowest answer during the outage (the
 * goal: a 503 within a few seconds, never a hang). See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCluster, type Cluster } from './cluster'
import { logFile, RESULTS_DIR, runToCompletion, startBenchPanel, type BenchPanel } from './harness'
import { parseOptions } from './options'
import { createBenchDatabase } from './postgres'
import { freePort, sleep, stopAll, tail } from './processes'
import { writeResults } from './report'
import { apiKey } from './scenarios'
import { requireWrk, wrk } from './wrk'

const USAGE = `usage: bun bench/pg-restart.ts [--duration S] [--connections N] [--outage S] [--log-level info]
  --outage S: seconds the cluster stays stopped in the second event (0: restart only; default 5)
env: BENCH_DURATION (40) BENCH_CONNECTIONS (32) BENCH_OUTAGE BENCH_LOG_LEVEL; PG_BIN (PostgreSQL server binaries)`
const PROBE_EVERY_MS = 100
/** A probe still waiting after this long is a hang, recorded as such. */
const PROBE_TIMEOUT_MS = 30_000

const log = (line: string) => process.stderr.write(`pg-restart: ${line}\n`)
const argv = Bun.argv.slice(2)
const outageAt = argv.indexOf('--outage')
const outage = Number(outageAt >= 0 ? argv.splice(outageAt, 2)[1] : (process.env.BENCH_OUTAGE ?? 5))
const options = (() => {
  try {
    if (!Number.isFinite(outage) || outage < 0) throw new Error(`--outage: expected seconds ≥ 0\n${USAGE}`)
    return parseOptions(argv, process.env, { duration: 40, connections: 32, usage: USAGE })
  } catch (e) {
    process.stderr.write(`pg-restart: ${(e as Error).message}\n`)
    process.exit(2)
  }
})()
requireWrk('pg-restart')
const tmp = mkdtempSync(join(tmpdir(), 'hatchery-pg-restart-'))
mkdirSync(RESULTS_DIR, { recursive: true })
let cluster: Cluster | undefined
let started: BenchPanel | undefined

interface Probe {
  /** Seconds since the load started. */
  sent: number
  done?: number
  status?: number
  error?: string
}

interface Event {
  name: string
  /** When the cluster was made unavailable, and when it accepted connections again. */
  down: number
  ready?: number
}

/** One GET every PROBE_EVERY_MS, whether or not the previous ones have answered. */
function startProber(url: string, headers: Record<string, string>, t0: number) {
  const probes: Probe[] = []
  const pending = new Set<Promise<void>>()
  const now = () => (performance.now() - t0) / 1000
  const timer = setInterval(() => {
    const probe: Probe = { sent: now() }
    probes.push(probe)
    const p = fetch(url, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then(async (r) => {
        await r.arrayBuffer()
        probe.status = r.status
      })
      .catch((e: Error & { code?: string }) => {
        probe.error = e.name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : (e.code ?? e.message)
      })
      .finally(() => {
        probe.done = now()
        pending.delete(p)
      })
    pending.add(p)
  }, PROBE_EVERY_MS)
  return {
    probes,
    async stop() {
      clearInterval(timer)
      await Promise.all(pending)
    },
  }
}

const ok = (p: Probe) => p.status !== undefined && p.status >= 200 && p.status < 300

/** From the cluster ready again to the first 2xx answer after it; the slowest answer meanwhile. */
function recovery(e: Event, probes: Probe[]) {
  if (e.ready === undefined) return { recovery: null, slowest: null }
  const first = probes.filter((p) => p.sent >= e.down && ok(p) && p.done! >= e.ready!).sort((a, b) => a.done! - b.done!)[0]
  const until = first?.done ?? Infinity
  const during = probes.filter((p) => p.sent >= e.down && p.sent <= until)
  const slowest = during.reduce<Probe | null>((s, p) => (s === null || p.done! - p.sent > s.done! - s.sent ? p : s), null)
  return { recovery: first ? first.done! - e.ready : null, slowest }
}

function perSecond(probes: Probe[]): Map<number, Map<string, number>> {
  const seconds = new Map<number, Map<string, number>>()
  for (const p of probes) {
    const s = Math.floor(p.sent)
    const counts = seconds.get(s) ?? new Map<string, number>()
    const key = p.status !== undefined ? String(p.status) : p.error!.startsWith('no answer') ? 'hang' : 'error'
    counts.set(key, (counts.get(key) ?? 0) + 1)
    seconds.set(s, counts)
  }
  return seconds
}

async function pgRestart() {
  log('creating a PostgreSQL cluster of our own')
  cluster = await createCluster()
  log(`cluster on 127.0.0.1:${cluster.port}`)
  const database = await createBenchDatabase(cluster.adminUrl)
  started = await startBenchPanel({
    databaseUrl: database.url,
    port: freePort(),
    dataDir: join(tmp, 'data'),
    logLevel: options.logLevel,
    logName: 'panel-pg-restart',
    settings: { 'user.max_command_snippet_count': 100_000 },
    log,
  })
  const { panel, ctx } = started
  const key = await apiKey(ctx, { name: 'pg-restart', allPermissions: true })
  // The harness's own connection would only see the restarts fail; the panel is what is measured.
  await started.close()
  const headers = { authorization: `Bearer ${key}` }
  const D = options.duration
  const t0 = performance.now()
  const now = () => (performance.now() - t0) / 1000
  log(
    `${D} s of mixed load at ${options.connections} connections; restart at ${(0.3 * D).toFixed(1)} s${outage ? `, ${outage} s outage from ${(0.6 * D).toFixed(1)} s` : ''}`,
  )
  const load = wrk({
    url: panel.url + '/api/client/account',
    seconds: D,
    connections: options.connections,
    headers,
    script: 'mixed.lua',
    timeout: 10,
  })
  const prober = startProber(panel.url + '/api/client/account', headers, t0)
  const events: Event[] = []
  const c = cluster
  const until = (second: number) => sleep(Math.max(0, second * 1000 - (performance.now() - t0)))
  const disrupt = async () => {
    await until(0.3 * D)
    const restart: Event = { name: 'pg_ctl restart -m fast', down: now() }
    events.push(restart)
    await c.restart()
    restart.ready = now()
    if (!outage) return
    await until(0.6 * D)
    const stop: Event = { name: `pg_ctl stop -m fast, ${outage} s down, start`, down: now() }
    events.push(stop)
    await c.stop()
    await sleep(outage * 1000)
    await c.start()
    stop.ready = now()
  }
  const [result] = await Promise.all([load, disrupt()])
  await prober.stop()
  const probes = prober.probes
  const exit = panel.exit()
  const check = exit
    ? null
    : await fetch(panel.url + '/api/client/account', { headers, signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.status,
        (e: Error) => e.message,
      )
  const count = (pred: (s: number) => boolean) =>
    Object.entries(result.statuses)
      .filter(([s]) => pred(Number(s)))
      .reduce((n, [, k]) => n + k, 0)
  const statusMix = (m: Map<string, number>) => [...m].map(([s, n]) => `${s}×${n}`).join(' ')
  const fmt = (s: number | null | undefined) => (s === null || s === undefined ? '-' : `${(Math.floor(s * 100) / 100).toFixed(2)} s`)
  const probeStatuses = new Map<string, number>()
  for (const m of perSecond(probes).values()) for (const [k, n] of m) probeStatuses.set(k, (probeStatuses.get(k) ?? 0) + n)
  const alive = exit
    ? `NO: the panel died (${exit}) at or before ${fmt(Math.min(...probes.filter((p) => p.error).map((p) => p.sent)))}`
    : check === 200
      ? 'yes (GET /api/client/account → 200 after the run)'
      : `running, but GET /api/client/account → ${check}`
  const lines = [
    `Hatchery pg-restart: ${D} s, ${options.connections} connections of mixed load (bench/wrk/mixed.lua), own cluster on port ${c.port}`,
    '',
    `panel alive     ${alive}`,
    `load requests   ${result.requests.toLocaleString('en-US')}; statuses ${
      Object.entries(result.statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ') || 'none'
    }`,
    `5xx / 503       ${count((s) => s >= 500)} / ${count((s) => s === 503)}; socket errors ${result.errors}, timeouts (> 10 s) ${result.timeouts}`,
    `latency         p50 ${result.p50?.toFixed(2) ?? '-'} ms, p99 ${result.p99?.toFixed(2) ?? '-'} ms, max ${result.max?.toFixed(2) ?? '-'} ms`,
    `prober          ${probes.length} requests, one per ${PROBE_EVERY_MS} ms: ${statusMix(probeStatuses)}`,
  ]
  const summaries = events.map((e) => {
    const r = recovery(e, probes)
    const slowest = r.slowest ? `${(r.slowest.done! - r.slowest.sent).toFixed(2)} s (${r.slowest.status ?? r.slowest.error})` : '-'
    lines.push(
      `event           ${e.name}: down at ${fmt(e.down)}, ready at ${fmt(e.ready)}; recovery (ready → first 2xx) ${fmt(r.recovery)}${r.recovery === null ? ' (never)' : ''}; slowest probe meanwhile ${slowest}`,
    )
    return { ...e, recovery: r.recovery, slowestProbe: r.slowest }
  })
  lines.push('', 'prober per second (seconds where not every answer was 2xx; unmarked runs of the same statuses merged):')
  let run: { from: number; to: number; counts: Map<string, number> } | null = null
  const flush = () => {
    if (run) lines.push(`  ${(run.from === run.to ? `${run.from}` : `${run.from}–${run.to}`).padStart(7)} s  ${statusMix(run.counts)}`)
    run = null
  }
  for (const [second, counts] of perSecond(probes)) {
    if ([...counts.keys()].every((k) => k.startsWith('2'))) {
      flush()
      continue
    }
    const marks = events
      .flatMap((e) => [
        Math.floor(e.down) === second ? ` ← ${e.name} issued` : '',
        e.ready !== undefined && Math.floor(e.ready) === second ? ' ← cluster ready' : '',
      ])
      .join('')
    const same = run && run.to === second - 1 && [...counts.keys()].sort().join() === [...run.counts.keys()].sort().join()
    if (same && !marks) {
      run!.to = second
      for (const [k, n] of counts) run!.counts.set(k, run!.counts.get(k)! + n)
      continue
    }
    flush()
    if (marks) lines.push(`  ${String(second).padStart(7)} s  ${statusMix(counts)}${marks}`)
    else run = { from: second, to: second, counts: new Map(counts) }
  }
  flush()
  if (exit) lines.push('', 'last lines of the panel log:', tail(logFile('panel-pg-restart')))
  console.log(lines.join('\n'))
  const file = join(RESULTS_DIR, 'pg-restart.json')
  writeResults(file, {
    date: new Date().toISOString(),
    options: { ...options, adminUrl: undefined, outage },
    alive: !exit,
    exit,
    check,
    result,
    events: summaries,
    probes,
  })
  log(`results written to ${file}`)
  if (exit) process.exitCode = 1
}

await runToCompletion(log, pgRestart, async () => {
  await stopAll()
  await started?.close()
  await cluster?.remove()
  rmSync(tmp, { recursive: true, force: true })
})

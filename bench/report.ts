import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** One wrk run (bench/wrk.ts). Latencies in milliseconds. */
export interface LoadResult {
  requests: number
  seconds: number
  rps: number
  p50: number | null
  p99: number | null
  max: number | null
  /** Responses per HTTP status. */
  statuses: Record<string, number>
  /** Socket errors (connect, read, write): requests that got no response. */
  errors: number
  timeouts: number
  /** CPU seconds the generator (wrk) used. */
  cpuSeconds: number
}

export interface Measurement extends LoadResult {
  /** Server CPU over the measurement, in cores (1 = one core busy); null without /proc. */
  serverCpu: number | null
  /** Everything else on the machine (PostgreSQL, other users' processes), in cores. */
  otherCpu: number | null
}

export interface ScenarioResult {
  name: string
  title: string
  path: string
  target: number
  skipped?: string
  /** The bare endpoint, measured just before this scenario. */
  bare?: Measurement
  measurement?: Measurement
  ratio?: number
  /** Bare's server CPU per request over the panel's: the ratio a shared machine distorts least. */
  cpuRatio?: number | null
  /** Every round's ratios, in the order measured (`bare`, `measurement` and the ratios above are the median round's). */
  ratios?: number[]
  cpuRatios?: (number | null)[]
  verdict: string
}

/** One bare-then-panel pair of a scenario. */
export interface Round {
  bare: Measurement
  measurement: Measurement
  ratio: number
  cpuRatio: number | null
}

export interface ScalingResult {
  name: string
  title: string
  path: string
  /** Maximum p50 at the last step over p50 at the first. */
  target: number
  steps: { label: string; measurement: Measurement }[]
  skipped?: string
  /** p50 at the last step over p50 at the first. */
  ratio?: number
  verdict: string
}

export interface RssResult {
  label: string
  mib: number | null
  /** Upper bound in MiB, when the figure has a target. */
  target?: number
}

export interface BenchResults {
  date: string
  commit: string | null
  environment: Record<string, unknown>
  options: Record<string, unknown>
  bare: { title: string; bytes: number }
  scenarios: ScenarioResult[]
  scaling: ScalingResult[]
  rss: RssResult[]
}

/** A target is judged only on clean runs: a ratio of 404s or 429s says nothing about the route. */
export function verdict(m: Measurement, ratio: number, target: number): string {
  if (!allOk(m)) return 'not judged: not all 2xx'
  return ratio >= target ? 'meets target' : 'BELOW TARGET'
}

const allOk = (m: Measurement) => m.errors === 0 && m.timeouts === 0 && Object.keys(m.statuses).every((s) => s.startsWith('2'))

/** p50 at the last step over p50 at the first, judged only when every step was all 2xx. */
export function scalingVerdict(s: ScalingResult): { ratio?: number; verdict: string } {
  const first = s.steps[0]?.measurement
  const last = s.steps.at(-1)?.measurement
  if (!first?.p50 || !last?.p50) return { verdict: 'not judged: no latency' }
  const ratio = last.p50 / first.p50
  if (!s.steps.every((x) => allOk(x.measurement))) return { ratio, verdict: 'not judged: not all 2xx' }
  return { ratio, verdict: ratio <= s.target ? 'meets target' : 'ABOVE TARGET' }
}

const ms = (v: number | null) => (v === null ? '-' : v.toFixed(2))
const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`)

function statusMix(m: Measurement): string {
  const parts = Object.entries(m.statuses).map(([code, n]) => `${code}×${n}`)
  if (m.errors) parts.push(`errors×${m.errors}`)
  if (m.timeouts) parts.push(`timeouts×${m.timeouts}`)
  return parts.join(' ') || 'none'
}

/** Server CPU microseconds per answered request; null without /proc. */
export function cpuPerRequest(m: Measurement): number | null {
  return m.serverCpu === null || m.requests === 0 ? null : (m.serverCpu * m.seconds * 1e6) / m.requests
}

/** Two decimals, or two significant digits below 0.01 (a write-heavy scenario's small ratio to bare). */
const fraction = (x: number) => (x >= 0.01 || x === 0 ? x.toFixed(2) : x.toPrecision(2))

function row(title: string, m: Measurement, ratio: string, target: string, note: string, cpuRatio = ''): string[] {
  const us = cpuPerRequest(m)
  return [
    title,
    Math.round(m.rps).toLocaleString('en-US'),
    ms(m.p50),
    ms(m.p99),
    `${pct(m.serverCpu)}/${pct(m.cpuSeconds / m.seconds)}/${pct(m.otherCpu)}`,
    us === null ? 'n/a' : us.toFixed(1),
    statusMix(m),
    ratio,
    cpuRatio,
    target,
    note,
  ]
}

/** Right-aligns the numbers; a short row (a skipped scenario) spans the columns after its title. */
function table(rows: string[][]): string {
  const columns = rows[0].length
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === 0 || r.length === columns ? r[i].length : 0))))
  const numeric = new Set([1, 2, 3, 4, 5, 7, 8])
  const cell = (text: string, i: number, full: boolean) =>
    !full && i > 0 ? text : numeric.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i])
  return rows
    .map((r) =>
      r
        .map((text, i) => cell(text, i, r.length === columns))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function formatReport(r: BenchResults): string {
  const o = r.options
  const head = `Hatchery bench: ${o.connections} connections, ${o.rounds ?? 1} × ${o.duration} s per scenario after ${o.warmup} s warm-up (bare and panel in alternation, the median round shown); ${r.environment.cpus} CPUs, bun ${r.environment.bun}, ${r.environment.generator}, rate limiter ${r.environment.rateLimiter}`
  const rows: string[][] = [
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'cpu srv/gen/other', 'srv µs/req', 'statuses', 'vs bare', 'cpu vs bare', 'target', ''],
  ]
  for (const s of r.scenarios) {
    if (s.skipped) {
      rows.push([s.title, `skipped: ${s.skipped}`])
      continue
    }
    rows.push(
      row(s.title, s.measurement!, fraction(s.ratio!), `≥ ${fraction(s.target)}`, s.verdict, s.cpuRatio ? fraction(s.cpuRatio) : ''),
    )
    rows.push(row(`  vs ${r.bare.title}`, s.bare!, '', '', ''))
    if (s.ratios && s.ratios.length > 1) {
      const range = (xs: (number | null | undefined)[]) => {
        const v = xs.filter((x): x is number => typeof x === 'number')
        return v.length ? `${fraction(Math.min(...v))}–${fraction(Math.max(...v))}` : ''
      }
      rows.push([`  ${s.ratios.length} rounds, range`, '', '', '', '', '', '', range(s.ratios), range(s.cpuRatios ?? []), '', ''])
    }
  }
  for (const s of r.scaling) {
    if (s.skipped) {
      rows.push([s.title, `skipped: ${s.skipped}`])
      continue
    }
    s.steps.forEach((step, i) => {
      const last = i === s.steps.length - 1
      const ratio = last && s.ratio !== undefined ? `p50 ×${s.ratio.toFixed(2)}` : ''
      rows.push(
        row(
          `${i === 0 ? s.title : ''.padEnd(4)} (${step.label})`,
          step.measurement,
          ratio,
          last ? `≤ ×${s.target.toFixed(2)}` : '',
          last ? s.verdict : '',
        ),
      )
    })
  }
  const rss = r.rss.map((x) => {
    const figure = x.mib === null ? 'n/a' : `${x.mib.toFixed(1)} MiB`
    const judged =
      x.target === undefined || x.mib === null ? '' : `  target < ${x.target} MiB: ${x.mib < x.target ? 'meets target' : 'ABOVE TARGET'}`
    return `  ${x.label.padEnd(44)} ${figure.padStart(10)}${judged}`
  })
  const legend = [
    'cpu srv/gen/other: CPU of the server, of the load generator and of everything else on the machine',
    '(PostgreSQL, other processes), in % of one core. "vs bare" rows were measured just before their scenario.',
    'srv µs/req: server CPU per answered request. "cpu vs bare" is bare\'s over the panel\'s: what the req/s',
    'ratio would be if both servers had a core to themselves (it moves least when the machine is shared).',
    'Scaling rows (p50 ×N) compare p50 at the largest data size with p50 at the smallest, not with bare.',
  ]
  return [head, '', table(rows), '', ...legend, '', 'RSS (VmRSS):', ...rss].join('\n')
}

export function writeResults(file: string, results: object): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
}

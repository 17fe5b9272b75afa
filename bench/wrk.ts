import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, run } from './processes'
import type { LoadResult } from './report'

export const WRK_MISSING = `wrk is not installed (the bench loads the servers with it; it installs nothing itself).
Install it with the system's package manager, e.g. \`apt-get install wrk\` (Debian/Ubuntu) or
\`brew install wrk\` (macOS), or build it from https://github.com/wg/wrk, then run the bench again.`

/** Exits with WRK_MISSING when wrk is not on PATH; call before creating databases or servers. */
export function requireWrk(prefix: string): void {
  if (Bun.which('wrk')) return
  process.stderr.write(`${prefix}: ${WRK_MISSING}\n`)
  process.exit(2)
}

export interface WrkRun {
  /** Full URL of the first request; scripts that build their own requests still need the host. */
  url: string
  seconds: number
  connections: number
  /** wrk threads; 2 keeps the generator within one of the machine's cores' worth of time slices. */
  threads?: number
  /** Sent with every request (wrk's -H); scripts see them in `wrk.headers`. */
  headers?: Record<string, string>
  /** A Lua file in bench/wrk/ appended to report.lua (request mixes, on_response). */
  script?: string
  /** Passed to the Lua script's environment (`os.getenv`). */
  env?: Record<string, string>
  /** wrk's per-request timeout in seconds (10: wrk's own 2 s would drop slow answers from the percentiles). */
  timeout?: number
}

interface WrkJson {
  requests: number
  duration_us: number
  statuses: Record<string, number>
  connect_errors: number
  read_errors: number
  write_errors: number
  timeouts: number
  p50_ms: number
  p99_ms: number
  max_ms: number
}

/**
 * One wrk run in its own process. The Lua script (bench/wrk/report.lua, plus `script`) counts
 * every status and prints latency percentiles as JSON; wrk's own text summary is ignored.
 */
export async function wrk(o: WrkRun): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hatchery-wrk-'))
  try {
    const lua =
      readFileSync(join(ROOT, 'bench/wrk/report.lua'), 'utf8') +
      (o.script ? '\n' + readFileSync(join(ROOT, 'bench/wrk', o.script), 'utf8') : '')
    const scriptFile = join(dir, 'script.lua')
    writeFileSync(scriptFile, lua)
    const connections = Math.max(o.connections, o.threads ?? 2)
    const args = [
      'wrk',
      '-t',
      String(Math.min(o.threads ?? 2, connections)),
      '-c',
      String(connections),
      '-d',
      `${o.seconds}s`,
      '--timeout',
      `${o.timeout ?? 10}s`,
      '-s',
      scriptFile,
    ]
    for (const [name, value] of Object.entries(o.headers ?? {})) args.push('-H', `${name}: ${value}`)
    args.push(o.url)
    const { code, stdout, stderr, cpuSeconds } = await run(args, { ...(process.env as Record<string, string>), ...o.env })
    const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '))
    if (code !== 0 || !line) throw new Error(`wrk exited ${code}: ${(stderr || stdout).trim().split('\n').slice(-5).join(' | ')}`)
    const r = JSON.parse(line.slice('BENCH_JSON '.length)) as WrkJson
    const seconds = r.duration_us / 1e6
    return {
      requests: r.requests,
      seconds,
      rps: r.requests / seconds,
      p50: r.requests ? r.p50_ms : null,
      p99: r.requests ? r.p99_ms : null,
      max: r.requests ? r.max_ms : null,
      statuses: r.statuses,
      errors: r.connect_errors + r.read_errors + r.write_errors,
      timeouts: r.timeouts,
      cpuSeconds,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

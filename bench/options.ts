import { parseArgs } from 'node:util'

export interface BenchOptions {
  /** Measured seconds per scenario. */
  duration: number
  connections: number
  /** Unmeasured seconds of load before each measurement (JIT, pools, caches). */
  warmup: number
  /**
   * Bare-then-panel measurement pairs per scenario. The machine's speed drifts within a run, so
   * one pair's ratio can be far off; the median pair's is reported, with the range.
   */
  rounds: number
  /** Seconds of silence before reading idle RSS, so the request burst's garbage can be collected. */
  idle: number
  /** The public settings route; configurable so the harness runs before the route exists. */
  settingsPath: string
  /** Scenario names to run (empty: all). */
  only: string[]
  /** Admin connection used to create and drop the run's database. */
  adminUrl: string
  /** LOG_LEVEL of the panels: `info` (the default) includes the per-request log line. */
  logLevel: string
}

const USAGE = `usage: bun bench/run.ts [--duration S] [--rounds N] [--connections N] [--warmup S] [--idle S]
                        [--settings-path /api/settings] [--only name,name] [--log-level info]
env: BENCH_DURATION BENCH_ROUNDS BENCH_CONNECTIONS BENCH_WARMUP BENCH_IDLE BENCH_SETTINGS_PATH BENCH_ONLY
     BENCH_LOG_LEVEL; DATABASE_URL is the admin connection; REDIS_URL, if set, is passed on`

function positive(name: string, raw: string, integer: boolean, usage: string): number {
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got "${raw}"\n${usage}`)
  }
  return n
}

/**
 * Flags win over BENCH_* variables, which win over the defaults (`defaults` overrides the run's
 * own: the soak runs longer and with more connections).
 */
export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
  defaults: { duration?: number; connections?: number; usage?: string } = {},
): BenchOptions {
  const usage = defaults.usage ?? USAGE
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      idle: { type: 'string' },
      'settings-path': { type: 'string' },
      only: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    process.exit(0)
  }
  const pick = (flag: keyof typeof values, variable: string, fallback: string) => String(values[flag] ?? env[variable] ?? fallback)
  const settingsPath = pick('settings-path', 'BENCH_SETTINGS_PATH', '/api/settings')
  if (!settingsPath.startsWith('/')) throw new Error(`--settings-path must start with /, got "${settingsPath}"`)
  return {
    duration: positive('duration', pick('duration', 'BENCH_DURATION', String(defaults.duration ?? 10)), false, usage),
    connections: positive('connections', pick('connections', 'BENCH_CONNECTIONS', String(defaults.connections ?? 32)), true, usage),
    warmup: positive('warmup', pick('warmup', 'BENCH_WARMUP', '2'), false, usage),
    rounds: positive('rounds', pick('rounds', 'BENCH_ROUNDS', '3'), true, usage),
    idle: positive('idle', pick('idle', 'BENCH_IDLE', '3'), false, usage),
    settingsPath,
    only: pick('only', 'BENCH_ONLY', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    adminUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    logLevel: pick('log-level', 'BENCH_LOG_LEVEL', 'info'),
  }
}

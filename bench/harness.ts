/**
 * What bench/run.ts, bench/soak.ts and bench/pg-restart.ts share: the panel's environment, its
 * CLI, and a panel started on a PostgreSQL database with the rate limits lifted.
 */
import { join } from 'node:path'
import { openDatabase } from '../src/db/client'
import { ROOT, run, startServer, type Server } from './processes'
import type { ScenarioContext } from './scenarios'

// Not a secret: it only encrypts the throw-away bench database.
const BENCH_ENCRYPTION_KEY = 'hatchery-bench-encryption-key-not-secret'
const PANEL_VARIABLES = [
  'DATABASE_URL',
  'DATA_DIR',
  'PORT',
  'BIND',
  'APP_URL',
  'APP_ENCRYPTION_KEY',
  'LOG_LEVEL',
  'REDIS_URL',
  'REDIS_PREFIX',
  'DATABASE_MIGRATE',
]
export const RESULTS_DIR = join(ROOT, 'bench/results')
/** Each server's stderr, kept after the run for a post-mortem. */
export const logFile = (name: string) => join(RESULTS_DIR, `${name}.stderr.log`)

/** The harness's environment minus what configures a panel. */
export const inherited = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) => v !== undefined && !PANEL_VARIABLES.includes(k)),
) as Record<string, string>

export function panelEnv(port: number, logLevel: string, extra: Record<string, string>): Record<string, string> {
  return { ...inherited, PORT: String(port), BIND: '127.0.0.1', LOG_LEVEL: logLevel, ...extra }
}

/** Runs `panel <args>` with `env`; resolves to stdout, throws with the last stderr line on failure. */
export async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await run([process.execPath, 'src/cli/main.ts', ...args], env)
  if (code !== 0) throw new Error(`panel ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()}`)
  return stdout
}

export function memo(): ScenarioContext['once'] {
  const made = new Map<string, Promise<unknown>>()
  return <T>(key: string, make: () => Promise<T>) => {
    if (!made.has(key)) made.set(key, make())
    return made.get(key) as Promise<T>
  }
}

export interface BenchPanel {
  panel: Server
  env: Record<string, string>
  ctx: ScenarioContext
  /** Closes `ctx.db`; the caller stops the panel. */
  close(): Promise<void>
}

/**
 * Sets the panel's settings through the CLI (which also applies the migrations), then starts it on
 * `databaseUrl`. The per-IP client and admin limits (360 per 30 s) are lifted so a load test does
 * not measure 429s; the limiter still runs. `settings` adds more (`{ key: JSON value }`).
 */
export async function startBenchPanel(o: {
  databaseUrl: string
  port: number
  dataDir: string
  logLevel: string
  logName: string
  settings?: Record<string, unknown>
  log(line: string): void
}): Promise<BenchPanel> {
  const env = panelEnv(o.port, o.logLevel, {
    DATABASE_URL: o.databaseUrl,
    DATA_DIR: o.dataDir,
    APP_ENCRYPTION_KEY: BENCH_ENCRYPTION_KEY,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `hatchery-bench-${process.pid}:` } : {}),
  })
  const unlimited = { hits: 1_000_000_000, window_seconds: 60 }
  const settings = { 'ratelimits.client': unlimited, 'ratelimits.admin': unlimited, ...o.settings }
  for (const [key, value] of Object.entries(settings)) {
    try {
      await cli(env, ['settings', 'set', key, JSON.stringify(value)])
    } catch (e) {
      o.log(`warning: ${(e as Error).message}`)
    }
  }
  const panel = await startServer(o.logName, [process.execPath, 'src/main.ts'], env, o.port, logFile(o.logName))
  const db = await openDatabase({ databaseUrl: o.databaseUrl, dataDir: '', max: 1 })
  const ctx: ScenarioContext = { url: panel.url, cli: (args) => cli(env, args), once: memo(), db }
  return { panel, env, ctx, close: () => db.close() }
}

/**
 * Runs `main`, then `cleanup` exactly once: after success, after a failure (exit code 1), or on
 * Ctrl-C / SIGTERM (exit code 130), so no server, database or cluster outlives the run.
 */
export async function runToCompletion(log: (line: string) => void, main: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  let cleaning: Promise<void> | undefined
  const once = () => (cleaning ??= cleanup().catch((e) => log(`cleanup: ${(e as Error).message}`)))
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping the servers and removing what the run created`)
      void once().finally(() => process.exit(130))
    })
  }
  try {
    await main()
  } catch (e) {
    log(`failed: ${(e as Error).message}`)
    process.exitCode = 1
  } finally {
    await once()
  }
}

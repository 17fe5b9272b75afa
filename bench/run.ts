/**
 * `npm run bench`: the panel on PostgreSQL against a bare Bun.serve endpoint, each in its own
 * process, loaded by wrk in a third; then idle RSS of the panel on PostgreSQL and on
 * embedded PGlite. See bench/README.md.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseOptions } from './options'
import { createBenchDatabase, type BenchDatabase } from './postgres'
import { idleRss, measure } from './measure'
import { freePort, ROOT, rssMiB, run, sleep, startServer, stopAll } from './processes'
import { requireWrk } from './wrk'
import postgres from 'postgres'
import { scalingScenarios, scenarios, type ScenarioContext } from './scenarios'
import { formatReport, scalingVerdict, verdict, writeResults, type RssResult, type ScalingResult, type ScenarioResult } from './report'

// Not a secret: it only encrypts the throw-away bench database.
const BENCH_ENCRYPTION_KEY = 'hatchery-bench-encryption-key-not-secret'
const PANEL_VARIABLES = ['DATABASE_URL', 'DATA_DIR', 'PORT', 'BIND', 'APP_URL', 'APP_ENCRYPTION_KEY', 'LOG_LEVEL', 'REDIS_URL', 'REDIS_PREFIX', 'DATABASE_MIGRATE']
const RESULTS_DIR = join(ROOT, 'bench/results')
const RESULTS_FILE = join(RESULTS_DIR, 'latest.json')
/** Each server's stderr, kept after the run for a post-mortem. */
const logFile = (name: string) => join(RESULTS_DIR, `${name}.stderr.log`)

const options = (() => {
  try {
    return parseOptions(Bun.argv.slice(2), process.env)
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`)
    process.exit(2)
  }
})()
requireWrk('bench')
const tmp = mkdtempSync(join(tmpdir(), 'hatchery-bench-'))
mkdirSync(RESULTS_DIR, { recursive: true })
const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
let database: BenchDatabase | undefined
let sql: postgres.Sql | undefined

const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !PANEL_VARIABLES.includes(k))) as Record<string, string>

function panelEnv(port: number, extra: Record<string, string>): Record<string, string> {
  return { ...inherited, PORT: String(port), BIND: '127.0.0.1', LOG_LEVEL: options.logLevel, ...extra }
}

async function cli(env: Record<string, string>, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await run([process.execPath, 'src/cli/main.ts', ...args], env)
  if (code !== 0) throw new Error(`panel ${args.slice(0, 2).join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()}`)
  return stdout
}

async function bench() {
  const all = scenarios(options)
  const scaling = scalingScenarios()
  const known = [...all, ...scaling].map((s) => s.name)
  const unknown = options.only.filter((name) => !known.includes(name))
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${known.join(', ')})`)
  const wanted = (s: { name: string }) => options.only.length === 0 || options.only.includes(s.name)
  database = await createBenchDatabase(options.adminUrl)
  const panelPort = freePort()
  const env = panelEnv(panelPort, {
    DATABASE_URL: database.url,
    DATA_DIR: join(tmp, 'postgres'),
    APP_ENCRYPTION_KEY: BENCH_ENCRYPTION_KEY,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `hatchery-bench-${process.pid}:` } : {}),
  })
  // The per-IP client limit (360 per 30 s) would turn every authenticated scenario into a 429
  // benchmark; the limiter still runs, only its ceiling is lifted. This also applies migrations.
  const unlimited = JSON.stringify({ hits: 1_000_000_000, window_seconds: 60 })
  try {
    for (const bucket of ['client', 'admin']) await cli(env, ['settings', 'set', `ratelimits.${bucket}`, unlimited])
  } catch (e) {
    log(`warning: ${(e as Error).message}`)
  }

  log(`starting the panel on PostgreSQL (${database.name})`)
  const panel = await startServer('panel (PostgreSQL)', [process.execPath, 'src/main.ts'], env, panelPort, logFile('panel-postgres'))
  // Bare mirrors the size of the real settings body once the route exists.
  const probe = await fetch(panel.url + options.settingsPath)
  const body = await probe.arrayBuffer()
  const bytes = probe.ok ? body.byteLength : 1536
  if (!probe.ok) log(`${options.settingsPath} answered ${probe.status}: a dry run; bare serves ${bytes} B`)
  const barePort = freePort()
  const bare = await startServer('bare', [process.execPath, 'bench/bare.ts'], { ...inherited, PORT: String(barePort), BARE_BYTES: String(bytes) }, barePort, logFile('bare'))

  const rss: RssResult[] = []
  log('idle RSS of the panel on PostgreSQL')
  rss.push(await idleRss(panel, options.settingsPath, options, 'panel on PostgreSQL, idle after warm-up', 100))

  sql = postgres(database.url, { max: 1, onnotice: () => {}, connection: { application_name: 'hatchery-bench' } })
  const ctx: ScenarioContext = { url: panel.url, cli: (args) => cli(env, args), once: memo(), sql }
  const results: ScenarioResult[] = []
  for (const s of all.filter(wanted)) {
    const base = { name: s.name, title: s.title, path: s.path, target: s.target }
    let headers: Record<string, string> = {}
    try {
      if (s.prepare) headers = await s.prepare(ctx)
    } catch (e) {
      log(`${s.title}: skipped: ${(e as Error).message}`)
      results.push({ ...base, skipped: (e as Error).message, verdict: 'skipped' })
      continue
    }
    // Bare is measured right before each scenario: on a shared machine the background load drifts
    // within a run, and a ratio of two distant measurements would mostly measure that drift.
    log(`measuring bare, then ${s.title}`)
    const bareMeasurement = await measure(bare, '/', {}, options)
    const m = await measure(panel, s.path, headers, options)
    const ratio = m.rps / bareMeasurement.rps
    results.push({ ...base, bare: bareMeasurement, measurement: m, ratio, verdict: verdict(m, ratio, s.target) })
  }
  const scalingResults: ScalingResult[] = []
  for (const s of scaling.filter(wanted)) {
    const result: ScalingResult = { name: s.name, title: s.title, path: s.path, target: s.target, steps: [], verdict: 'skipped' }
    scalingResults.push(result)
    try {
      for (const step of s.steps) {
        log(`${s.title}: preparing ${step.label}`)
        const headers = await step.prepare(ctx)
        log(`measuring ${s.title} at ${step.label}`)
        result.steps.push({ label: step.label, measurement: await measure(panel, s.path, headers, options) })
      }
    } catch (e) {
      log(`${s.title}: skipped: ${(e as Error).message}`)
      result.skipped = (e as Error).message
      continue
    }
    Object.assign(result, scalingVerdict(result))
  }
  await sleep(options.idle * 1000)
  rss.push({ label: 'panel on PostgreSQL, idle after the scenarios', mib: rssMiB(panel.pid) })
  await Promise.all([panel.stop(), bare.stop()])

  log('idle RSS of the panel on embedded PGlite')
  const embeddedPort = freePort()
  const embeddedEnv = panelEnv(embeddedPort, { DATA_DIR: join(tmp, 'embedded') })
  // A first boot runs initdb inside the panel: RSS peaks near 1 GiB and takes ~20 s to settle.
  // Creating the database with the CLI first measures the panel as it runs every later day.
  await cli(embeddedEnv, ['migrate'])
  const embedded = await startServer('panel (PGlite)', [process.execPath, 'src/main.ts'], embeddedEnv, embeddedPort, logFile('panel-pglite'))
  rss.push(await idleRss(embedded, options.settingsPath, options, 'panel on embedded PGlite, idle after warm-up'))
  await embedded.stop()

  const report = {
    date: new Date().toISOString(),
    commit: Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: ROOT }).stdout.toString().trim() || null,
    environment: { cpus: cpus().length, bun: Bun.version, generator: Bun.spawnSync(['wrk', '-v']).stdout.toString().split('\n')[0].split(' Copyright')[0].trim(), platform: process.platform, rateLimiter: process.env.REDIS_URL ? 'redis' : 'memory' },
    // The admin URL may carry a password.
    options: { ...options, adminUrl: undefined },
    bare: { title: `bare Bun.serve (${bytes} B)`, bytes },
    scenarios: results,
    scaling: scalingResults,
    rss,
  }
  console.log(formatReport(report))
  writeResults(RESULTS_FILE, report)
  log(`results written to ${RESULTS_FILE}`)
}

function memo(): ScenarioContext['once'] {
  const made = new Map<string, Promise<unknown>>()
  return <T>(key: string, make: () => Promise<T>) => {
    if (!made.has(key)) made.set(key, make())
    return made.get(key) as Promise<T>
  }
}

let cleaning: Promise<void> | undefined
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll()
    await sql?.end({ timeout: 5 })
    await database?.drop().catch((e) => log(`could not drop ${database!.name}: ${e.message}`))
    rmSync(tmp, { recursive: true, force: true })
  })()
  return cleaning
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping the servers and dropping the database`)
    void cleanup().finally(() => process.exit(130))
  })
}

try {
  await bench()
} catch (e) {
  log(`failed: ${(e as Error).message}`)
  process.exitCode = 1
} finally {
  await cleanup()
}

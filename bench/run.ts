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
import { freePort, ROOT, rssMiB, sleep, startServer, stopAll } from './processes'
import { requireWrk } from './wrk'
import { cli, inherited, logFile, panelEnv, RESULTS_DIR, runToCompletion, startBenchPanel, type BenchPanel } from './harness'
import { scalingScenarios, scenarios } from './scenarios'
import {
  cpuPerRequest,
  formatReport,
  scalingVerdict,
  verdict,
  writeResults,
  type Round,
  type RssResult,
  type ScalingResult,
  type ScenarioResult,
} from './report'

const RESULTS_FILE = join(RESULTS_DIR, 'latest.json')

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
let started: BenchPanel | undefined

async function bench() {
  const all = scenarios(options)
  const scaling = scalingScenarios()
  const known = [...all, ...scaling].map((s) => s.name)
  const unknown = options.only.filter((name) => !known.includes(name))
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${known.join(', ')})`)
  const wanted = (s: { name: string }) => options.only.length === 0 || options.only.includes(s.name)
  database = await createBenchDatabase(options.adminUrl)
  log(`starting the panel on PostgreSQL (${database.name})`)
  started = await startBenchPanel({
    databaseUrl: database.url,
    port: freePort(),
    dataDir: join(tmp, 'postgres'),
    logLevel: options.logLevel,
    logName: 'panel-postgres',
    log,
  })
  const { panel, ctx } = started
  // Bare mirrors the size of the real settings body once the route exists.
  const probe = await fetch(panel.url + options.settingsPath)
  const body = await probe.arrayBuffer()
  const bytes = probe.ok ? body.byteLength : 1536
  if (!probe.ok) log(`${options.settingsPath} answered ${probe.status}: a dry run; bare serves ${bytes} B`)
  const barePort = freePort()
  const bare = await startServer(
    'bare',
    [process.execPath, 'bench/bare.ts'],
    { ...inherited, PORT: String(barePort), BARE_BYTES: String(bytes) },
    barePort,
    logFile('bare'),
  )

  const rss: RssResult[] = []
  log('idle RSS of the panel on PostgreSQL')
  rss.push(await idleRss(panel, options.settingsPath, options, 'panel on PostgreSQL, idle after warm-up', 100))

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
    // Bare is measured right before the panel, in pairs: on a shared machine the speed drifts
    // within a run (bare alone has moved from 40k to 77k req/s between two scenarios), and a
    // ratio of two distant measurements would mostly measure that drift. The median pair is
    // reported; a later pair warms up for at most 1 s (JIT and pools are warm by then).
    const rounds: Round[] = []
    for (let r = 0; r < options.rounds; r++) {
      log(`measuring bare, then ${s.title}${options.rounds > 1 ? ` (round ${r + 1} of ${options.rounds})` : ''}`)
      const o = r === 0 ? options : { ...options, warmup: Math.min(1, options.warmup) }
      const bareMeasurement = await measure(bare, '/', {}, o)
      const m = await measure(panel, s.path, headers, o, s.script)
      const [panelUs, bareUs] = [cpuPerRequest(m), cpuPerRequest(bareMeasurement)]
      rounds.push({
        bare: bareMeasurement,
        measurement: m,
        ratio: m.rps / bareMeasurement.rps,
        cpuRatio: panelUs && bareUs ? bareUs / panelUs : null,
      })
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]
    // Judged on the median ratio, and only when every round was all 2xx.
    const unclean = rounds.find((x) => verdict(x.measurement, x.ratio, s.target).startsWith('not judged'))
    results.push({
      ...base,
      ...median,
      ratios: rounds.map((x) => x.ratio),
      cpuRatios: rounds.map((x) => x.cpuRatio),
      verdict: verdict((unclean ?? median).measurement, median.ratio, s.target),
    })
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
  const embeddedEnv = panelEnv(embeddedPort, options.logLevel, { DATA_DIR: join(tmp, 'embedded') })
  // A first boot runs initdb inside the panel: RSS peaks near 1 GiB and takes ~20 s to settle.
  // Creating the database with the CLI first measures the panel as it runs every later day.
  await cli(embeddedEnv, ['migrate'])
  const embedded = await startServer(
    'panel (PGlite)',
    [process.execPath, 'src/main.ts'],
    embeddedEnv,
    embeddedPort,
    logFile('panel-pglite'),
  )
  rss.push(await idleRss(embedded, options.settingsPath, options, 'panel on embedded PGlite, idle after warm-up'))
  await embedded.stop()

  const report = {
    date: new Date().toISOString(),
    commit: Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: ROOT }).stdout.toString().trim() || null,
    environment: {
      cpus: cpus().length,
      bun: Bun.version,
      generator: Bun.spawnSync(['wrk', '-v']).stdout.toString().split('\n')[0].split(' Copyright')[0].trim(),
      platform: process.platform,
      rateLimiter: process.env.REDIS_URL ? 'redis' : 'memory',
    },
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

await runToCompletion(log, bench, async () => {
  await stopAll()
  await started?.close()
  await database?.drop().catch((e) => log(`could not drop ${database!.name}: ${e.message}`))
  rmSync(tmp, { recursive: true, force: true })
})
// A Wings double started in this process by a scenario (scenarios-server-area.ts) keeps it alive.
process.exit()

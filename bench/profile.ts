/**
 * `bun bench/profile.ts`: the bench's GET scenarios answered in this process, without HTTP, for a
 * CPU profile of the panel's own work per request (`bun --cpu-prof bench/profile.ts --only …`).
 * The fixtures are made by each scenario's `prepare`, through a `Bun.serve` of the same panel;
 * then `panel.fetch` runs in a loop with 32 requests in flight. Prints µs per request, wall and
 * CPU. Not `npm run bench`: no HTTP stack, no load generator, no bare baseline. See bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config'
import { openDatabase } from '../src/db/client'
import { createApp } from '../src/kernel/app'
import { cli, memo, panelEnv, runToCompletion } from './harness'
import { parseOptions } from './options'
import { createBenchDatabase, type BenchDatabase } from './postgres'
import { freePort } from './processes'
import { scenarios, type ScenarioContext } from './scenarios'

const USAGE = `usage: bun [--cpu-prof --cpu-prof-dir=DIR] bench/profile.ts [--only name,name] [--duration S] [--connections N] > /dev/null
Each scenario runs --duration seconds (default 5) after --warmup seconds; --connections requests in flight (32).`
const options = parseOptions(Bun.argv.slice(2), process.env, { duration: 5, usage: USAGE })
const log = (line: string) => process.stderr.write(`profile: ${line}\n`)
const tmp = mkdtempSync(join(tmpdir(), 'hatchery-profile-'))
let database: BenchDatabase | undefined
let close: (() => Promise<void>) | undefined

async function profile() {
  database = await createBenchDatabase(options.adminUrl)
  const port = freePort()
  const env = panelEnv(port, options.logLevel, {
    DATABASE_URL: database.url,
    DATA_DIR: tmp,
    APP_ENCRYPTION_KEY: 'hatchery-bench-encryption-key-not-secret',
  })
  const panel = await createApp(loadConfig(env))
  const unlimited = { hits: 1_000_000_000, window_seconds: 60 }
  await panel.kernel.settings.update({ 'ratelimits.client': unlimited, 'ratelimits.admin': unlimited })
  const server = Bun.serve({ port, hostname: '127.0.0.1', fetch: (request, srv) => panel.fetch(request, srv) })
  const db = await openDatabase({ databaseUrl: database.url, dataDir: '', max: 1 })
  close = async () => {
    server.stop(true)
    await db.close()
    await panel.close()
  }
  const ctx: ScenarioContext = { url: `http://127.0.0.1:${port}`, cli: (args) => cli(env, args), once: memo(), db }
  const peer = { requestIP: () => ({ address: '127.0.0.1' }) }
  const wanted = scenarios(options).filter((s) => !s.script && (options.only.length === 0 || options.only.includes(s.name)))
  for (const s of wanted) {
    const headers = s.prepare ? await s.prepare(ctx) : {}
    const url = ctx.url + s.path
    const first = await panel.fetch(new Request(url, { headers }), peer)
    if (!first.ok) throw new Error(`${s.title} answered ${first.status}: ${(await first.text()).slice(0, 200)}`)
    // Each worker yields to the event loop now and then, as requests arriving on sockets do:
    // without it the database's answers (a settings reload) would wait behind the loop.
    const load = async (seconds: number) => {
      const until = performance.now() + seconds * 1000
      let requests = 0
      const worker = async () => {
        while (performance.now() < until) {
          await (await panel.fetch(new Request(url, { headers }), peer)).arrayBuffer()
          if (++requests % 8 === 0) await new Promise((resolve) => setImmediate(resolve))
        }
      }
      await Promise.all(Array.from({ length: options.connections }, worker))
      return requests
    }
    await load(options.warmup)
    const cpu = process.cpuUsage()
    const start = performance.now()
    const requests = await load(options.duration)
    const wall = performance.now() - start
    const used = process.cpuUsage(cpu)
    const perRequest = (us: number) => (us / requests).toFixed(1).padStart(7)
    // stdout carries the panel's request log (part of the cost measured): results go to stderr.
    log(`${s.title.padEnd(50)} ${perRequest(wall * 1000)} µs wall ${perRequest(used.user + used.system)} µs CPU per request`)
  }
}

await runToCompletion(log, profile, async () => {
  await close?.()
  await database?.drop()
  rmSync(tmp, { recursive: true, force: true })
})
process.exit(process.exitCode ?? 0)

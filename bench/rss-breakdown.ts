/**
 * `bun bench/rss-breakdown.ts [--plugins] [--runs N]`: where the panel's idle memory goes, without
 * the garbage collector's timing in the figures (each one is read after `Bun.gc(true)`).
 *
 * Boot (each run in a fresh Bun): VmRSS of the empty process, after importing the kernel, after
 * `createApp` on a PostgreSQL database (migrated beforehand, as `npm run bench` does) with the jobs
 * started, after `shedBootMemory` (as `src/main.ts` calls it), and after a warm-up burst of `GET /api/settings` answered in-process plus 3 idle seconds.
 * `--plugins` adds, per bundled plugin, what importing its `index.ts` costs in a fresh Bun that has
 * already imported the kernel and the plugins it depends on, and the packages that import pulls in.
 * Reports to stdout (the children's results come back on their stderr); DATABASE_URL is the admin connection, as for `npm run bench`. See bench/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = join(import.meta.dir, '..')
const MiB = 1024 * 1024
const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    plugins: { type: 'boolean' },
    runs: { type: 'string' },
    child: { type: 'string' },
    plugin: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
if (values.help) {
  console.log('usage: bun bench/rss-breakdown.ts [--plugins] [--runs N]   (DATABASE_URL: admin connection)')
  process.exit(0)
}

/** VmRSS in MiB after a full, synchronous collection. */
function settledRss(): number {
  Bun.gc(true)
  const status = readFileSync('/proc/self/status', 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024
}

/** Module files loaded so far, counted by npm package (`(panel)` for the repository's own). */
function modulesByPackage(files: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const file of files) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(panel)'
    counts.set(pkg, (counts.get(pkg) ?? 0) + 1)
  }
  return counts
}
const loadedModules = () => new Set(Object.keys(require.cache))
const describe = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([pkg, n]) => `${pkg} (${n})`)
    .join(', ')

/** Child: boots the panel on DATABASE_URL and prints one JSON line of stages. */
async function bootChild() {
  const stages: Record<string, number> = { 'empty Bun': settledRss() }
  const { loadConfig } = await import('../src/config')
  const { createApp } = await import('../src/kernel/app')
  stages['kernel imported'] = settledRss()
  const panel = await createApp(loadConfig(process.env))
  panel.kernel.jobs.start()
  stages['createApp + jobs'] = settledRss()
  const { shedBootMemory } = await import('../src/memory')
  await shedBootMemory()
  stages['boot code shed (as src/main.ts)'] = settledRss()
  const peer = { requestIP: () => ({ address: '127.0.0.1' }) }
  const url = `http://127.0.0.1:${process.env.PORT}/api/settings`
  const until = performance.now() + 2000
  const worker = async () => {
    for (let i = 1; performance.now() < until; i++) {
      await (await panel.fetch(new Request(url), peer)).arrayBuffer()
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  await Bun.sleep(3000)
  stages['warm-up + 3 s idle'] = settledRss()
  const { heapStats } = await import('bun:jsc')
  const heap = heapStats()
  stages['  of which JS heap'] = heap.heapSize / MiB
  stages['  of which extra (buffers, strings)'] = heap.extraMemorySize / MiB
  const packages = describe(modulesByPackage(loadedModules()))
  await panel.close()
  console.error(JSON.stringify({ stages, packages }))
}

/** Child: imports the kernel and `--plugin`'s dependencies, then the plugin; prints the difference. */
async function pluginChild(name: string) {
  await import('../src/kernel/app')
  const deps = JSON.parse(process.env.RSS_PLUGIN_DEPS!) as string[]
  for (const dep of deps) await import(join(ROOT, 'plugins', dep, 'index.ts'))
  const before = settledRss()
  const modules = loadedModules()
  await import(join(ROOT, 'plugins', name, 'index.ts'))
  const after = settledRss()
  const added = [...loadedModules()].filter((m) => !modules.has(m))
  console.error(JSON.stringify({ mib: after - before, packages: describe(modulesByPackage(added)) }))
}

async function child(args: string[], env: Record<string, string | undefined>): Promise<any> {
  // The panel's request log goes to /dev/null, as in `npm run bench` (a pipe would buffer it in memory).
  const proc = Bun.spawn([process.execPath, import.meta.path, ...args], { cwd: ROOT, env, stdout: 'ignore', stderr: 'pipe' })
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
  const last = err.trim().split('\n').pop()!
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`)
  return JSON.parse(last)
}

/** Plugin folder → the folders of every plugin it depends on, directly or not, in load order. */
async function dependencyClosures(): Promise<Map<string, string[]>> {
  const { discoverPlugins } = await import('../src/kernel/loader')
  const plugins = await discoverPlugins({ bundledDir: join(ROOT, 'plugins') })
  const folder = new Map(plugins.map((p) => [p.descriptor.name, p.dir.split('/').pop()!]))
  const closures = new Map<string, string[]>()
  for (const p of plugins) {
    const wanted = new Set<string>()
    const visit = (n: string) => {
      for (const d of plugins.find((x) => x.descriptor.name === n)!.descriptor.dependsOn ?? []) {
        wanted.add(d)
        visit(d)
      }
    }
    visit(p.descriptor.name)
    const ordered = plugins.filter((x) => wanted.has(x.descriptor.name)).map((x) => folder.get(x.descriptor.name)!)
    closures.set(folder.get(p.descriptor.name)!, ordered)
  }
  return closures
}

async function main() {
  const { createBenchDatabase } = await import('./postgres')
  const { cli, panelEnv } = await import('./harness')
  const { freePort } = await import('./processes')
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const runs = Number(values.runs ?? 3)
  const database = await createBenchDatabase(adminUrl)
  const dataDir = mkdtempSync(join(tmpdir(), 'hatchery-rss-'))
  try {
    const env = panelEnv(freePort(), 'info', {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      APP_ENCRYPTION_KEY: 'hatchery-bench-encryption-key-not-secret',
    })
    await cli(env, ['migrate'])
    const results = []
    for (let i = 0; i < runs; i++) results.push(await child(['--child', 'boot'], env))
    console.log(`Boot, VmRSS after Bun.gc(true), MiB (${runs} runs in fresh processes):`)
    for (const stage of Object.keys(results[0].stages)) {
      const figures = results.map((r) => (r.stages[stage] as number).toFixed(1).padStart(6)).join(' ')
      console.log(`  ${stage.padEnd(38)} ${figures}`)
    }
    console.log(`Modules loaded (files per package): ${results[0].packages}`)
  } finally {
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  if (!values.plugins) return
  const closures = await dependencyClosures()
  const rows: [string, number, string][] = []
  for (const folder of readdirSync(join(ROOT, 'plugins')).filter((f) => closures.has(f))) {
    const r = await child(['--child', 'plugin', '--plugin', folder], {
      ...process.env,
      RSS_PLUGIN_DEPS: JSON.stringify(closures.get(folder)),
    })
    rows.push([folder, r.mib, r.packages])
  }
  console.log('\nImporting each plugin after the kernel and its dependencies (MiB after Bun.gc(true); modules it adds):')
  for (const [folder, mib, packages] of rows.sort((a, b) => b[1] - a[1]))
    console.log(`  ${folder.padEnd(24)} ${mib.toFixed(1).padStart(5)}  ${packages}`)
}

if (values.child === 'boot') await bootChild()
else if (values.child === 'plugin') await pluginChild(values.plugin!)
else await main()
process.exit(0)

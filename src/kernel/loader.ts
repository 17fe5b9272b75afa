import { existsSync, readdirSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { plugin as bunPlugin } from 'bun'
import type { PluginDescriptor } from './plugin'
import { COMPILED, ROOT, embedded, embeddedMigrations } from '../embedded'
import { HOST_MODULES } from './host-modules'
import { isScopeKey } from './scope'

/** Boot must stop: a plugin is malformed, missing a dependency, in a cycle, or clashes. */
export class PluginError extends Error {
  constructor(
    public file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`)
  }

  /**
   * A plugin's code threw (or did not parse): the reason ends with where, `(at file:line:column)`,
   * taken from the parser's position or the first stack frame in the plugin's own code.
   * @example throw PluginError.thrown(p, 'routes.client', e) // …/index.ts: routes.client: boom (at …/routes.ts:12:9)
   */
  static thrown(plugin: { file: string }, what: string, error: unknown): PluginError {
    const where = sourceLocation(error)
    return new PluginError(plugin.file, `${what}: ${(error as Error)?.message ?? String(error)}${where ? ` (at ${where})` : ''}`)
  }
}

/** `file:line:column` of an error: a parser's position, else the first frame of the plugin's code. */
export function sourceLocation(error: unknown): string | undefined {
  const e = error as { position?: { file: string; line: number; column: number } | null; errors?: unknown[]; stack?: string }
  const position = e?.position ?? (e?.errors?.[0] as typeof e | undefined)?.position
  if (position?.file) return `${position.file}:${position.line}:${position.column}`
  const frames = [...(e?.stack ?? '').matchAll(/\(?((?:\/|[A-Za-z]:\\)[^()\s]*?):(\d+):(\d+)\)?$/gm)].map((m) => ({
    file: m[1],
    at: `${m[1]}:${m[2]}:${m[3]}`,
  }))
  // The innermost frame of code that is neither the panel's nor a package's: the plugin's own.
  return frames.find((f) => !f.file.startsWith(HOST_SRC) && !f.file.includes('/node_modules/'))?.at
}

export interface LoadedPlugin {
  descriptor: PluginDescriptor<any>
  /** The plugin's index.ts. */
  file: string
  dir: string
  external: boolean
  /** Absolute migrations folder, if any. */
  migrationsDir?: string
}

export { ROOT }
export const BUNDLED_PLUGINS = join(ROOT, 'plugins')
// In a binary every host module lives flat under ROOT; from source, under src/.
const HOST_SRC = COMPILED ? ROOT + '/' : join(ROOT, 'src') + '/'

const NAME = /^[a-z][a-z0-9-]{0,62}$/
const VERSION = /^\d+\.\d+\.\d+([-+][\w.-]+)?$/
const NAMESPACES = new Set(['root', 'public', 'auth', 'client', 'admin', 'remote'])

function fail(file: string, reason: string): never {
  throw new PluginError(file, reason)
}

/** Checks a descriptor's shape; every problem names the file. */
export function validateDescriptor(d: unknown, file: string): asserts d is PluginDescriptor {
  if (!d || typeof d !== 'object') fail(file, 'must default-export definePlugin({...})')
  const p = d as Record<string, unknown>
  if (typeof p.name !== 'string' || !NAME.test(p.name)) fail(file, 'name must be kebab-case (a-z, 0-9, -), starting with a letter')
  if (typeof p.version !== 'string' || !VERSION.test(p.version)) fail(file, 'version must be semver (1.2.3)')
  if (p.dependsOn !== undefined && (!Array.isArray(p.dependsOn) || p.dependsOn.some((x) => typeof x !== 'string'))) {
    fail(file, 'dependsOn must be a list of plugin names')
  }
  if (p.migrations !== undefined && typeof p.migrations !== 'string') fail(file, 'migrations must be a folder path')
  if (p.tables !== undefined && (typeof p.tables !== 'object' || p.tables === null)) fail(file, 'tables must be an object')
  for (const key of ['setup', 'onShutdown'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'function') fail(file, `${key} must be a function`)
  }
  if (p.routes !== undefined) {
    if (typeof p.routes !== 'object' || p.routes === null) fail(file, 'routes must be an object of namespace factories')
    for (const [ns, factory] of Object.entries(p.routes)) {
      if (!NAMESPACES.has(ns) && !isScopeKey(ns)) {
        fail(file, `routes.${ns}: unknown namespace (use root, public, auth, client, admin or remote, or a scope such as client:thing)`)
      }
      if (typeof factory !== 'function') fail(file, `routes.${ns} must be a function (ctx) => Elysia`)
    }
  }
  for (const key of ['cli', 'jobs', 'settings', 'rateLimits', 'permissions'] as const) {
    if (p[key] !== undefined && (typeof p[key] !== 'object' || p[key] === null)) fail(file, `${key} must be an object`)
  }
  for (const [name, cmd] of Object.entries((p.cli ?? {}) as Record<string, any>)) {
    if (!/^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/.test(name)) fail(file, `cli "${name}": command words must be kebab-case`)
    if (typeof cmd?.run !== 'function' || typeof cmd?.description !== 'string') fail(file, `cli "${name}" needs description and run()`)
    checkCliArguments(file, name, cmd)
  }
  for (const [name, job] of Object.entries((p.jobs ?? {}) as Record<string, any>)) {
    if (typeof job?.run !== 'function' || job.schedule === undefined) fail(file, `job "${name}" needs schedule and run()`)
  }
  for (const [name, rule] of Object.entries((p.rateLimits ?? {}) as Record<string, any>)) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(file, `rate limit "${name}" must be snake_case`)
    if (!(Number.isInteger(rule?.hits) && rule.hits >= 1 && Number.isInteger(rule?.window_seconds) && rule.window_seconds >= 1)) {
      fail(file, `rate limit "${name}" needs integer hits ≥ 1 and window_seconds ≥ 1`)
    }
  }
}

const isSchema = (v: unknown) => v === undefined || (typeof v === 'object' && v !== null)

/** Options `{ type: 'string' | 'boolean', schema? }`; positionals named, required ones first. */
function checkCliArguments(file: string, name: string, cmd: Record<string, any>): void {
  if (cmd.options !== undefined && (typeof cmd.options !== 'object' || cmd.options === null))
    fail(file, `cli "${name}": options must be an object`)
  for (const [key, o] of Object.entries<any>(cmd.options ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(key) || key === 'json')
      fail(file, `cli "${name}" --${key}: option names are kebab-case (json is the panel's own)`)
    if (o?.type !== 'string' && o?.type !== 'boolean') fail(file, `cli "${name}" --${key}: type must be 'string' or 'boolean'`)
    if (!isSchema(o.schema)) fail(file, `cli "${name}" --${key}: schema must be a TypeBox schema`)
  }
  if (cmd.positionals === undefined) return
  if (!Array.isArray(cmd.positionals)) fail(file, `cli "${name}": positionals must be a list`)
  let optional = false
  for (const p of cmd.positionals) {
    if (typeof p?.name !== 'string' || !p.name) fail(file, `cli "${name}": every positional needs a name`)
    if (!isSchema(p.schema)) fail(file, `cli "${name}" ${p.name}: schema must be a TypeBox schema`)
    if (p.required && optional) fail(file, `cli "${name}" ${p.name}: a required positional cannot follow an optional one`)
    optional ||= !p.required
  }
}

const resolverDirs = new Set<string>()
let hostModulesInstalled = false

/** The specifier under which a host module is served to external plugins (see installHostResolver). */
const HOST_PREFIX = 'hatchery-host:'

/** Registers every host module, and each bundled plugin of a binary, as a virtual module. */
function installHostModules(): void {
  if (hostModulesInstalled) return
  hostModulesInstalled = true
  const modules: Record<string, () => Record<string, unknown>> = { ...HOST_MODULES }
  for (const p of embedded()?.plugins ?? []) modules[`hatchery/plugins/${p.folder}`] = () => p.module
  bunPlugin({
    name: 'hatchery-host-modules',
    setup(build) {
      for (const [specifier, exports] of Object.entries(modules)) {
        build.module(HOST_PREFIX + specifier, () => ({ exports: exports(), loader: 'object' }))
      }
    },
  })
}

/** Where a bare import of an external plugin's file goes; undefined leaves it to Bun (and fails). */
function hostSpecifier(spec: string): string | undefined {
  if (HOST_MODULES[spec] || (COMPILED && embedded()?.plugins.some((p) => spec === `hatchery/plugins/${p.folder}`)))
    return HOST_PREFIX + spec
  if (COMPILED) return undefined
  // From source, any other package of the host (and `hatchery/plugins/*`, `hatchery/testing`)
  // resolves to the host's own file, so its module instance is the host's too.
  try {
    return Bun.resolveSync(spec, ROOT)
  } catch {
    return undefined
  }
}

/**
 * Lets plugins outside the repository import the host's packages (`elysia`, `drizzle-orm`,
 * `hatchery`, `@sinclair/typebox`, `hatchery/plugins/<name>`, …) without a node_modules of their
 * own: bare imports in their files are rewritten to virtual modules that re-export the host's
 * already-loaded modules (the same mechanism from source and in the compiled binary, where no
 * `node_modules` exists); from source, other host packages resolve to the host's files. Nothing
 * is ever installed.
 */
export function installHostResolver(externalDir: string): void {
  installHostModules()
  const dir = resolve(externalDir)
  if (resolverDirs.has(dir)) return
  resolverDirs.add(dir)
  const prefix = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const filter = new RegExp(`^${prefix}/.*\\.[cm]?[jt]sx?$`)
  const IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bexport\s*\*\s*from\s*)(['"])([^'"./][^'"]*)\2/g
  bunPlugin({
    name: 'hatchery-host-resolver',
    setup(build) {
      build.onLoad({ filter }, async (args) => {
        const source = await Bun.file(args.path).text()
        const contents = source.replace(IMPORT, (whole, pre: string, quote: string, spec: string) => {
          if (spec.startsWith('node:') || spec.startsWith('bun') || spec.startsWith(HOST_PREFIX)) return whole
          const target = hostSpecifier(spec)
          return target ? `${pre}${quote}${target}${quote}` : whole
        })
        const ext = args.path.split('.').pop()!
        return { contents, loader: (ext === 'tsx' || ext === 'jsx' ? ext : ext.endsWith('ts') ? 'ts' : 'js') as 'ts' }
      })
    },
  })
}

function listPluginDirs(root: string): string[] {
  return readdirSync(root)
    .filter((name) => !name.startsWith('_') && !name.startsWith('.'))
    .map((name) => join(root, name))
    .filter((dir) => {
      try {
        return statSync(dir).isDirectory()
      } catch (e) {
        throw new PluginError(dir, `cannot read plugin folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      }
    })
    .sort()
}

/** True when a plugin's migrations folder is on disk, or embedded in the binary. */
function migrationsFolderExists(dir: string): boolean {
  if (embeddedMigrations(dir)) return true
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}

/** Validates an imported index.ts and resolves its migrations folder. */
function loaded(mod: { default?: unknown }, file: string, dir: string, external: boolean): LoadedPlugin {
  const descriptor = mod.default
  validateDescriptor(descriptor, file)
  let migrationsDir: string | undefined
  if (descriptor.migrations) {
    migrationsDir = isAbsolute(descriptor.migrations) ? descriptor.migrations : resolve(dir, descriptor.migrations)
    if (!migrationsFolderExists(migrationsDir)) {
      fail(file, `migrations folder ${descriptor.migrations} does not exist${COMPILED && !external ? ' in this binary (rebuild it)' : ''}`)
    }
  }
  return { descriptor, file, dir, external, migrationsDir }
}

/** A folder that must hold plugins: missing, it stops boot instead of starting with none. */
function requireFolder(root: string, what: string): void {
  let ok = false
  try {
    ok = statSync(root).isDirectory()
  } catch {}
  if (!ok) throw new PluginError(root, `${what} folder not found`)
}

/**
 * Discovers `plugins/*\/index.ts` and every folder of `PLUGINS_DIR` (folders starting with `_`
 * are skipped), imports only each `index.ts`, validates the descriptors and orders them so each
 * plugin comes after its dependencies. In a compiled binary the bundled plugins are the modules
 * the build embedded (discovered at build time), so no filesystem is read for them. A plugins
 * folder that is missing stops boot. `bundledDir: null` discovers the external folder alone.
 */
export async function discoverPlugins(opts: { bundledDir?: string | null; externalDir?: string } = {}): Promise<LoadedPlugin[]> {
  const found: LoadedPlugin[] = []
  const bundle = opts.bundledDir === undefined ? embedded() : undefined
  if (bundle) {
    if (bundle.plugins.length === 0)
      throw new PluginError(BUNDLED_PLUGINS, 'this binary holds no bundled plugins (rebuild it with npm run build)')
    for (const { folder, module } of bundle.plugins) {
      const dir = join(BUNDLED_PLUGINS, folder)
      found.push(loaded(module, join(dir, 'index.ts'), dir, false))
    }
  }
  // `bundledDir: null`: external plugins only (tests).
  const sources: [string, boolean][] = bundle || opts.bundledDir === null ? [] : [[opts.bundledDir ?? BUNDLED_PLUGINS, false]]
  if (opts.externalDir) {
    installHostResolver(opts.externalDir)
    sources.push([opts.externalDir, true])
  }
  for (const [root, external] of sources) {
    requireFolder(root, external ? 'PLUGINS_DIR' : 'bundled plugins')
    for (const dir of listPluginDirs(root)) {
      const file = join(dir, 'index.ts')
      if (!existsSync(file)) fail(dir, 'plugin folder has no index.ts (prefix the folder with _ to skip it)')
      let mod: { default?: unknown }
      try {
        mod = await import(file)
      } catch (e) {
        throw PluginError.thrown({ file }, 'failed to load', e)
      }
      found.push(loaded(mod, file, dir, external))
    }
  }
  return orderPlugins(found)
}

/** Topological order by `dependsOn` (ties by name); duplicates, gaps and cycles stop boot. */
export function orderPlugins(plugins: LoadedPlugin[]): LoadedPlugin[] {
  const byName = new Map<string, LoadedPlugin>()
  for (const p of plugins) {
    const other = byName.get(p.descriptor.name)
    if (other) fail(p.file, `plugin name "${p.descriptor.name}" is also used by ${other.file}`)
    byName.set(p.descriptor.name, p)
  }
  for (const p of plugins) {
    for (const dep of p.descriptor.dependsOn ?? []) {
      if (!byName.has(dep)) fail(p.file, `depends on "${dep}", which is not installed`)
    }
  }
  const ordered: LoadedPlugin[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (p: LoadedPlugin, path: string[]) => {
    const name = p.descriptor.name
    if (state.get(name) === 'done') return
    if (state.get(name) === 'visiting') fail(p.file, `dependency cycle: ${[...path, name].join(' → ')}`)
    state.set(name, 'visiting')
    for (const dep of [...(p.descriptor.dependsOn ?? [])].sort()) visit(byName.get(dep)!, [...path, name])
    state.set(name, 'done')
    ordered.push(p)
  }
  for (const p of [...plugins].sort((a, b) => a.descriptor.name.localeCompare(b.descriptor.name))) visit(p, [])
  return ordered
}

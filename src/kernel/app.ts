import { Elysia, type AnyElysia } from 'elysia'
import type Redis from 'ioredis'
import { join } from 'node:path'
import type { Config } from '../config'
import { openDatabase, type Database } from '../db/client'
import { deletedMigrations, migrate, type MigrationSource } from '../db/migrate'
import { createLogger, type Logger } from './logger'
import { ensureEncryptionKey, Secrets } from './secrets'
import { SettingsService } from './settings/service'
import { coreSettings } from './settings/core'
import { RateLimitSchema } from './settings/core'
import { RateLimiter } from './ratelimit'
import { PermissionCatalog } from './permissions'
import { JobScheduler, checkSchedule } from './jobs'
import { createGuard, guardedNamespace, kernelHooks, type Guard, type GuardState } from './guard'
import { discoverPlugins, PluginError, ROOT, type LoadedPlugin } from './loader'
import { guardedNamespaceOf, NAMESPACE_PREFIX, type Namespace, type PluginContext, type PluginDescriptor } from './plugin'
import { httpKernel, pathOf, requestMeta, setPeer, type RequestMeta } from './http'
import { ReadyLane } from './ready'
import { Deadlines } from './deadline'
import { uniqueMessage } from './errors'
import { RouteRegistry, routeShape, type RouteInfo } from './routes'
import { docsRoutes } from './openapi'
import { frontend } from './frontend'
import { ActivityLogs } from './activity'
import { EventBus, bindEvents } from './events'
import { DebugMode } from './system'
import { ExtensionSwitch } from './extensions'
import { isScopeKey, scopeRoutes, ScopeSlots, type ScopeKey } from './scope'

/** The kernel without HTTP: what the server, the CLI and tests share. */
export interface Kernel {
  config: Config
  database: Database
  log: Logger
  secrets: Secrets
  settings: SettingsService
  limiter: RateLimiter
  catalog: PermissionCatalog
  jobs: JobScheduler
  activity: ActivityLogs
  events: EventBus
  guardState: GuardState
  guard: Guard
  plugins: LoadedPlugin[]
  contexts: Map<string, PluginContext>
  redis?: Redis
  /** Migrations applied at this boot (`owner/name`). */
  migrated: string[]
  migrationSources: MigrationSource[]
  /** APP_DEBUG, changeable at run time through a source a plugin provides (`system`). */
  debugMode: DebugMode
  /** Plugins switched off at run time (setting `extensions.disabled`). */
  extensions: ExtensionSwitch
  close(): Promise<void>
}

export interface KernelOptions {
  /** An open database to use instead of opening one from the config (tests). */
  database?: Database
  log?: Logger
  /** Pre-discovered plugins (tests pass a subset); default: discover bundled + PLUGINS_DIR. */
  plugins?: LoadedPlugin[]
  /** Close the injected database on close() (default: only a database the kernel opened). */
  ownsDatabase?: boolean
}

export interface AppOptions extends KernelOptions {
  /** Answer routes that declare `ready` through the ready lane (default true; tests compare both paths). */
  readyLane?: boolean
}

export const CORE_MIGRATIONS = join(ROOT, 'migrations/core')

let nextId = 0

/**
 * The checks that need no database and no plugin code run: settings and rate-limit keys (a key
 * defined twice names both owners), permission groups, job schedules, unique-constraint
 * messages, CLI command names. `setup`
 * runs after migrations because it may read its own tables (a fresh database has none before),
 * and route factories after `setup` because they call `ctx.api()`; their failures name the
 * file and line that threw.
 */
function checkDeclarations(plugins: LoadedPlugin[], settings: SettingsService, catalog: PermissionCatalog, config: Config): void {
  settings.define(coreSettings({ dataDir: config.dataDir, appUrl: config.appUrl }), 'core')
  const commands = new Map<string, LoadedPlugin>()
  for (const p of plugins) {
    const d = p.descriptor
    const owner = `${d.name} (${p.file})`
    try {
      if (d.settings) settings.define(d.settings, owner)
      if (d.rateLimits) {
        settings.define(
          Object.fromEntries(
            Object.entries(d.rateLimits).map(([k, rule]) => [`ratelimits.${k}`, { schema: RateLimitSchema, default: rule }]),
          ),
          owner,
        )
      }
      for (const [c, groups] of Object.entries(d.permissions ?? {})) catalog.add(c as 'user', groups!, d.name)
      for (const [name, job] of Object.entries(d.jobs ?? {})) checkSchedule(`${d.name}:${name}`, job.schedule)
      for (const [constraint, message] of Object.entries(d.uniqueMessages ?? {})) uniqueMessage(constraint, message)
    } catch (e) {
      throw new PluginError(p.file, (e as Error).message)
    }
    for (const name of Object.keys(d.cli ?? {})) {
      const other = commands.get(name)
      if (other) throw new PluginError(p.file, `command "${name}" is also defined by ${other.descriptor.name} (${other.file})`)
      commands.set(name, p)
    }
  }
}

/**
 * Boots everything but HTTP: encryption key, plugins, database and migrations, settings,
 * permissions, rate limiter, jobs, and each plugin's `setup` in dependency order.
 * @example const kernel = await createKernel(loadConfig()); …; await kernel.close()
 */
export async function createKernel(config: Config, opts: KernelOptions = {}): Promise<Kernel> {
  ensureEncryptionKey(config)
  const log = opts.log ?? createLogger({ level: config.logLevel })
  const plugins = opts.plugins ?? (await discoverPlugins({ externalDir: config.pluginsDir }))
  const database = opts.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }))
  database.onCommitUnknown(({ requestId, error }) =>
    log.error('commit outcome unknown: the connection broke during COMMIT', { request_id: requestId, error }),
  )
  const ownsDatabase = opts.ownsDatabase ?? !opts.database
  const cleanup: (() => Promise<void>)[] = []
  if (ownsDatabase) cleanup.push(() => database.close())
  try {
    const secrets = new Secrets(config.encryptionKeys)
    const settings = new SettingsService(database, secrets)
    const catalog = new PermissionCatalog()
    // Everything a descriptor declares is checked before a migration touches the database.
    checkDeclarations(plugins, settings, catalog, config)

    const migrationSources: MigrationSource[] = [
      { owner: 'core', dir: CORE_MIGRATIONS },
      ...plugins.filter((p) => p.migrationsDir).map((p) => ({ owner: p.descriptor.name, dir: p.migrationsDir! })),
    ]
    const migrated = config.migrate ? await migrate(database, migrationSources) : []
    if (migrated.length > 0) log.info('migrations applied', { migrations: migrated })
    // A warning, not a stop: the schema keeps what the file did, and refusing to boot over a
    // removed file would take the panel down for a cleanup. `panel migrate --status` lists them.
    const deleted = await deletedMigrations(database, migrationSources)
    if (deleted.length > 0) log.warn('applied migrations whose files are gone', { migrations: deleted })

    let redis: Redis | undefined
    if (config.redisUrl) {
      const { default: IORedis } = await import('ioredis')
      // A Redis that accepts but stops answering must not hang requests: time out and fall back.
      redis = new IORedis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 250,
        lazyConnect: true,
      })
      let warned = false
      redis.on('error', (e) => {
        if (!warned) log.warn('redis unavailable, rate limits fall back to this process', { error: e.message })
        warned = true
      })
      redis.on('ready', () => (warned = false))
      await redis.connect().catch(() => {})
      const r = redis
      cleanup.push(async () => void (await r.quit().catch(() => r.disconnect())))
    }
    const limiter = new RateLimiter(redis, config.redisPrefix)
    const jobs = new JobScheduler(database, log.child({ component: 'jobs' }))
    const guardState: GuardState = { id: `hatchery-${process.pid}-${nextId++}`, catalog, scopes: new ScopeSlots() }
    const guard = createGuard(guardState)
    const activity = new ActivityLogs()
    const debugMode = new DebugMode(config.debug)
    const extensions = new ExtensionSwitch(settings, catalog, jobs, plugins)
    cleanup.push(async () => extensions.stop())
    const hooks = {
      ...kernelHooks(guardState),
      provideActivityLog: activity.provideActivityLog.bind(activity),
      debugMode,
      migrationSources,
      extensions,
    }
    const events = new EventBus(log.child({ component: 'events' }))
    const unbind = [bindEvents(database.db, events), bindEvents(database.background, events)]
    cleanup.push(async () => unbind.forEach((f) => f()))
    const apis = new Map<string, unknown>()
    const contexts = new Map<string, PluginContext>()

    for (const p of plugins) {
      const d = p.descriptor
      const deps = new Set(d.dependsOn ?? [])
      const ctx: PluginContext = {
        plugin: d.name,
        db: database.db,
        database,
        settings,
        log: log.child({ plugin: d.name }),
        secrets,
        limiter,
        rateLimit: async (bucket, subject) => limiter.consume(bucket, subject, await settings.get(`ratelimits.${bucket}`)),
        permissions: catalog,
        jobs,
        guard,
        scope: (key) => scopeRoutes(guard, key),
        kernel: hooks,
        activity,
        events,
        appUrl: config.appUrl,
        dataDir: config.dataDir,
        debug: config.debug,
        api<A>(other: PluginDescriptor<A>): A {
          if (other.name !== d.name && !deps.has(other.name)) throw new Error(`${d.name} uses plugin ${other.name} without dependsOn`)
          if (!apis.has(other.name)) throw new Error(`plugin ${other.name} has no API (not installed, or no setup)`)
          return apis.get(other.name) as A
        },
      }
      contexts.set(d.name, ctx)
      try {
        if (d.setup) apis.set(d.name, await d.setup(ctx))
      } catch (e) {
        throw PluginError.thrown(p, 'setup', e)
      }
      // Jobs get the background handle: their statements may run longer than a request's.
      const jobCtx = { ...ctx, db: database.background }
      for (const [name, job] of Object.entries(d.jobs ?? {})) jobs.register(`${d.name}:${name}`, job, jobCtx)
    }

    let closed = false
    return {
      config,
      database,
      log,
      secrets,
      settings,
      limiter,
      catalog,
      jobs,
      activity,
      events,
      guardState,
      guard,
      plugins,
      contexts,
      redis,
      migrated,
      migrationSources,
      debugMode,
      extensions,
      async close() {
        if (closed) return
        closed = true
        await jobs.stop()
        for (const p of [...plugins].reverse()) {
          try {
            await p.descriptor.onShutdown?.(contexts.get(p.descriptor.name)!)
          } catch (e) {
            log.error('plugin shutdown failed', { plugin: p.descriptor.name, error: e as Error })
          }
        }
        for (const fn of cleanup.reverse()) await fn()
      },
    }
  } catch (e) {
    for (const fn of cleanup.reverse()) await fn().catch(() => {})
    throw e
  }
}

/** A built panel: the Elysia app plus the kernel it runs on. */
export interface Panel {
  app: AnyElysia
  kernel: Kernel
  routes: RouteRegistry
  /** Handles a request in-process as if it came from `ip` (default 127.0.0.1). */
  handle(request: Request, opts?: { ip?: string }): Promise<Response>
  /**
   * `Bun.serve` fetch handler: peer address from the socket, one log line per request. Answers
   * synchronously when the ready lane does.
   */
  fetch(request: Request, server: { requestIP(r: Request): { address: string } | null }): Response | Promise<Response>
  /** The ready lane (see `ReadyLane`); `answered` counts its answers. */
  readyLane: ReadyLane
  close(): Promise<void>
}

/**
 * What only the mounted routes tell: a route under a scope cannot be public (its resolver needs
 * a caller), a route made with `ctx.scope(key)` must be mounted under that key, user and admin
 * permissions belong to `/api/client` and `/api/admin`, and a permission of another catalog
 * needs a scope of that catalog to check it.
 */
function checkScopedRoutes(routes: RouteRegistry, scopes: ScopeSlots, plugins: LoadedPlugin[]): void {
  const fail = (info: RouteInfo, reason: string): never => {
    const p = plugins.find((x) => x.descriptor.name === info.plugin)
    throw new PluginError(p?.file ?? 'kernel', `${info.method} ${info.path}: ${reason}`)
  }
  for (const info of routes.all()) {
    if (info.scope && info.public) fail(info, `a route under scope ${info.scope} cannot be public`)
    if (info.declaredScope && info.declaredScope !== info.scope) {
      fail(
        info,
        `declared on ctx.scope('${info.declaredScope}') but mounted ${info.scope ? `under ${info.scope}` : 'outside it'}: use routes['${info.declaredScope}']`,
      )
    }
    const remote = info.path === NAMESPACE_PREFIX.remote || info.path.startsWith(`${NAMESPACE_PREFIX.remote}/`)
    const catalog = info.scope ? scopes.get(info.scope)?.provider.catalog : undefined
    for (const spec of info.permissions) {
      const c = spec.slice(0, spec.indexOf(':'))
      if (c === 'user' || c === 'admin') {
        if (remote) fail(info, `${spec}: user and admin permissions do not apply in ${NAMESPACE_PREFIX.remote}`)
      } else if (c !== catalog) {
        fail(info, `${spec} needs a scope that checks ${c} permissions${info.scope ? ` (${info.scope} does not)` : ''}`)
      }
    }
  }
}

/**
 * Builds the HTTP app: the kernel's global hooks, the five namespaces with every plugin's route
 * groups mounted (a method and path claimed twice stops boot), `/openapi.json` and `/api`.
 * Never listens; `src/main.ts` does.
 * @example const panel = await createApp(loadConfig()); const res = await panel.handle(new Request('http://localhost/api/settings'))
 */
export async function createApp(config: Config, opts: AppOptions = {}): Promise<Panel> {
  const kernel = await createKernel(config, opts)
  try {
    const routes = new RouteRegistry()
    const { settings, limiter, guard, guardState } = kernel
    // Synchronous unless settings must be read or Redis counts: most requests await nothing here.
    const namespaceLimit = (_request: Request, meta: RequestMeta, path: string): Promise<void> | void => {
      const bucket = guardedNamespaceOf(path)
      if (!bucket) return
      const key = `ratelimits.${bucket}` as const
      const cached = settings.cached()
      if (cached) return limiter.consume(bucket, meta.ip, cached.get(key))
      return settings.snapshot().then((s) => limiter.consume(bucket, meta.ip, s.get(key)))
    }
    const app = new Elysia({ name: 'hatchery' }).use(
      httpKernel({
        log: kernel.log,
        debug: () => kernel.debugMode.enabled(),
        trustedProxies: config.trustedProxies,
        routes,
        onRequest: namespaceLimit,
      }),
    )

    const site = frontend({ dir: config.frontendDir, settings, log: kernel.log })
    const namespaces: Record<Namespace, AnyElysia> = {
      root: site.root(),
      public: new Elysia({ prefix: NAMESPACE_PREFIX.public }),
      auth: new Elysia({ prefix: NAMESPACE_PREFIX.auth }),
      client: guardedNamespace('client', NAMESPACE_PREFIX.client, guardState, guard, routes),
      admin: guardedNamespace('admin', NAMESPACE_PREFIX.admin, guardState, guard, routes),
      remote: guardedNamespace('remote', NAMESPACE_PREFIX.remote, guardState, guard, routes),
    }
    const owners = new Map<string, string>()
    const ownerNames = new Map<string, string>()
    const scopeOfRoute = new Map<string, ScopeKey>()
    for (const p of kernel.plugins) {
      for (const [target, factory] of Object.entries(p.descriptor.routes ?? {}) as [string, (c: PluginContext) => AnyElysia][]) {
        const scope = isScopeKey(target) ? target : undefined
        const ns = (scope ? scope.slice(0, scope.indexOf(':')) : target) as Namespace
        const filled = scope && guardState.scopes.get(scope)
        if (scope && !filled) {
          // Not mounted: its URLs answer 404 like unknown ones (the filler is not installed).
          kernel.log.warn('routes under a scope no plugin provides are not mounted', { plugin: p.descriptor.name, scope })
          continue
        }
        let group: AnyElysia
        try {
          group = factory(kernel.contexts.get(p.descriptor.name)!)
        } catch (e) {
          throw PluginError.thrown(p, `routes.${target}`, e)
        }
        if (!group || typeof (group as AnyElysia).use !== 'function' || !Array.isArray((group as AnyElysia).routes)) {
          throw new PluginError(p.file, `routes.${target} must return an Elysia instance`)
        }
        const base = NAMESPACE_PREFIX[ns] + (filled ? filled.provider.path : '')
        for (const r of group.routes) {
          const key = `${r.method} ${routeShape(base + r.path)}`
          const other = owners.get(key)
          if (other) throw new PluginError(p.file, `route ${r.method} ${base}${r.path} is already claimed by ${other}`)
          owners.set(key, p.file)
          ownerNames.set(key, p.descriptor.name)
          if (scope) scopeOfRoute.set(key, scope)
        }
        namespaces[ns].use(filled ? new Elysia({ prefix: filled.provider.path }).use(group) : group)
      }
    }
    app.use(docsRoutes(() => app, routes))
    for (const ns of Object.values(namespaces)) app.use(ns)
    routes.load(app.routes as never, ownerNames, scopeOfRoute)
    checkScopedRoutes(routes, guardState.scopes, kernel.plugins)
    // After the registry: the web interface's catch-all must not turn unknown API paths into 405s.
    app.use(site.routes)
    // Known before the first request (a public route of a disabled plugin must not answer once
    // after a restart); not in createKernel, which `panel migrate` runs on an empty database.
    await kernel.extensions.attachRoutes(routes)

    const deadlines = new Deadlines(config.requestTimeout * 1000, kernel.log)
    const lane = new ReadyLane({ routes, guard: guardState, trustedProxies: config.trustedProxies, limit: namespaceLimit })
    const useLane = (opts.readyLane ?? true) && lane.size > 0
    const pipeline = (request: Request) => deadlines.run(request, () => app.handle(request))
    // The ready lane's answer when it has one (synchronously, or once Redis has counted), else the full pipeline's.
    const respond = (request: Request, peer: string): Response | Promise<Response> => {
      setPeer(request, peer)
      const answer = useLane ? lane.answer(request) : undefined
      if (answer === undefined) return pipeline(request)
      if (answer instanceof Response) return answer
      return answer.then((response) => response ?? pipeline(request))
    }
    const logged = (request: Request, response: Response, peer: string): Response => {
      let meta: RequestMeta | undefined
      try {
        meta = requestMeta(request)
      } catch {}
      kernel.log.request({
        method: request.method,
        path: pathOf(request.url),
        status: response.status,
        duration_ms: meta ? Math.round((performance.now() - meta.start) * 100) / 100 : undefined,
        request_id: meta?.id ?? response.headers.get('x-request-id'),
        ip: meta?.ip ?? peer,
      })
      return response
    }
    return {
      app,
      kernel,
      routes,
      readyLane: lane,
      handle: async (request, o = {}) => respond(request, o.ip ?? '127.0.0.1'),
      fetch(request, server) {
        const peer = server.requestIP(request)?.address ?? '127.0.0.1'
        const response = respond(request, peer)
        return response instanceof Promise ? response.then((r) => logged(request, r, peer)) : logged(request, response, peer)
      },
      close: () => {
        deadlines.stop()
        return kernel.close()
      },
    }
  } catch (e) {
    await kernel.close()
    throw e
  }
}

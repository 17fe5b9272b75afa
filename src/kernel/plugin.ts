import type { AnyElysia, TSchema } from 'elysia'
import type { Database, Db } from '../db/client'
import type { Logger } from './logger'
import type { Secrets } from './secrets'
import type { SettingsService } from './settings/service'
import type { SettingDef } from './settings/types'
import type { RateLimiter, RateLimitRule } from './ratelimit'
import type { CatalogName, PermissionCatalog, PermissionGroups } from './permissions'
import type { Guard, KernelHooks } from './guard'
import type { JobScheduler } from './jobs'
import type { ActivityLogs, ActivitySlot } from './activity'
import type { EventBus } from './events'
import type { SystemSlot } from './system'
import type { ExtensionSlot } from './extensions'
import type { ScopedRoutes, ScopeKey } from './scope'

/**
 * Where a route group mounts: `/api`, `/api/auth`, `/api/client`, `/api/admin`, `/api/remote`,
 * or `root` for files served outside the API (e.g. `/avatars/…`); client, admin and remote are
 * authenticated by the kernel.
 */
export type Namespace = 'root' | 'public' | 'auth' | 'client' | 'admin' | 'remote'

export const NAMESPACE_PREFIX: Record<Namespace, string> = {
  root: '',
  public: '/api',
  auth: '/api/auth',
  client: '/api/client',
  admin: '/api/admin',
  remote: '/api/remote',
}

const GUARDED = ['client', 'admin', 'remote'] as const

/**
 * The authenticated namespace a request path lies in (`/api/client`, `/api/client/…`), or null:
 * it names the namespace's rate-limit bucket and tells the ready lane whom to authenticate.
 */
export function guardedNamespaceOf(path: string): (typeof GUARDED)[number] | null {
  for (const ns of GUARDED) {
    const prefix = NAMESPACE_PREFIX[ns]
    if (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')) return ns
  }
  return null
}

/** What a plugin's factories and services receive. */
export interface PluginContext {
  /** This plugin's name. */
  readonly plugin: string
  readonly db: Db
  readonly database: Database
  /** `await settings.get('user.max_ssh_key_count')`: async, typed by the key's definition (see `Settings`). */
  readonly settings: SettingsService
  readonly log: Logger
  readonly secrets: Secrets
  readonly limiter: RateLimiter
  /** Counts one hit on a named bucket (`ratelimits.<bucket>` rule) for `subject`; 429 when spent. */
  rateLimit(bucket: string, subject: string): Promise<void>
  readonly permissions: PermissionCatalog
  readonly jobs: JobScheduler
  /** Macros (`permission`, `public`, `exempt`, `rawBody`) and the typed `principal`. */
  readonly guard: Guard
  /**
   * An Elysia instance for routes under a scope, mounted with `routes: { [key]: … }`: the guard's
   * macros, the `scope` macro (route options for the scope's resolver) and, in every handler,
   * the resolved `resource` and `access`.
   * @example routes: { 'client:thing': (ctx) => ctx.scope('client:thing').get('/label', ({ resource }) => ({ label: resource.label }), { authenticated: true }) }
   */
  scope<K extends ScopeKey>(key: K): ScopedRoutes<K>
  /** Slots the kernel lets a plugin fill (authentication, remote authentication, scopes, activity logs, the debug source), the migration folders and the extension switch. */
  readonly kernel: KernelHooks & ActivitySlot & SystemSlot & ExtensionSlot
  /** The activity logs (`user`, `admin`, and any a plugin provides), written in the caller's transaction. */
  readonly activity: ActivityLogs
  /** Subscribe to events emitted with `emit(tx, …)`; they arrive after the transaction commits. */
  readonly events: EventBus
  /** Public base URL (the `app.url` setting's default) and storage root. */
  readonly appUrl: string
  readonly dataDir: string
  /** APP_DEBUG as configured at start; the live value (changeable at run time) is `kernel.debugMode.enabled()`. */
  readonly debug: boolean
  /** Another plugin's public API (what its `setup` returned); it must be in `dependsOn`. */
  api<A>(plugin: PluginDescriptor<A>): A
}

/**
 * An option of a plugin CLI command (`--name value`), parsed with `node:util` parseArgs. With a
 * `schema` (TypeBox, as for request bodies) the value is converted (`--count 5` → 5) and checked
 * before `run`; a failure is exit 1 with API-style lines (`title: length is lower than 1`).
 */
export interface CliOption {
  type: 'string' | 'boolean'
  short?: string
  description?: string
  /** Missing → usage error (exit 2). */
  required?: boolean
  schema?: TSchema
}

/** A positional argument, in order; with `positionals` declared, extra arguments are refused. */
export interface CliPositional {
  name: string
  description?: string
  required?: boolean
  schema?: TSchema
}

/** What `run` receives: option values by name (converted by their schemas) and positionals. */
export interface CliArgs {
  options: Record<string, string | number | boolean | undefined>
  positionals: string[]
}

export interface CliIO {
  /** Prints the command's result: JSON with `--json`, else `text` (or pretty JSON). */
  result(value: unknown, text?: string): void
  /** Logs go to stderr. */
  log: Logger
  json: boolean
}

/**
 * A `panel` subcommand, named by its words (`'users create'`). Throw typed errors (`Validation`,
 * `NotFound`…): their messages are printed as `panel <command>: <message>`, exit 1.
 * @example { description: 'Greets', options: { name: { type: 'string', required: true, schema: t.String({ minLength: 1 }) } },
 *            run: async (ctx, { options }, io) => io.result({ hello: options.name }) }
 */
export interface CliCommand {
  description: string
  options?: Record<string, CliOption>
  positionals?: CliPositional[]
  run(ctx: PluginContext, args: CliArgs, io: CliIO): Promise<number | void>
}

/** A background job: a cron expression (croner) or a fixed interval. Runs once per slot across all panel processes. */
export interface JobDef {
  schedule: string | { everySeconds: number }
  description?: string
  run(ctx: PluginContext): Promise<void>
}

/**
 * A plugin: one folder under `plugins/` (or `PLUGINS_DIR`) whose `index.ts` default-exports this.
 * See `plugins/README.md` for a complete example.
 */
export interface PluginDescriptor<Api = unknown> {
  name: string
  version: string
  description?: string
  dependsOn?: string[]
  /** Drizzle tables this plugin owns (other plugins import them through index.ts for FKs). */
  tables?: Record<string, unknown>
  /** Folder of `.sql` migrations, relative to the plugin folder. */
  migrations?: string
  /** Permission groups added to the user, admin and server catalogs. */
  permissions?: Partial<Record<CatalogName, PermissionGroups>>
  /** Settings keys (dotted) with schemas and defaults. */
  settings?: Record<string, SettingDef>
  /** 409 message per unique constraint (index) name this plugin's tables declare, e.g. `{ notes_user_name_unique: 'note with name already exists' }`. */
  uniqueMessages?: Record<string, string>
  /** Rate-limit buckets with their default rule; tunable as setting `ratelimits.<name>`. */
  rateLimits?: Record<string, RateLimitRule>
  /** Builds the plugin's public API (services) once, in dependency order. */
  setup?(ctx: PluginContext): Api | Promise<Api>
  /**
   * Route groups per namespace, and per scope (`'client:thing'`: mounted under the path its
   * filler gives, not mounted while no plugin fills it); each factory returns an Elysia instance.
   */
  routes?: Partial<Record<Namespace | ScopeKey, (ctx: PluginContext) => AnyElysia>>
  cli?: Record<string, CliCommand>
  jobs?: Record<string, JobDef>
  onShutdown?(ctx: PluginContext): void | Promise<void>
}

/**
 * Declares a plugin. The kernel validates the descriptor at boot.
 * @example export default definePlugin({ name: 'hello', version: '1.0.0', routes: { client: helloRoutes } })
 */
export function definePlugin<Api = void>(descriptor: PluginDescriptor<Api>): PluginDescriptor<Api> {
  return descriptor
}

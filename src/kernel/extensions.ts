import type { LoadedPlugin } from './loader'
import type { PermissionCatalog } from './permissions'
import type { JobScheduler } from './jobs'
import type { RouteRegistry } from './routes'
import type { SettingsService, SettingsSnapshot } from './settings/service'
import type { Tx } from '../db/client'

/** The setting holding the names of switched-off plugins (core, read-only for the settings PUT). */
export const DISABLED_EXTENSIONS = 'extensions.disabled'

/** What the kernel knows about one installed plugin, for the extensions listing. */
export interface InstalledPlugin {
  name: string
  version: string
  description: string
  external: boolean
  dependsOn: string[]
  /** Installed plugins whose `dependsOn` names this one. */
  dependants: string[]
}

/**
 * Plugins switched on and off at run time. The names live in the setting `extensions.disabled`,
 * so a change reaches every panel process with the settings cache (within 2 s) and survives
 * restarts. A switched-off plugin keeps its setup, tables, data, settings and permission grants;
 * its routes answer like unknown ones, its jobs are skipped and its permission groups are not
 * listed.
 *
 * `isDisabled` runs on every request: synchronous, O(1), no database read. It follows the settings
 * cache; when the cache is stale it starts a refresh in the background and answers from the last
 * snapshot (the namespaces' rate limiting already awaits a fresh one for `/api/client`,
 * `/api/admin`, `/api/remote`; a 2 s refresh covers the other routes of an idle process). The app
 * reads it before its first request, so a restarted process never serves a disabled route.
 */
export class ExtensionSwitch {
  private disabled: ReadonlySet<string> = new Set()
  private seen?: SettingsSnapshot
  private routes?: RouteRegistry
  private readonly byName: Map<string, LoadedPlugin>
  private timer?: ReturnType<typeof setInterval>

  constructor(
    private settings: SettingsService,
    private catalog: PermissionCatalog,
    private jobs: JobScheduler,
    plugins: readonly LoadedPlugin[],
  ) {
    this.byName = new Map(plugins.map((p) => [p.descriptor.name, p]))
    catalog.hideOwners(() => this.current())
    jobs.pauseWhen(async (plugin) => (await this.fresh()).has(plugin))
  }

  /**
   * The app's route registry, once the routes are mounted (for `routesOf` and the 404s). From
   * then on the switch also reads the settings every 2 s by itself, so a process that serves
   * only routes outside the authenticated namespaces (which read no settings) still follows.
   * Resolves once the stored list is read.
   */
  async attachRoutes(routes: RouteRegistry): Promise<void> {
    this.routes = routes
    routes.hidden = (plugin) => this.current().has(plugin)
    this.timer ??= setInterval(() => void this.fresh().catch(() => {}), 2000)
    this.timer.unref?.()
    await this.fresh()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** @example if (ctx.kernel.extensions.isDisabled('greeter')) … */
  isDisabled(plugin: string): boolean {
    return this.current().has(plugin)
  }

  /** The installed plugins switched off in this process now, synchronously (see the class comment). */
  current(): ReadonlySet<string> {
    const snapshot = this.settings.cached()
    if (!snapshot)
      void this.settings.snapshot().then(
        (s) => this.follow(s),
        () => {},
      )
    else if (snapshot !== this.seen) this.follow(snapshot)
    return this.disabled
  }

  /** The same after reading the settings (at most 2 s old): jobs, listings. */
  async fresh(): Promise<ReadonlySet<string>> {
    this.follow(await this.settings.snapshot())
    return this.disabled
  }

  private follow(snapshot: SettingsSnapshot): void {
    if (snapshot === this.seen) return
    this.seen = snapshot
    const names = snapshot.get(DISABLED_EXTENSIONS).filter((n) => this.byName.has(n))
    const same = names.length === this.disabled.size && names.every((n) => this.disabled.has(n))
    // A new Set only on a change: listings cache by its identity.
    if (!same) this.disabled = new Set(names)
  }

  /** Every installed plugin, in load order. */
  installed(): InstalledPlugin[] {
    const plugins = [...this.byName.values()]
    return plugins.map((p) => ({
      name: p.descriptor.name,
      version: p.descriptor.version,
      description: p.descriptor.description ?? '',
      external: p.external,
      dependsOn: [...(p.descriptor.dependsOn ?? [])],
      dependants: plugins.filter((o) => o.descriptor.dependsOn?.includes(p.descriptor.name)).map((o) => o.descriptor.name),
    }))
  }

  has(plugin: string): boolean {
    return this.byName.has(plugin)
  }

  /** `METHOD /path` of every route the plugin mounts. */
  routesOf(plugin: string): string[] {
    return (this.routes?.all() ?? []).filter((r) => r.plugin === plugin && r.method !== 'ALL').map((r) => `${r.method} ${r.path}`)
  }

  /** `catalog:group.permission` of every permission the plugin's groups add. */
  permissionsOf(plugin: string): string[] {
    return this.catalog.ownedBy(plugin)
  }

  /** `<plugin>:<job>` of every job the plugin registers. */
  jobsOf(plugin: string): string[] {
    return this.jobs.names().filter((j) => j.startsWith(`${plugin}:`))
  }

  /**
   * Changes the stored list under a lock (concurrent toggles queue), in one transaction with
   * `within` (audit). `change` gets the stored names and returns the new ones; it may throw to
   * refuse. Seen at once in this process, within 2 s in the others.
   */
  async update(change: (stored: string[]) => string[], within?: (tx: Tx) => Promise<void>): Promise<void> {
    await this.settings.modify(DISABLED_EXTENSIONS, change, { allowReadOnly: true, within })
    await this.fresh()
  }
}

/** What plugins reach through `ctx.kernel.extensions`. */
export interface ExtensionSlot {
  readonly extensions: ExtensionSwitch
}

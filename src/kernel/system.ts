import type { MigrationSource } from '../db/migrate'

/** Where the runtime debug choice is read from (a plugin's stored setting); null means "as APP_DEBUG says". */
export type DebugSource = () => Promise<boolean | null>

/**
 * The debug switch: whether a 500 tells its cause (the error's message and causes, or the broken
 * response schema) instead of `internal server error`. It starts as `APP_DEBUG` (`initial`); a
 * plugin may provide a source consulted when a 500 is answered, so an administrator can turn it
 * on and off at run time in every panel process (the system plugin stores it as a setting).
 * @example ctx.kernel.debugMode.provideSource(async () => (await ctx.settings.get('system.debug')), ctx.plugin)
 */
export class DebugMode {
  private source?: DebugSource

  constructor(readonly initial: boolean) {}

  /** Installs the source (at most one: a second one throws, naming the owner). */
  provideSource(fn: DebugSource, owner: string): void {
    if (this.source) throw new Error(`${owner}: a debug mode source is already provided`)
    this.source = fn
  }

  /** The current choice; a source that fails (database down) leaves the APP_DEBUG value. */
  async enabled(): Promise<boolean> {
    if (!this.source) return this.initial
    const chosen = await this.source().catch(() => null)
    return chosen ?? this.initial
  }
}

/** What the kernel tells plugins about itself (`ctx.kernel`): the debug switch and the migration folders. */
export interface SystemSlot {
  readonly debugMode: DebugMode
  /** Every migration folder, the kernel's (`core`) first, then one per plugin, by owner. */
  readonly migrationSources: readonly MigrationSource[]
}

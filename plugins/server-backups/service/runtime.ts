import type { Actor, Db, Logger, PluginContext, Secrets, SettingsService, SystemActor, Tx } from 'hatchery'
import type { NodeRow } from '../../nodes'
import type { WingsClient } from '../../servers'

/** What the backup services need besides the database: the node clients, the rate limiter, settings and the server log. */
export interface BackupRuntime {
  db: Db
  secrets: Secrets
  settings: SettingsService
  log: Logger
  wings(node: NodeRow): WingsClient
  rateLimit(bucket: string, subject: string): Promise<void>
  /** Writes `event` to the server's activity log in `tx`. */
  activity(tx: Tx | Db, actor: Actor | SystemActor, event: string, data: Record<string, unknown>, server: string): Promise<void>
}

const runtimes = new WeakMap<object, BackupRuntime>()
/** The runtime bound last: a job's context has its own database handle (the kernel's background one), not `ctx.db`. */
let latest: BackupRuntime | null = null

/** Binds the runtime of one panel to its database handle (in `setup`), so `createBackup(db, …)` finds it. */
export function bindRuntime(ctx: PluginContext, wings: (node: NodeRow) => WingsClient): BackupRuntime {
  const runtime: BackupRuntime = {
    db: ctx.db,
    secrets: ctx.secrets,
    settings: ctx.settings,
    log: ctx.log,
    wings,
    rateLimit: (bucket, subject) => ctx.rateLimit(bucket, subject),
    activity: (tx, actor, event, data, server) => ctx.activity.log('server', tx, actor, event, data, server),
  }
  runtimes.set(ctx.db, runtime)
  latest = runtime
  return runtime
}

/** The runtime bound to `db` (the panel's `ctx.db`); another handle of the same panel (a job's) gets the one bound last. */
export function runtimeOf(db: Db): BackupRuntime {
  const runtime = runtimes.get(db) ?? latest
  if (!runtime) throw new Error('server-backups: pass the panel database handle (ctx.db) of a panel with the server-backups plugin')
  return runtime
}

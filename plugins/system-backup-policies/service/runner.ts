import { ServiceUnavailable, type Db } from 'hatchery'

/** What a policy run asks of the backup runner for one server. */
export interface PolicyBackupOptions {
  /** The backup's name: the run's slot, `2026-12-07 03:00:00 +0000`. */
  name: string
  /** The policy's backup configuration, or null for the server's own (server, node, location). */
  backupConfigurationUuid: string | null
  policyUuid: string
}

/**
 * Starts and deletes server backups for the policies: filled by the plugin owning backups with the
 * same code a user's backup goes through. `start` resolves to the new backup's uuid once it is
 * recorded and handed to Wings; `remove` deletes one (its row and its archive). Either may throw:
 * the engine logs it, and a failed `remove` is tried again on the next pass.
 */
export interface BackupRunner {
  start(db: Db, serverUuid: string, options: PolicyBackupOptions): Promise<string>
  remove(db: Db, backupUuid: string): Promise<void>
}

/** The slot behind `provideRunner`: the plugin fills it with the server-backups runner; the last provider wins. */
export class RunnerSlot {
  private runner: BackupRunner | null = null

  provide(runner: BackupRunner): void {
    this.runner = runner
  }

  /** Empties the slot (what a panel without backups looks like: 503 on trigger). */
  withdraw(): void {
    this.runner = null
  }

  get(): BackupRunner | null {
    return this.runner
  }

  /** The runner, or 503 `backups are not available` while none is provided. */
  require(): BackupRunner {
    if (!this.runner) throw new ServiceUnavailable('backups are not available')
    return this.runner
  }
}

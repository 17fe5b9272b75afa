import { ProvidedLists, type Db, type Logger } from 'hatchery'
import { PolicyEngine } from './service/engine'
import { RunnerSlot, type BackupRunner } from './service/runner'

/**
 * What `ctx.api(systemBackupPolicies)` offers. The plugin owning server backups fills the runner
 * (until then `POST …/trigger` is 503 `backups are not available` and the job skips) and may provide
 * the `backups` list (the backup objects of a policy; until then `/backups` answers the links).
 * @example
 * ctx.api(systemBackupPolicies).provideRunner({
 *   start: (db, serverUuid, { name, backupConfigurationUuid, policyUuid }) => createBackup(db, …),   // → the backup uuid
 *   remove: (db, backupUuid) => deleteBackup(db, backupUuid),
 * })
 */
export class SystemBackupPoliciesApi {
  readonly runners = new RunnerSlot()
  readonly lists = new ProvidedLists<'backups'>('system-backup-policies')
  readonly engine: PolicyEngine

  constructor(db: Db, log: Logger) {
    this.engine = new PolicyEngine(db, log, this.runners)
  }

  /** Fills the backup runner slot (the last provider wins). */
  provideRunner(runner: BackupRunner): void {
    this.runners.provide(runner)
  }
}

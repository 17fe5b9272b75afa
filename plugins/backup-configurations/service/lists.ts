import { ProvidedLists, type Db } from 'hatchery'
import type { BackupStatsOut } from '../model'

export type { ProvidedList as SubList } from 'hatchery'
export type SubListName = 'locations' | 'nodes' | 'servers' | 'backups'

/**
 * The sub-lists of `/api/admin/backup-configurations/{backup_configuration}/…` and its `stats`.
 * Plugins owning locations, nodes, servers and backups provide theirs in `setup`; until then a
 * list is a true empty page and the stats are zeros.
 * @example ctx.api(backupConfigurations).lists.provide('nodes', { model: Node, list: (db, uuid, page) => listNodes(db, secrets, page, { backup_configuration_uuid: uuid }) })
 */
export class SubLists extends ProvidedLists<SubListName> {
  private statsOf: ((db: Db, backupConfigurationUuid: string) => Promise<BackupStatsOut>) | null = null

  constructor() {
    super('backup-configurations')
  }

  provideStats(fn: (db: Db, backupConfigurationUuid: string) => Promise<BackupStatsOut>): void {
    if (this.statsOf) throw new Error('backup-configurations: the stats are already provided')
    this.statsOf = fn
  }

  stats(db: Db, uuid: string): Promise<BackupStatsOut> {
    if (this.statsOf) return this.statsOf(db, uuid)
    const zero = { total: 0, successful: 0, successful_bytes: 0, failed: 0, deleted: 0, deleted_bytes: 0 }
    return Promise.resolve({ all_time: zero, today: { ...zero }, week: { ...zero }, month: { ...zero } })
  }
}

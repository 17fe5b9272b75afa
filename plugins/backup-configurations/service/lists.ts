import { t, type TSchema } from 'elysia'
import type { Db, Page, PageParams } from 'hatchery'
import type { BackupStatsOut } from '../model'

/** A list of things using a backup configuration, filled by the plugin owning them. */
export interface SubList {
  /** The item schema of the answered page (in /openapi.json). */
  model: TSchema
  list: (db: Db, backupConfigurationUuid: string, page: PageParams) => Promise<Page<unknown>>
}

export type SubListName = 'locations' | 'nodes' | 'servers' | 'backups'

/** Until its owner exists, an item of nodes, servers or backups is an object this plugin does not describe. */
const Unknown = t.Object({}, { additionalProperties: true, description: 'Filled by the plugin owning these items' })

/**
 * The sub-lists of `/api/admin/backup-configurations/{backup_configuration}/…` and its `stats`.
 * Plugins owning locations, nodes, servers and backups provide theirs in `setup` (the route
 * factories run after every `setup`, so the provider's model is the route's response schema);
 * until then a list is a true empty page and the stats are zeros.
 * @example ctx.api(backupConfigurations).lists.provide('nodes', { model: Node, list: (db, uuid, page) => listNodes(db, page, { backup_configuration_uuid: uuid }) })
 */
export class SubLists {
  private readonly lists = new Map<SubListName, SubList>()
  private statsOf: ((db: Db, backupConfigurationUuid: string) => Promise<BackupStatsOut>) | null = null

  provide(name: SubListName, list: SubList): void {
    if (this.lists.has(name)) throw new Error(`backup-configurations: the ${name} list is already provided`)
    this.lists.set(name, list)
  }

  provideStats(fn: (db: Db, backupConfigurationUuid: string) => Promise<BackupStatsOut>): void {
    if (this.statsOf) throw new Error('backup-configurations: the stats are already provided')
    this.statsOf = fn
  }

  model(name: SubListName): TSchema {
    return this.lists.get(name)?.model ?? Unknown
  }

  list(name: SubListName, db: Db, uuid: string, page: PageParams): Promise<Page<unknown>> {
    const provider = this.lists.get(name)
    return provider ? provider.list(db, uuid, page) : Promise.resolve({ total: 0, per_page: page.perPage, page: page.page, data: [] })
  }

  stats(db: Db, uuid: string): Promise<BackupStatsOut> {
    if (this.statsOf) return this.statsOf(db, uuid)
    const zero = { total: 0, successful: 0, successful_bytes: 0, failed: 0, deleted: 0, deleted_bytes: 0 }
    return Promise.resolve({ all_time: zero, today: { ...zero }, week: { ...zero }, month: { ...zero } })
  }
}

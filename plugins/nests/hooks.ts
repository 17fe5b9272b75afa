import { ProvidedLists, type Db, type Tx } from 'hatchery'
import type { EggRow } from './service/eggs'

/** Refuses deleting an egg by throwing (the servers plugin: 409 `egg has servers, cannot delete`). */
export type EggDeletionGuard = (tx: Tx, egg: EggRow) => Promise<void>

/** The egg-repositories plugin's side of `egg_repository_egg_uuid` (until it exists, only null is accepted). */
export interface RepositoryEggSource {
  /** Whether a repository egg exists (400 ``invalid relation `egg_repository_egg` provided`` otherwise). */
  exists(tx: Tx, uuid: string): Promise<boolean>
  /** The `egg_repository_egg` objects of these repository eggs, by uuid. */
  describe(db: Db | Tx, uuids: string[]): Promise<Map<string, Record<string, unknown>>>
  /** The egg document of a repository egg (`update/repository` imports it), null when it is gone. */
  document(db: Db | Tx, uuid: string): Promise<unknown | null>
}

/**
 * What other plugins hook into nests and eggs, in their `setup`: egg deletion guards (a guarded egg
 * is refused by `DELETE …/{egg}`, makes `DELETE /nests/{nest}` with `delete_eggs` a 409 and is skipped
 * by the bulk delete), the `servers` list of `GET …/{egg}/servers` (an empty page until provided)
 * and the repository-egg source.
 * @example
 * const hooks = ctx.api(nests)
 * hooks.eggDeletionGuards.add(async (tx, egg) => { if (await countServers(tx, egg.uuid)) throw new Conflict('egg has servers, cannot delete') })
 * hooks.lists.provide('servers', { model: AdminServer, list: (db, eggUuid, page) => listServers(db, page, eq(servers.egg_uuid, eggUuid)) })
 */
export class NestHooks {
  readonly eggDeletionGuards = new Set<EggDeletionGuard>()
  readonly lists = new ProvidedLists<'servers'>('nests')
  private source: RepositoryEggSource | null = null

  provideRepositoryEggs(source: RepositoryEggSource): void {
    if (this.source) throw new Error('nests: the repository-egg source is already provided')
    this.source = source
  }

  get repositoryEggs(): RepositoryEggSource | null {
    return this.source
  }
}

import { t, type TSchema } from 'elysia'
import type { Db, Page, PageParams, Tx } from 'hatchery'
import type { LocationRow } from './service'

/** Refuses deleting a location by throwing (the nodes plugin: 409 `location has nodes, cannot delete`). */
export type LocationDeletionGuard = (tx: Tx, location: LocationRow) => Promise<void>
/** Copies what another plugin links to a location when it is duplicated (the database-host links are locations' own). */
export type LocationDuplicatedHook = (tx: Tx, source: LocationRow, copy: LocationRow) => Promise<void>

export interface NodeListProvider {
  /** The item schema of the page (the nodes plugin's `Node`). */
  model: TSchema
  list: (db: Db, locationUuid: string, page: PageParams) => Promise<Page<unknown>>
}

/**
 * What other plugins hook into locations, in their `setup` (route factories run after every
 * `setup`, so a provided node model is the nodes route's response schema). Without a nodes plugin
 * `GET /locations/{location}/nodes` answers a true empty page.
 * @example
 * const hooks = ctx.api(locations)
 * hooks.deletionGuards.add(async (tx, l) => { if (await countNodes(tx, l.uuid)) throw new Conflict('location has nodes, cannot delete') })
 * hooks.provideNodes({ model: Node, list: (db, uuid, page) => listNodes(db, page, eq(nodes.location_uuid, uuid)) })
 */
export class LocationHooks {
  readonly deletionGuards = new Set<LocationDeletionGuard>()
  readonly onDuplicated = new Set<LocationDuplicatedHook>()
  private nodes: NodeListProvider | null = null

  provideNodes(provider: NodeListProvider): void {
    if (this.nodes) throw new Error('locations: the nodes list is already provided')
    this.nodes = provider
  }

  get nodeModel(): TSchema {
    return this.nodes?.model ?? t.Object({}, { additionalProperties: true, description: 'A node (filled by the nodes plugin)' })
  }

  listNodes(db: Db, uuid: string, page: PageParams): Promise<Page<unknown>> {
    return this.nodes ? this.nodes.list(db, uuid, page) : Promise.resolve({ total: 0, per_page: page.perPage, page: page.page, data: [] })
  }
}

import { ProvidedLists, type Tx } from 'hatchery'
import type { LocationRow } from './service'

/** Refuses deleting a location by throwing (the nodes plugin: 409 `location has nodes, cannot delete`). */
export type LocationDeletionGuard = (tx: Tx, location: LocationRow) => Promise<void>
/** Copies what another plugin links to a location when it is duplicated (the database-host links are locations' own). */
export type LocationDuplicatedHook = (tx: Tx, source: LocationRow, copy: LocationRow) => Promise<void>

/**
 * What other plugins hook into locations, in their `setup`. Without a nodes plugin
 * `GET /locations/{location}/nodes` answers a true empty page.
 * @example
 * const hooks = ctx.api(locations)
 * hooks.deletionGuards.add(async (tx, l) => { if (await countNodes(tx, l.uuid)) throw new Conflict('location has nodes, cannot delete') })
 * hooks.lists.provide('nodes', { model: Node, list: (db, uuid, page) => listNodes(db, secrets, page, { location_uuid: uuid }) })
 */
export class LocationHooks {
  readonly deletionGuards = new Set<LocationDeletionGuard>()
  readonly onDuplicated = new Set<LocationDuplicatedHook>()
  /** `nodes`: the page of `/locations/{location}/nodes`. */
  readonly lists = new ProvidedLists<'nodes'>('locations')
}

import { ProvidedLists, type Tx } from 'hatchery'
import type { MountRow } from './service'

/** Refuses deleting a mount by throwing (the servers plugin: a mount attached to servers). */
export type MountDeletionGuard = (tx: Tx, mount: MountRow) => Promise<void>

/**
 * What other plugins hook into mounts, in their `setup`: the link lists they own (`nodes`:
 * `{node, created}`, `nest-eggs`: `{nest, nest_egg, created}`, `servers`: `{server, created}`; an
 * empty page until provided) and deletion guards. Link tables reference `tables.mounts` with
 * `on delete cascade`.
 * @example
 * ctx.api(mounts).lists.provide('nodes', { model: MountNodeLink, list: (db, mountUuid, page) => listNodesOfMount(db, mountUuid, page) })
 */
export class MountHooks {
  readonly deletionGuards = new Set<MountDeletionGuard>()
  readonly lists = new ProvidedLists<'nodes' | 'nest-eggs' | 'servers'>('mounts')
}

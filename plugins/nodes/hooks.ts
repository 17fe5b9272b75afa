import type { Db, Tx } from 'hatchery'
import type { NodeRow } from './service/nodes'

/**
 * Refuses deleting a node by throwing. The servers plugin adds one answering 409 `node has servers,
 * cannot delete` (the reference's words; it answers 400, issue 13 asks 409 for a node in use).
 */
export type NodeDeletionGuard = (tx: Tx, node: NodeRow) => Promise<void>
/** Copies what another plugin links to a node when it is duplicated (never its allocations). */
export type NodeDuplicatedHook = (tx: Tx, source: NodeRow, copy: NodeRow) => Promise<void>

/** The `allocated` part of `GET /nodes/{node}/capacity`: sums over the node's servers. */
export interface AllocatedCapacity {
  servers: number
  cpu: number
  memory: number
  memory_overhead: number
  disk: number
}
export type CapacityProvider = (db: Db, node: NodeRow) => Promise<AllocatedCapacity>

/**
 * What other plugins hook into nodes, in their `setup` (`ctx.api(nodes)`).
 * @example
 * const hooks = ctx.api(nodes)
 * hooks.deletionGuards.add(async (tx, n) => { if (await countServers(tx, n.uuid)) throw new Conflict('node has servers, cannot delete') })
 * hooks.provideCapacity((db, n) => sumServerLimits(db, n.uuid))
 */
export class NodeHooks {
  readonly deletionGuards = new Set<NodeDeletionGuard>()
  readonly onDuplicated = new Set<NodeDuplicatedHook>()
  private capacity: CapacityProvider | null = null

  /** Fills `allocated` of the capacity route (zeros until a plugin provides it). */
  provideCapacity(provider: CapacityProvider): void {
    if (this.capacity) throw new Error('nodes: the capacity provider is already set')
    this.capacity = provider
  }

  allocated(db: Db, node: NodeRow): Promise<AllocatedCapacity> {
    if (this.capacity) return this.capacity(db, node)
    return Promise.resolve({ servers: 0, cpu: 0, memory: 0, memory_overhead: 0, disk: 0 })
  }
}

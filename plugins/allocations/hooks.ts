import { t, type TSchema } from 'elysia'
import { sql, type SQL } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import type { Db, Tx } from 'hatchery'
import type { NodeRow } from '../nodes'

/**
 * Which allocations are assigned to a server, and those servers: what the servers plugin knows
 * (its server-allocation rows) and this plugin asks. Given once, in the servers plugin's `setup`.
 */
export interface AssignmentProvider {
  /**
   * SQL that is true when the allocation whose uuid is `allocation` is assigned to a server; it is
   * used inside this plugin's queries on `node_allocations`.
   * @example (a) => sql`exists (select 1 from server_allocations sa where sa.allocation_uuid = ${a})`
   */
  assigned(allocation: AnyPgColumn): SQL
  /** SQL true when a server-allocation note of the allocation matches the ILIKE `pattern` (the list's `search`). */
  notesMatch?(allocation: AnyPgColumn, pattern: string): SQL
  /** The `AdminServer` of each assigned allocation among `allocations` (uuids): allocation uuid → server object. */
  servers(db: Db | Tx, allocations: string[]): Promise<Map<string, unknown>>
  /** The item schema of `server` (the servers plugin's `AdminServer`). */
  model: TSchema
}

/** An allocation a delete is about to remove. */
export interface DoomedAllocation {
  uuid: string
  ip: string
  port: number
  assigned: boolean
}

/**
 * Refuses deleting allocations by throwing (inside the delete's transaction, the node's row
 * locked); `allocations` are those about to go, assigned ones only with `force`.
 */
export type AllocationDeletionGuard = (tx: Tx, node: NodeRow, allocations: DoomedAllocation[], force: boolean) => Promise<void>

/**
 * What other plugins hook into allocations (`ctx.api(allocations)`), in their `setup`: route
 * factories run after every `setup`, so a provided server model is the lists' response schema.
 * Until a provider is given no allocation is assigned: `server` is null, `assigned=true` matches
 * nothing, `/available` lists everything and a delete never skips.
 * @example
 * const hooks = ctx.api(allocations)
 * hooks.provideAssignments({ assigned: (a) => sql`exists (…)`, servers: loadAdminServers, model: AdminServer })
 * hooks.deletionGuards.add(async (tx, node, doomed) => { … throw new Conflict('…') })
 */
export class AllocationHooks {
  readonly deletionGuards = new Set<AllocationDeletionGuard>()
  private provider: AssignmentProvider | null = null

  /** Gives the assignment provider; returns the function that takes it back (tests, a plugin switched off). */
  provideAssignments(provider: AssignmentProvider): () => void {
    if (this.provider) throw new Error('allocations: the assignments are already provided')
    this.provider = provider
    return () => {
      if (this.provider === provider) this.provider = null
    }
  }

  get serverModel(): TSchema {
    return (
      this.provider?.model ?? t.Object({}, { additionalProperties: true, description: 'An AdminServer (filled by the servers plugin)' })
    )
  }

  assigned(allocation: AnyPgColumn): SQL {
    return this.provider ? sql`(${this.provider.assigned(allocation)})` : sql`false`
  }

  notesMatch(allocation: AnyPgColumn, pattern: string): SQL | undefined {
    return this.provider?.notesMatch?.(allocation, pattern)
  }

  servers(db: Db | Tx, allocations: string[]): Promise<Map<string, unknown>> {
    return this.provider && allocations.length ? this.provider.servers(db, allocations) : Promise.resolve(new Map())
  }
}

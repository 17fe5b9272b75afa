import { PgTransaction } from 'drizzle-orm/pg-core'
import type { Db, Tx } from '../db/client'
import { afterCommit, handleOf } from '../db/transaction'
import type { Logger } from './logger'

export type EventHandler = (payload: Record<string, unknown>) => void | Promise<void>

/**
 * A kernel's in-process event bus. Events are emitted with `emit(db, name, payload)` and reach
 * the handlers only once the emitting transaction has committed (never after a rollback, never
 * twice when `transaction()` re-runs it). A handler that throws is logged; the others still run.
 * @example ctx.events.on('users.changed', ({ user }) => cache.forget(user as string))
 */
export class EventBus {
  private handlers = new Map<string, Set<EventHandler>>()

  constructor(private log: Logger) {}

  /** Subscribes to an event; returns the unsubscribe function. */
  on(name: string, handler: EventHandler): () => void {
    let set = this.handlers.get(name)
    if (!set) this.handlers.set(name, (set = new Set()))
    set.add(handler)
    return () => void set.delete(handler)
  }

  async deliver(name: string, payload: Record<string, unknown>): Promise<void> {
    for (const handler of this.handlers.get(name) ?? []) {
      try {
        await handler(payload)
      } catch (e) {
        this.log.error('event handler failed', { event: name, error: e as Error })
      }
    }
  }
}

// The buses of the kernels running on a database handle (tests run two panels on one database).
const buses = new WeakMap<Db, Set<EventBus>>()

/** Delivers the events emitted through `db` (and the transactions opened on it) to `bus`. */
export function bindEvents(db: Db, bus: EventBus): () => void {
  let set = buses.get(db)
  if (!set) buses.set(db, (set = new Set()))
  set.add(bus)
  return () => void set.delete(bus)
}

/**
 * Records an event: inside a transaction opened by `transaction()` it is delivered after the
 * commit (dropped on rollback); on the plain handle (autocommit) at once. A transaction opened
 * otherwise is a programming error (thrown).
 * @example await transaction(ctx.db, async (tx) => { await tx.update(…); await emit(tx, 'users.changed', { user: uuid }) })
 */
export async function emit(db: Db | Tx, name: string, payload: Record<string, unknown> = {}): Promise<void> {
  const handle = db instanceof PgTransaction ? handleOf(db) : db
  const targets = [...(buses.get(handle) ?? [])]
  await afterCommit(db, async () => {
    for (const bus of targets) await bus.deliver(name, payload)
  })
}

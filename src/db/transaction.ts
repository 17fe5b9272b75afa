import { PgTransaction } from 'drizzle-orm/pg-core'
import type { Db, Tx } from './client'
import { isRetryableConflict } from './errors'

export interface TransactionOptions {
  /** How many times to re-run the transaction after a serialization failure or deadlock (default 3). */
  retries?: number
}

/** Random wait before attempt `n` (1, 2, …): up to 10, 20, 40… ms, so the losers do not collide again. */
const backoff = (n: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** (n - 1)))

type AfterCommit = () => void | Promise<void>

/** A transaction opened by `transaction()`: the handle it runs on and what waits for its commit. */
interface Open {
  handle: Db
  pending: AfterCommit[]
}

const opened = new WeakMap<Tx, Open>()

function openState(tx: Tx): Open {
  const state = opened.get(tx)
  if (!state) throw new Error('after-commit work needs a transaction opened by transaction() (from hatchery)')
  return state
}

/**
 * Runs `fn` in a transaction and runs the whole transaction again (up to `retries` times, after a
 * short random wait) when PostgreSQL aborts it with a serialization failure (40001) or a deadlock
 * (40P01). The last such error is thrown as is (the error handler answers it with 503).
 *
 * `fn` may run more than once: it must only touch the database through `tx`, and do anything else
 * (files, mail) after this returns, or register it with `afterCommit(tx, …)` / `emit(tx, …)`,
 * which run once, after the commit, before this returns. Given a transaction (`tx`), it opens a
 * savepoint and does not retry: a deadlock aborts the outer transaction, which its own caller
 * retries; the savepoint's after-commit work joins the outer transaction's when it is released.
 * @example
 * const row = await transaction(ctx.db, async (tx) => {
 *   await lockUser(tx, userUuid)
 *   return (await tx.insert(notes).values({ user_uuid: userUuid, text }).returning())[0]
 * })
 */
export async function transaction<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  if (db instanceof PgTransaction) {
    const outer = openState(db as Tx)
    return db.transaction(async (savepoint: Tx) => {
      const inner: Open = { handle: outer.handle, pending: [] }
      opened.set(savepoint, inner)
      const result = await fn(savepoint)
      outer.pending.push(...inner.pending)
      return result
    })
  }
  const retries = opts.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    const state: Open = { handle: db, pending: [] }
    let result: T
    try {
      result = await db.transaction((tx) => {
        opened.set(tx, state)
        return fn(tx)
      })
    } catch (e) {
      if (attempt >= retries || !isRetryableConflict(e)) throw e
      await backoff(attempt + 1)
      continue
    }
    for (const work of state.pending) await work()
    return result
  }
}

/**
 * Runs `work` once the transaction `db` commits (at once when `db` is the plain handle, whose
 * statements commit as they run); nothing runs when it rolls back. `db` must be the plain handle
 * or a transaction opened by `transaction()`.
 * @example await afterCommit(tx, () => cache.clear())
 */
export async function afterCommit(db: Db | Tx, work: AfterCommit): Promise<void> {
  if (db instanceof PgTransaction) openState(db as Tx).pending.push(work)
  else await work()
}

/** The plain handle a transaction opened by `transaction()` runs on. */
export function handleOf(tx: Tx): Db {
  return openState(tx).handle
}

import { PgTransaction } from 'drizzle-orm/pg-core'
import type { Db, Tx } from './client'
import { isRetryableConflict } from './errors'

export interface TransactionOptions {
  /** How many times to re-run the transaction after a serialization failure or deadlock (default 3). */
  retries?: number
}

/** Random wait before attempt `n` (1, 2, …): up to 10, 20, 40… ms, so the losers do not collide again. */
const backoff = (n: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** (n - 1)))

/**
 * Runs `fn` in a transaction and runs the whole transaction again (up to `retries` times, after a
 * short random wait) when PostgreSQL aborts it with a serialization failure (40001) or a deadlock
 * (40P01). The last such error is thrown as is (the error handler answers it with 503).
 *
 * `fn` may run more than once: it must only touch the database through `tx`, and do anything else
 * (files, mail, cache invalidation) after this returns. Given a transaction (`tx`), it opens a
 * savepoint and does not retry: a deadlock aborts the outer transaction, which its own caller retries.
 * @example
 * const row = await transaction(ctx.db, async (tx) => {
 *   await lockUser(tx, userUuid)
 *   return (await tx.insert(notes).values({ user_uuid: userUuid, text }).returning())[0]
 * })
 */
export async function transaction<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  if (db instanceof PgTransaction) return db.transaction(fn as (tx: PgTransaction<any, any, any>) => Promise<T>)
  const retries = opts.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(fn)
    } catch (e) {
      if (attempt >= retries || !isRetryableConflict(e)) throw e
      await backoff(attempt + 1)
    }
  }
}

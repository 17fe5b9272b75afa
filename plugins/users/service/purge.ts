import { and, isNotNull, lt, sql } from 'drizzle-orm'
import type { Db, Tx } from 'hatchery'
import { userApiKeys, userSessions } from '../tables'

/** Deletes sessions idle longer than the session duration (they no longer authenticate). */
export async function purgeIdleSessions(db: Db | Tx, durationSeconds: number): Promise<number> {
  const gone = await db
    .delete(userSessions)
    .where(lt(userSessions.last_used, sql`now() - make_interval(secs => ${durationSeconds})`))
    .returning({ uuid: userSessions.uuid })
  return gone.length
}

/** Deletes API keys past their expiry (they are already refused and hidden). */
export async function purgeExpiredApiKeys(db: Db | Tx): Promise<number> {
  const gone = await db
    .delete(userApiKeys)
    .where(and(isNotNull(userApiKeys.expires), lt(userApiKeys.expires, sql`now()`)))
    .returning({ uuid: userApiKeys.uuid })
  return gone.length
}

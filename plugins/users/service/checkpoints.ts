import { and, eq, gt, lt, sql } from 'drizzle-orm'
import type { Db, Secrets, Tx } from 'hatchery'
import { userLoginCheckpoints } from '../tables'
import { randomAlnum } from 'hatchery'

/** A two-factor checkpoint token lives this long… */
export const CHECKPOINT_SECONDS = 300
/** …and survives this many wrong codes. */
export const CHECKPOINT_ATTEMPTS = 5

/** Issues a single-use token standing for "password checked, code pending". */
export async function createCheckpoint(db: Db | Tx, secrets: Secrets, userUuid: string): Promise<string> {
  const token = randomAlnum(64)
  await db.insert(userLoginCheckpoints).values({
    token_hash: secrets.hmac(token),
    user_uuid: userUuid,
    expires: new Date(Date.now() + CHECKPOINT_SECONDS * 1000),
  })
  return token
}

/** The user a live token stands for, or null. */
export async function findCheckpoint(db: Db | Tx, secrets: Secrets, token: string): Promise<{ user_uuid: string } | null> {
  const [row] = await db
    .select({ user_uuid: userLoginCheckpoints.user_uuid })
    .from(userLoginCheckpoints)
    .where(
      and(
        eq(userLoginCheckpoints.token_hash, secrets.hmac(token)),
        gt(userLoginCheckpoints.expires, sql`now()`),
        lt(userLoginCheckpoints.attempts, CHECKPOINT_ATTEMPTS),
      ),
    )
    .limit(1)
  return row ?? null
}

/** Uses the token up; false when someone else already did. */
export async function consumeCheckpoint(db: Db | Tx, secrets: Secrets, token: string): Promise<boolean> {
  const gone = await db
    .delete(userLoginCheckpoints)
    .where(eq(userLoginCheckpoints.token_hash, secrets.hmac(token)))
    .returning({ u: userLoginCheckpoints.user_uuid })
  return gone.length > 0
}

/** Counts a wrong code against the token. */
export async function failCheckpoint(db: Db | Tx, secrets: Secrets, token: string): Promise<void> {
  await db
    .update(userLoginCheckpoints)
    .set({ attempts: sql`${userLoginCheckpoints.attempts} + 1` })
    .where(eq(userLoginCheckpoints.token_hash, secrets.hmac(token)))
}

/** Removes expired tokens (a job). */
export async function purgeCheckpoints(db: Db | Tx): Promise<void> {
  await db.delete(userLoginCheckpoints).where(lt(userLoginCheckpoints.expires, sql`now()`))
}

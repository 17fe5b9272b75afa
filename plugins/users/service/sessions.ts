import { and, desc, eq, gt, ne, sql } from 'drizzle-orm'
import {
  NotFound,
  anonymousActor,
  paginate,
  type ActivityLogs,
  type Actor,
  type Db,
  type PageParams,
  type Principal,
  type Tx,
} from 'hatchery'
import type { Credentials } from './credentials'
import { userSessions } from '../tables'
import { userTransaction } from './users'

/** The session authenticating this request, when it belongs to the user acted on (not when an admin impersonates). */
export function currentSession(principal: Principal): string | null {
  return principal.impersonator === null ? principal.sessionUuid : null
}

/** A user's sessions used within the last `durationSeconds`, newest first; `search` matches the user agent; `current` is marked `is_using`. */
export function listSessions(db: Db | Tx, userUuid: string, current: string | null, durationSeconds: number, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({
            uuid: userSessions.uuid,
            ip: sql<string>`host(${userSessions.ip})`,
            user_agent: userSessions.user_agent,
            last_used: userSessions.last_used,
            created: userSessions.created,
            ...total,
          })
          .from(userSessions),
      where: and(eq(userSessions.user_uuid, userUuid), gt(userSessions.last_used, sql`now() - make_interval(secs => ${durationSeconds})`)),
      search: [userSessions.user_agent],
      orderBy: [desc(userSessions.created), desc(userSessions.uuid)],
      map: (r) => ({
        uuid: r.uuid,
        ip: r.ip,
        user_agent: r.user_agent,
        is_using: r.uuid === current,
        last_used: r.last_used,
        created: r.created,
      }),
    },
    page,
  )
}

/** Ends every session of the actor's user but `current` (all of them when null); returns how many ended. */
export async function endOtherSessions(db: Db, log: ActivityLogs, actor: Actor, current: string | null): Promise<number> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    const gone = await tx
      .delete(userSessions)
      .where(and(eq(userSessions.user_uuid, actor.userUuid), current ? ne(userSessions.uuid, current) : undefined))
      .returning({ uuid: userSessions.uuid })
    await log.user(tx, actor, 'session:delete-all', { deleted: gone.length })
    return gone.length
  })
}

/** Ends one session of the actor's user (the current one too), or 404. */
export async function endSession(db: Db, log: ActivityLogs, actor: Actor, uuid: string): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    const [gone] = await tx
      .delete(userSessions)
      .where(and(eq(userSessions.uuid, uuid), eq(userSessions.user_uuid, actor.userUuid)))
      .returning({ uuid: userSessions.uuid, user_agent: userSessions.user_agent, ip: sql<string>`text(${userSessions.ip})` })
    if (!gone) throw new NotFound('session not found')
    await log.user(tx, actor, 'session:delete', gone)
  })
}

/** Who logged in, from where, and how (`auth:success` records `{ using, …extra, user_agent }`). */
export interface SessionLogin {
  userUuid: string
  ip: string
  userAgent: string
  using: string
  extra?: Record<string, unknown>
}

/**
 * Ends a login that succeeded inside the caller's transaction: a new session and its `auth:success`
 * entry. For flows that create the user in the same transaction (OAuth registration); otherwise use
 * `openSession`. Returns the cookie value; the caller sets the cookie.
 */
export async function startSession(tx: Tx, credentials: Credentials, log: ActivityLogs, login: SessionLogin): Promise<string> {
  const session = await credentials.createSession(tx, login.userUuid, login.ip, login.userAgent)
  await log.user(tx, anonymousActor(login.userUuid, login.ip), 'auth:success', {
    using: login.using,
    ...login.extra,
    user_agent: login.userAgent,
  })
  return session.cookie
}

/**
 * Ends a login that succeeded: `startSession` in one user transaction, after `before` (e.g.
 * spending a passkey's counter, applying OAuth mappings) in the same one. Returns the cookie value.
 */
export function openSession(
  db: Db,
  credentials: Credentials,
  log: ActivityLogs,
  login: SessionLogin,
  before?: (tx: Tx) => Promise<void>,
): Promise<string> {
  return userTransaction(db, login.userUuid, async (tx) => {
    await before?.(tx)
    return startSession(tx, credentials, log, login)
  })
}

import { and, count, desc, eq, getTableColumns, ilike, inArray, or, type SQL } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { escapeLike, requestMeta, toCountedPage, type Db, type PageParams, type Principal, type SettingsSnapshot, type Tx } from 'hatchery'
import { ALL_ADMIN_ACTIVITY, adminActivities, adminActivityCounts, userActivities, userActivityCounts, users } from '../tables'
import { toShortUser, type UserRow } from './users'

/** Who did something, from where: recorded with every activity entry. */
export interface Actor {
  userUuid: string
  impersonatorUuid: string | null
  apiKeyUuid: string | null
  ip: string | null
}

/** The actor of an authenticated request. */
export function actorOf(principal: Principal, request: Request): Actor {
  return {
    userUuid: principal.user.uuid,
    impersonatorUuid: principal.impersonator?.uuid ?? null,
    apiKeyUuid: principal.apiKey?.uuid ?? null,
    ip: requestMeta(request).ip,
  }
}

/** An actor for requests without a principal (login, password reset) and CLI commands. */
export function anonymousActor(userUuid: string, ip: string | null): Actor {
  return { userUuid, impersonatorUuid: null, apiKeyUuid: null, ip }
}

async function record(table: typeof userActivities | typeof adminActivities, db: Db | Tx, actor: Actor, event: string, data: Record<string, unknown>) {
  await db.insert(table).values({
    user_uuid: actor.userUuid,
    impersonator_uuid: actor.impersonatorUuid,
    api_key_uuid: actor.apiKeyUuid,
    event,
    ip: actor.ip,
    data,
  })
}

/** Records a user activity (`account:update`, `auth:success`, …). Throws on failure: use inside the change's transaction. */
export function logUserActivity(db: Db | Tx, actor: Actor, event: string, data: Record<string, unknown> = {}): Promise<void> {
  return record(userActivities, db, actor, event, data)
}

/** Records an admin activity (`user:create`, `role:update`, …). Throws on failure: use inside the change's transaction. */
export function logAdminActivity(db: Db | Tx, actor: Actor, event: string, data: Record<string, unknown> = {}): Promise<void> {
  return record(adminActivities, db, actor, event, data)
}

async function shortUsers(db: Db | Tx, uuids: (string | null)[], settings: SettingsSnapshot) {
  const wanted = [...new Set(uuids.filter((u): u is string => u !== null))]
  const rows: UserRow[] = wanted.length ? await db.select().from(users).where(inArray(users.uuid, wanted)) : []
  return new Map(rows.map((u) => [u.uuid, toShortUser(u, settings)]))
}

/**
 * A user's activity, newest first; `search` matches the event name. The page walks the index
 * (user_uuid, created, id) backwards. The log grows without bound, so the total of the plain list
 * is read from `user_activity_counts` (kept exact by triggers), one row however long the log is;
 * with a search it is counted over the user's rows.
 */
export async function listUserActivity(db: Db | Tx, userUuid: string, page: PageParams, settings: SettingsSnapshot) {
  const where = and(eq(userActivities.user_uuid, userUuid), page.search ? ilike(userActivities.event, `%${escapeLike(page.search)}%`) : undefined)
  const rows = await db
    .select()
    .from(userActivities)
    .where(where)
    .orderBy(desc(userActivities.created), desc(userActivities.id))
    .limit(page.perPage)
    .offset(page.offset)
  const people = await shortUsers(db, rows.map((r) => r.impersonator_uuid), settings)
  const total = async () => {
    if (page.search) return db.$count(userActivities, where)
    const [row] = await db.select({ n: userActivityCounts.count }).from(userActivityCounts).where(eq(userActivityCounts.user_uuid, userUuid))
    return row?.n ?? 0
  }
  return toCountedPage(page, rows, total, (r) => toActivity(r, people))
}

type ActivityRow = typeof userActivities.$inferSelect | typeof adminActivities.$inferSelect

/** The wire shape shared by user and admin activity (`ApiUserActivity`). */
function toActivity(r: ActivityRow, people: Map<string, ReturnType<typeof toShortUser>>) {
  return {
    impersonator: r.impersonator_uuid ? people.get(r.impersonator_uuid) ?? null : null,
    event: r.event,
    ip: r.ip,
    data: r.data,
    is_api: r.api_key_uuid !== null,
    created: r.created,
  }
}

/**
 * The admin activity log, newest first; `search` matches the event or the acting username. Paged
 * like `listUserActivity`, over (created, id) or, for one user, (user_uuid, created, id); the total
 * of a list without search is one row of `admin_activity_counts`.
 */
export async function listAdminActivity(db: Db | Tx, page: PageParams, settings: SettingsSnapshot, filter: { user?: string } = {}) {
  const actor = alias(users, 'actor')
  const conditions: (SQL | undefined)[] = [filter.user ? eq(adminActivities.user_uuid, filter.user) : undefined]
  if (page.search) {
    const pattern = `%${escapeLike(page.search)}%`
    conditions.push(or(ilike(adminActivities.event, pattern), ilike(actor.username, pattern)))
  }
  const where = and(...conditions)
  // Without a search PostgreSQL removes this join (nothing of `actor` is read, its uuid is unique).
  const from = <S extends Parameters<typeof db.select>[0]>(columns: S) => db.select(columns).from(adminActivities).leftJoin(actor, eq(actor.uuid, adminActivities.user_uuid))
  const rows = await from(getTableColumns(adminActivities))
    .where(where)
    .orderBy(desc(adminActivities.created), desc(adminActivities.id))
    .limit(page.perPage)
    .offset(page.offset)
  const people = await shortUsers(db, rows.flatMap((r) => [r.user_uuid, r.impersonator_uuid]), settings)
  const total = async () => {
    if (page.search) return (await from({ n: count() }).where(where))[0].n
    const [row] = await db.select({ n: adminActivityCounts.count }).from(adminActivityCounts).where(eq(adminActivityCounts.subject, filter.user ?? ALL_ADMIN_ACTIVITY))
    return row?.n ?? 0
  }
  return toCountedPage(page, rows, total, (r) => ({ user: r.user_uuid ? people.get(r.user_uuid) ?? null : null, ...toActivity(r, people) }))
}

import { desc, eq, getTableColumns, inArray } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import {
  paginate,
  type ActivityEntry,
  type ActivityWriter,
  type Db,
  type PageParams,
  type PluginContext,
  type SettingsSnapshot,
  type Tx,
} from 'hatchery'
import { ALL_ADMIN_ACTIVITY, adminActivities, adminActivityCounts, userActivities, userActivityCounts, users } from '../tables'
import { toShortUser, type UserRow } from './users'

const columnsOf = ({ actor, event, data }: ActivityEntry) => ({
  impersonator_uuid: actor.impersonatorUuid,
  api_key_uuid: actor.apiKeyUuid,
  event,
  ip: actor.ip,
  data,
})

/** Writes `user` entries: one user's own log (the actor is that user; an entry without one is a bug). */
const writeUserActivity: ActivityWriter = async (db, entry) => {
  const user = entry.actor.userUuid
  if (user === null) throw new Error(`user activity ${entry.event} without a user`)
  await db.insert(userActivities).values({ ...columnsOf(entry), user_uuid: user })
}

/** Writes `admin` entries (a null user: the CLI). */
const writeAdminActivity: ActivityWriter = async (db, entry) => {
  await db.insert(adminActivities).values({ ...columnsOf(entry), user_uuid: entry.actor.userUuid })
}

/** Fills the kernel's `user` and `admin` activity logs with the writers of this plugin's tables. */
export function provideActivityLogs(ctx: PluginContext): void {
  ctx.kernel.provideActivityLog('user', writeUserActivity, ctx.plugin)
  ctx.kernel.provideActivityLog('admin', writeAdminActivity, ctx.plugin)
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
export function listUserActivity(db: Db | Tx, userUuid: string, page: PageParams, settings: SettingsSnapshot) {
  const counter = async () => {
    const [row] = await db
      .select({ n: userActivityCounts.count })
      .from(userActivityCounts)
      .where(eq(userActivityCounts.user_uuid, userUuid))
    return row?.n ?? 0
  }
  return paginate(
    db,
    {
      from: userActivities,
      where: eq(userActivities.user_uuid, userUuid),
      search: [userActivities.event],
      orderBy: [desc(userActivities.created), desc(userActivities.id)],
      count: (matching) => (page.search ? matching() : counter()),
      load: (rows) =>
        shortUsers(
          db,
          rows.map((r) => r.impersonator_uuid),
          settings,
        ),
      map: toActivity,
    },
    page,
  )
}

type ActivityRow = typeof userActivities.$inferSelect | typeof adminActivities.$inferSelect

/** The wire shape shared by user and admin activity (`ApiUserActivity`). */
function toActivity(r: ActivityRow, people: Map<string, ReturnType<typeof toShortUser>>) {
  return {
    impersonator: r.impersonator_uuid ? (people.get(r.impersonator_uuid) ?? null) : null,
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
export function listAdminActivity(db: Db | Tx, page: PageParams, settings: SettingsSnapshot, filter: { user?: string } = {}) {
  const actor = alias(users, 'actor')
  const counter = async () => {
    const [row] = await db
      .select({ n: adminActivityCounts.count })
      .from(adminActivityCounts)
      .where(eq(adminActivityCounts.subject, filter.user ?? ALL_ADMIN_ACTIVITY))
    return row?.n ?? 0
  }
  return paginate(
    db,
    {
      // Without a search PostgreSQL removes this join (nothing of `actor` is read, its uuid is unique).
      from: (total) =>
        db
          .select({ ...getTableColumns(adminActivities), ...total })
          .from(adminActivities)
          .leftJoin(actor, eq(actor.uuid, adminActivities.user_uuid)),
      where: filter.user ? eq(adminActivities.user_uuid, filter.user) : undefined,
      search: [adminActivities.event, actor.username],
      orderBy: [desc(adminActivities.created), desc(adminActivities.id)],
      count: (matching) => (page.search ? matching() : counter()),
      load: (rows) =>
        shortUsers(
          db,
          rows.flatMap((r) => [r.user_uuid, r.impersonator_uuid]),
          settings,
        ),
      map: (r, people) => ({ user: r.user_uuid ? (people.get(r.user_uuid) ?? null) : null, ...toActivity(r, people) }),
    },
    page,
  )
}

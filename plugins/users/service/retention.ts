import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { transaction, type Db, type SettingsSnapshot } from 'hatchery'
import { adminActivities, adminActivityCounts, ALL_ADMIN_ACTIVITY, userActivities, userActivityCounts } from '../tables'

/** Rows removed per statement: each batch is its own short transaction, so no lock is held for long. */
export const RETENTION_BATCH = 1000

/**
 * An activity log table: a serial `id` and a `created` time, listed newest first by (created, id).
 * The user and admin logs here; other plugins' logs (the servers plugin's) reuse the helpers below.
 */
export type ActivityTable = PgTable & { id: PgColumn<any>; created: PgColumn<any> }

/**
 * Deletes the rows of `table` matching `where`, oldest first, `batch` rows per statement by
 * primary key, committing after each. The count tables follow through their statement triggers
 * (migration 0002) in the same transaction as each batch.
 * @returns how many rows went
 */
export async function deleteInBatches(db: Db, table: ActivityTable, where: SQL, batch = RETENTION_BATCH): Promise<number> {
  let total = 0
  for (;;) {
    const gone = await transaction(db, (tx) =>
      tx
        .delete(table)
        .where(
          inArray(table.id, tx.select({ id: table.id }).from(table).where(where).orderBy(asc(table.created), asc(table.id)).limit(batch)),
        )
        .returning({ id: table.id }),
    )
    total += gone.length
    if (gone.length < batch) return total
  }
}

/**
 * Rows strictly older than the row `row.id`, in the list order (created, then id). The row's own
 * `created` is compared in the database: read back into a JS Date it would lose its microseconds,
 * and rows within the same millisecond would be judged wrongly.
 */
export const olderThan = (table: ActivityTable, row: { id: number }) =>
  sql`(${table.created}, ${table.id}) < (select k.${sql.identifier(table.created.name)}, k.${sql.identifier(table.id.name)} from ${table} k where k.${sql.identifier(table.id.name)} = ${row.id})`

/** The `keep`-th newest row (of one user's log when `where` says so); the rows before it go. */
export async function oldestKept(db: Db, table: ActivityTable, keep: number, where?: SQL) {
  const [row] = await db
    .select({ created: table.created, id: table.id })
    .from(table)
    .where(where)
    .orderBy(desc(table.created), desc(table.id))
    .offset(keep - 1)
    .limit(1)
  return row
}

export interface RetentionResult {
  user: number
  admin: number
}

/**
 * Enforces `activity.{admin,user}_log_retention_{days,count}`: entries older than the days go, and
 * past the count only the newest stay (the whole admin log; each user's own log). Users over the
 * count are found through `user_activity_counts`, so a run costs little when nothing is due.
 */
export async function enforceActivityRetention(db: Db, settings: SettingsSnapshot, batch = RETENTION_BATCH): Promise<RetentionResult> {
  const days = (key: 'activity.user_log_retention_days' | 'activity.admin_log_retention_days') =>
    sql`now() - make_interval(days => ${settings.get(key)})`
  let user = await deleteInBatches(db, userActivities, lt(userActivities.created, days('activity.user_log_retention_days')), batch)
  let admin = await deleteInBatches(db, adminActivities, lt(adminActivities.created, days('activity.admin_log_retention_days')), batch)

  const userKeep = settings.get('activity.user_log_retention_count')
  if (userKeep !== null) {
    const over = await db
      .select({ user: userActivityCounts.user_uuid })
      .from(userActivityCounts)
      .where(gt(userActivityCounts.count, userKeep))
    for (const { user: uuid } of over) {
      const mine = eq(userActivities.user_uuid, uuid)
      const kept = await oldestKept(db, userActivities, userKeep, mine)
      if (kept) user += await deleteInBatches(db, userActivities, and(mine, olderThan(userActivities, kept))!, batch)
    }
  }

  const adminKeep = settings.get('activity.admin_log_retention_count')
  if (adminKeep !== null) {
    const [all] = await db
      .select({ count: adminActivityCounts.count })
      .from(adminActivityCounts)
      .where(eq(adminActivityCounts.subject, ALL_ADMIN_ACTIVITY))
    const kept = (all?.count ?? 0) > adminKeep ? await oldestKept(db, adminActivities, adminKeep) : undefined
    if (kept) admin += await deleteInBatches(db, adminActivities, olderThan(adminActivities, kept), batch)
  }
  return { user, admin }
}

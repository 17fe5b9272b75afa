import { expect } from 'bun:test'
import { and, asc, eq } from 'drizzle-orm'
import { tables } from '../../plugins/users'
import type { TestApp } from './app'

const { userActivities } = tables

/** A row of a user's activity log, as stored (`event`, `data`, `ip`, `api_key_uuid`, `impersonator_uuid`, `created`). */
export type ActivityRow = typeof userActivities.$inferSelect

/**
 * A user's activity log (what `ctx.activity.user(…)` wrote), oldest first; only the entries of
 * `event` when given. Read from the database, so entries of a rolled-back write are absent.
 * @example
 * const [entry] = await activitiesOf(t, user.uuid, 'note:create')
 * expect(entry.data).toEqual({ uuid: note.uuid })
 */
export async function activitiesOf(t: TestApp, userUuid: string, event?: string): Promise<ActivityRow[]> {
  const a = userActivities
  const where = event === undefined ? eq(a.user_uuid, userUuid) : and(eq(a.user_uuid, userUuid), eq(a.event, event))
  return t.kernel.database.db.select().from(a).where(where).orderBy(asc(a.id))
}

/**
 * The newest entry of `event` in a user's activity log; fails the test when there is none.
 * @example expect((await lastActivity(t, user.uuid, 'note:delete')).data).toEqual({ uuid })
 */
export async function lastActivity(t: TestApp, userUuid: string, event: string): Promise<ActivityRow> {
  const rows = await activitiesOf(t, userUuid, event)
  expect(rows.length).toBeGreaterThan(0)
  return rows[rows.length - 1]
}

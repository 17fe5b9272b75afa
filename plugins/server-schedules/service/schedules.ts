import { and, asc, count, eq, inArray, notInArray, sql } from 'drizzle-orm'
import { LimitExceeded, NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import { tables as serverTables, type ServerRow } from '../../servers'
import type { Action, Condition } from '../model'
import { serverScheduleSteps as steps, serverSchedules as schedules } from '../tables'

export type ScheduleRow = typeof schedules.$inferSelect
export type StepRow = typeof steps.$inferSelect

/** The wire `ServerSchedule` of a row. */
export const toSchedule = (row: ScheduleRow) => ({
  uuid: row.uuid,
  name: row.name,
  enabled: row.enabled,
  triggers: row.triggers as any[],
  condition: row.condition as any,
  last_run: row.last_run,
  last_failure: row.last_failure,
  created: row.created,
})

/** The wire `ServerScheduleStep` of a row. */
export const toStep = (row: StepRow) => ({
  uuid: row.uuid,
  action: row.action as any,
  order: row.order,
  error: row.error,
  created: row.created,
})

/** A server's schedules, oldest first; `search` matches the name. */
export function listSchedules(db: Db | Tx, serverUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: schedules,
      where: eq(schedules.server_uuid, serverUuid),
      search: [schedules.name],
      orderBy: [asc(schedules.created), asc(schedules.uuid)],
      map: toSchedule,
    },
    page,
  )
}

/** The `{schedule}` of a route: 400 `invalid schedule uuid`, 404 `schedule not found` (another server's too). */
export async function findSchedule(db: Db | Tx, serverUuid: string, segment: string, lock = false): Promise<ScheduleRow> {
  const uuid = parseUuid(segment, 'schedule')
  const query = db
    .select()
    .from(schedules)
    .where(and(eq(schedules.server_uuid, serverUuid), eq(schedules.uuid, uuid)))
  const [row] = lock ? await query.for('update') : await query
  if (!row) throw new NotFound('schedule not found')
  return row
}

/** The `{step}` of a schedule: 400 `invalid schedule step uuid`, 404 `schedule step not found`. */
export async function findStep(db: Db | Tx, scheduleUuid: string, segment: string): Promise<StepRow> {
  const uuid = parseUuid(segment, 'schedule step')
  const [row] = await db
    .select()
    .from(steps)
    .where(and(eq(steps.schedule_uuid, scheduleUuid), eq(steps.uuid, uuid)))
  if (!row) throw new NotFound('schedule step not found')
  return row
}

/** A schedule's steps in the order they run: (`order`, `created`). */
export function stepsOf(db: Db | Tx, scheduleUuid: string): Promise<StepRow[]> {
  return db.select().from(steps).where(eq(steps.schedule_uuid, scheduleUuid)).orderBy(asc(steps.order), asc(steps.created), asc(steps.uuid))
}

/** Holds the server row until the transaction ends (so two creations cannot both pass the limit), then 417 at `schedule_limit`. */
export async function reserveSchedule(tx: Tx, server: ServerRow): Promise<void> {
  const [locked] = await tx
    .select({ limit: serverTables.servers.schedule_limit })
    .from(serverTables.servers)
    .where(eq(serverTables.servers.uuid, server.uuid))
    .for('no key update')
  const [row] = await tx.select({ n: count() }).from(schedules).where(eq(schedules.server_uuid, server.uuid))
  if (Number(row.n) >= (locked?.limit ?? 0)) throw new LimitExceeded('maximum number of schedules reached')
}

/** Holds the schedule row until the transaction ends, then 417 once it has `max` steps. */
export async function reserveSteps(tx: Tx, scheduleUuid: string, max: number, adding = 1): Promise<void> {
  await tx.select({ uuid: schedules.uuid }).from(schedules).where(eq(schedules.uuid, scheduleUuid)).for('update')
  const [row] = await tx.select({ n: count() }).from(steps).where(eq(steps.schedule_uuid, scheduleUuid))
  if (Number(row.n) + adding > max) throw new LimitExceeded('maximum number of schedule steps reached')
}

export interface ScheduleInput {
  name: string
  enabled: boolean
  triggers: Record<string, unknown>[]
  condition: Condition
}

export async function insertSchedule(tx: Tx, serverUuid: string, input: ScheduleInput): Promise<ScheduleRow> {
  const [row] = await tx
    .insert(schedules)
    .values({ server_uuid: serverUuid, ...input })
    .returning()
  return row
}

export async function insertSteps(tx: Tx, scheduleUuid: string, list: { action: Action; order: number }[]): Promise<StepRow[]> {
  if (!list.length) return []
  return tx
    .insert(steps)
    .values(list.map((s) => ({ schedule_uuid: scheduleUuid, action: s.action, order: s.order })))
    .returning()
}

/**
 * The `schedules` of the server's configuration document (spec 04 §3.3): every enabled schedule
 * as `{uuid, triggers, condition, actions}`, each action `{uuid, type, …}` in run order.
 */
export async function documentSchedules(db: Db | Tx, server: ServerRow): Promise<unknown[]> {
  const enabled = await db
    .select()
    .from(schedules)
    .where(and(eq(schedules.server_uuid, server.uuid), eq(schedules.enabled, true)))
    .orderBy(asc(schedules.created), asc(schedules.uuid))
  if (!enabled.length) return []
  const rows = await db
    .select()
    .from(steps)
    .where(
      inArray(
        steps.schedule_uuid,
        enabled.map((s) => s.uuid),
      ),
    )
    .orderBy(asc(steps.order), asc(steps.created), asc(steps.uuid))
  return enabled.map((s) => ({
    uuid: s.uuid,
    triggers: s.triggers,
    condition: s.condition,
    actions: rows.filter((r) => r.schedule_uuid === s.uuid).map((r) => ({ uuid: r.uuid, ...r.action })),
  }))
}

export interface RunReport {
  uuid: string
  successful: boolean
  errors: Record<string, string>
  timestamp: string
}

/**
 * Records the runs a node reports (`POST /api/remote/schedule`): schedules of servers not on the
 * node are skipped; `last_run` (and `last_failure` for a failed run) take the node's timestamp;
 * the listed steps get their error, the schedule's other steps lose theirs.
 */
export async function recordRuns(tx: Tx, nodeUuid: string, reports: RunReport[]): Promise<number> {
  let recorded = 0
  for (const report of reports) {
    const [own] = await tx
      .select({ uuid: schedules.uuid })
      .from(schedules)
      .innerJoin(serverTables.servers, eq(serverTables.servers.uuid, schedules.server_uuid))
      .where(and(eq(schedules.uuid, report.uuid.toLowerCase()), eq(serverTables.servers.node_uuid, nodeUuid)))
    if (!own) continue
    const at = new Date(report.timestamp)
    await tx
      .update(schedules)
      .set(report.successful ? { last_run: at } : { last_run: at, last_failure: at })
      .where(eq(schedules.uuid, own.uuid))
    const failed = Object.entries(report.errors)
      .map(([step, error]) => [step.toLowerCase(), error] as const)
      .filter(([step]) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(step))
    await tx
      .update(steps)
      .set({ error: null })
      .where(
        and(
          eq(steps.schedule_uuid, own.uuid),
          failed.length
            ? notInArray(
                steps.uuid,
                failed.map(([s]) => s),
              )
            : undefined,
        ),
      )
    for (const [step, error] of failed) {
      await tx
        .update(steps)
        .set({ error })
        .where(and(eq(steps.uuid, step), eq(steps.schedule_uuid, own.uuid)))
    }
    recorded++
  }
  return recorded
}

/** Gives each listed step of the schedule its 1-based position as `order`; unlisted steps keep theirs. */
export async function reorderSteps(tx: Tx, scheduleUuid: string, order: string[]): Promise<void> {
  const listed = [...new Set(order.map((u) => u.toLowerCase()))]
  if (!listed.length) return
  const position = sql.join(
    order.map((u, i) => sql`when ${u.toLowerCase()}::uuid then ${i + 1}`),
    sql` `,
  )
  await tx
    .update(steps)
    .set({ order: sql`(case ${steps.uuid} ${position} end)::smallint` })
    .where(and(eq(steps.schedule_uuid, scheduleUuid), inArray(steps.uuid, listed)))
}

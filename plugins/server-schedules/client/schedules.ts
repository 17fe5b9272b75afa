import { t } from 'elysia'
import { eq } from 'drizzle-orm'
import { Empty, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { Condition, Name, Schedule, Triggers } from '../model'
import { insertSchedule, listSchedules, reserveSchedule, toSchedule } from '../service/schedules'
import type { ScheduleSync } from '../service/sync'
import { normalizeCondition, normalizeTriggers } from '../service/validate'
import { serverSchedules } from '../tables'
import { logged, ScheduleParams, scheduleOf, TAG } from './common'

const LIMITS =
  "417 `maximum number of schedules reached` at the server's `schedule_limit`; 409 `schedule with name already exists`. Cron patterns are checked with croner (400 `triggers[i].schedule: invalid cron expression: …`); groups in `condition` nest at most 3 deep."

/**
 * `/api/client/servers/{server}/schedules` (spec 03 §4.2): list, create, get, change and delete.
 * Every change reaches the node in the background (its configuration document carries the
 * enabled schedules).
 */
export function clientScheduleRoutes(ctx: PluginContext, sync: ScheduleSync) {
  return ctx
    .scope('client:server')
    .get(
      '/schedules',
      async ({ resource: server, query }) => ({ schedules: await listSchedules(ctx.db, server.uuid, pageParams(query)) }),
      {
        permission: 'server:schedules.read',
        query: PaginationQuery,
        response: { 200: t.Object({ schedules: PageOf(Schedule) }) },
        detail: { ...TAG, summary: "The server's schedules", description: 'Oldest first; `search` matches the name.' },
      },
    )
    .post(
      '/schedules',
      async (caller) => {
        const { body, resource: server } = caller
        const input = {
          name: body.name,
          enabled: body.enabled,
          triggers: normalizeTriggers(body.triggers),
          condition: normalizeCondition(body.condition),
        }
        const row = await transaction(ctx.db, async (tx) => {
          await reserveSchedule(tx, server)
          const row = await insertSchedule(tx, server.uuid, input)
          await logged(ctx, tx, caller, 'server:schedule.create', { uuid: row.uuid, ...input })
          return row
        })
        sync.later(server.uuid)
        return { schedule: toSchedule(row) }
      },
      {
        permission: 'server:schedules.create',
        body: t.Object({ name: Name, enabled: t.Boolean(), triggers: Triggers, condition: Condition }),
        response: { 200: t.Object({ schedule: Schedule }) },
        detail: {
          ...TAG,
          summary: 'Create a schedule',
          description: `${LIMITS} Unlike the reference, the new schedule is pushed to the node at once.`,
        },
      },
    )
    .get('/schedules/:schedule', async (caller) => ({ schedule: toSchedule(await scheduleOf(ctx.db, caller, caller.params.schedule)) }), {
      permission: 'server:schedules.read',
      params: ScheduleParams,
      response: { 200: t.Object({ schedule: Schedule }) },
      detail: { ...TAG, summary: 'A schedule', description: '400 `invalid schedule uuid`; 404 `schedule not found`.' },
    })
    .patch(
      '/schedules/:schedule',
      async (caller) => {
        const { body, resource: server } = caller
        const changes = {
          ...(body.name !== undefined && { name: body.name }),
          ...(body.enabled !== undefined && { enabled: body.enabled }),
          ...(body.triggers !== undefined && { triggers: normalizeTriggers(body.triggers) }),
          ...(body.condition !== undefined && { condition: normalizeCondition(body.condition) }),
        }
        await transaction(ctx.db, async (tx) => {
          const current = await scheduleOf(tx, caller, caller.params.schedule, true)
          const [row] = Object.keys(changes).length
            ? await tx.update(serverSchedules).set(changes).where(eq(serverSchedules.uuid, current.uuid)).returning()
            : [current]
          const { uuid, name, enabled, triggers, condition } = row
          await logged(ctx, tx, caller, 'server:schedule.update', { uuid, name, enabled, triggers, condition })
        })
        sync.later(server.uuid)
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: ScheduleParams,
        body: t.Object({
          name: t.Optional(Name),
          enabled: t.Optional(t.Boolean()),
          triggers: t.Optional(Triggers),
          condition: t.Optional(Condition),
        }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Change a schedule',
          description: `Absent fields are kept. 400 \`invalid schedule uuid\`; 404 \`schedule not found\`; 409 \`schedule with name already exists\` (the reference answers 500). ${LIMITS.split('; ').slice(1).join('; ')}`,
        },
      },
    )
    .delete(
      '/schedules/:schedule',
      async (caller) => {
        await transaction(ctx.db, async (tx) => {
          const row = await scheduleOf(tx, caller, caller.params.schedule, true)
          await tx.delete(serverSchedules).where(eq(serverSchedules.uuid, row.uuid))
          await logged(ctx, tx, caller, 'server:schedule.delete', { uuid: row.uuid, name: row.name })
        })
        sync.later(caller.resource.uuid)
        return {}
      },
      {
        permission: 'server:schedules.delete',
        params: ScheduleParams,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a schedule and its steps',
          description: '400 `invalid schedule uuid`; 404 `schedule not found`.',
        },
      },
    )
}

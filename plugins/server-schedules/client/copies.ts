import { t } from 'elysia'
import { transaction, type PluginContext } from 'hatchery'
import { ExportedSchedule, Name, Schedule } from '../model'
import { insertSchedule, insertSteps, reserveSchedule, stepsOf, toSchedule } from '../service/schedules'
import type { ScheduleSync } from '../service/sync'
import { normalizeAction, normalizeCondition, normalizeTriggers } from '../service/validate'
import { logged, mayRun, ScheduleParams, scheduleOf, TAG } from './common'

const LIMITS = "417 `maximum number of schedules reached` at the server's `schedule_limit`; 409 `schedule with name already exists`."

/**
 * Copies of schedules (spec 03 §4.2): `GET …/schedules/{schedule}/export` (the bare exported
 * format), `POST …/schedules/import` and `POST …/schedules/{schedule}/duplicate`, each written in
 * one transaction with its steps.
 */
export function clientScheduleCopyRoutes(ctx: PluginContext, sync: ScheduleSync) {
  return ctx
    .scope('client:server')
    .post(
      '/schedules/import',
      async (caller) => {
        const { body, resource: server } = caller
        const max = await ctx.settings.get('server.max_schedule_step_count')
        const input = {
          name: body.name,
          enabled: body.enabled,
          triggers: normalizeTriggers(body.triggers),
          condition: normalizeCondition(body.condition),
        }
        const steps = body.steps.slice(0, max).map((step, i) => {
          const action = normalizeAction(step.action, `steps[${i}].action`)
          mayRun(caller, action, (p) => `unable to import schedule step #${i + 1} that requires permission: ${p}`)
          return { action, order: step.order }
        })
        const row = await transaction(ctx.db, async (tx) => {
          await reserveSchedule(tx, server)
          const row = await insertSchedule(tx, server.uuid, input)
          await insertSteps(tx, row.uuid, steps)
          await logged(ctx, tx, caller, 'server:schedule.import', { uuid: row.uuid, ...input, steps })
          return row
        })
        sync.later(server.uuid)
        return { schedule: toSchedule(row) }
      },
      {
        permission: 'server:schedules.create',
        body: ExportedSchedule,
        response: { 200: t.Object({ schedule: Schedule }) },
        detail: {
          ...TAG,
          summary: 'Import an exported schedule',
          description: `Only the first \`server.max_schedule_step_count\` steps are kept. A step doing what you may not do is 403 \`unable to import schedule step #<n> that requires permission: <p>\` and nothing is imported. ${LIMITS}`,
        },
      },
    )
    .get(
      '/schedules/:schedule/export',
      async (caller) => {
        const row = await scheduleOf(ctx.db, caller, caller.params.schedule)
        const steps = await stepsOf(ctx.db, row.uuid)
        return {
          name: row.name,
          enabled: row.enabled,
          triggers: row.triggers as any[],
          condition: row.condition as any,
          steps: steps.map((s) => ({ action: s.action as any, order: s.order })),
        }
      },
      {
        permission: 'server:schedules.read',
        params: ScheduleParams,
        response: { 200: ExportedSchedule },
        detail: {
          ...TAG,
          summary: 'Export a schedule',
          description: 'The bare exported format (no wrapper key), steps in run order; what `import` takes.',
        },
      },
    )
    .post(
      '/schedules/:schedule/duplicate',
      async (caller) => {
        const { body, resource: server } = caller
        const row = await transaction(ctx.db, async (tx) => {
          const source = await scheduleOf(tx, caller, caller.params.schedule)
          await reserveSchedule(tx, server)
          const { enabled, triggers, condition } = source
          const row = await insertSchedule(tx, server.uuid, {
            name: body.name,
            enabled,
            triggers: triggers as any[],
            condition: condition as any,
          })
          const steps = await stepsOf(tx, source.uuid)
          await insertSteps(
            tx,
            row.uuid,
            steps.map((s) => ({ action: s.action as any, order: s.order })),
          )
          await logged(ctx, tx, caller, 'server:schedule.duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: row.uuid,
            name: row.name,
            enabled,
            triggers,
            condition,
          })
          return row
        })
        sync.later(server.uuid)
        return { schedule: toSchedule(row) }
      },
      {
        permission: 'server:schedules.create',
        params: ScheduleParams,
        body: t.Object({ name: Name }),
        response: { 200: t.Object({ schedule: Schedule }) },
        detail: {
          ...TAG,
          summary: 'Duplicate a schedule with its steps',
          description: `The copy has the given name and the source's enabled flag, triggers, condition and steps. 400 \`invalid schedule uuid\`; 404 \`schedule not found\`; ${LIMITS}`,
        },
      },
    )
}

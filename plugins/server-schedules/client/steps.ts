import { t } from 'elysia'
import { eq } from 'drizzle-orm'
import { Empty, PaginationQueryNoSearch, transaction, type PluginContext } from 'hatchery'
import { Action, Order, Step, type Action as ActionValue } from '../model'
import { findStep, insertSteps, reorderSteps, reserveSteps, stepsOf, toStep, type StepRow } from '../service/schedules'
import type { ScheduleSync } from '../service/sync'
import { normalizeAction } from '../service/validate'
import { serverScheduleSteps } from '../tables'
import { logged, mayRun, ScheduleParams, scheduleOf, StepParams, TAG } from './common'

const MAX = '417 `maximum number of schedule steps reached` at the setting `server.max_schedule_step_count`.'
/** The data of a step's activity entries (spec 03 §4.3). */
const stepEvent = (step: StepRow) => ({ uuid: step.uuid, schedule_uuid: step.schedule_uuid, action: step.action, order: step.order })

const GATE = '400 `invalid schedule uuid`; 404 `schedule not found`'

/**
 * `/api/client/servers/{server}/schedules/{schedule}/steps` (spec 03 §4.3): list, create, order,
 * change, delete and duplicate. A step doing something (a command, a power action, a backup, a
 * file change…) needs the editor to hold that permission too. Changes reach the node in the background.
 */
export function clientScheduleStepRoutes(ctx: PluginContext, sync: ScheduleSync) {
  const maxSteps = () => ctx.settings.get('server.max_schedule_step_count')
  return ctx
    .scope('client:server')
    .get(
      '/schedules/:schedule/steps',
      async (caller) => {
        const schedule = await scheduleOf(ctx.db, caller, caller.params.schedule)
        return { schedule_steps: (await stepsOf(ctx.db, schedule.uuid)).map(toStep) }
      },
      {
        permission: 'server:schedules.read',
        params: ScheduleParams,
        query: PaginationQueryNoSearch,
        response: { 200: t.Object({ schedule_steps: t.Array(Step) }) },
        detail: {
          ...TAG,
          summary: "A schedule's steps",
          description: `Every step in run order (\`order\`, then creation); \`page\`/\`per_page\` are checked but, as in the reference, ignored. ${GATE}.`,
        },
      },
    )
    .post(
      '/schedules/:schedule/steps',
      async (caller) => {
        const action = normalizeAction(caller.body.action)
        mayRun(caller, action, (p) => `unable to create schedule step that requires permission: ${p}`)
        const max = await maxSteps()
        const step = await transaction(ctx.db, async (tx) => {
          const schedule = await scheduleOf(tx, caller, caller.params.schedule)
          await reserveSteps(tx, schedule.uuid, max)
          const [step] = await insertSteps(tx, schedule.uuid, [{ action, order: caller.body.order }])
          await logged(ctx, tx, caller, 'server:schedule.step.create', stepEvent(step))
          return step
        })
        sync.later(caller.resource.uuid)
        return { schedule_step: toStep(step) }
      },
      {
        permission: 'server:schedules.update',
        params: ScheduleParams,
        body: t.Object({ action: Action, order: Order }),
        response: { 200: t.Object({ schedule_step: Step }) },
        detail: {
          ...TAG,
          summary: 'Add a step',
          description: `403 \`unable to create schedule step that requires permission: <p>\` when the step does what you may not do; ${GATE}; ${MAX}`,
        },
      },
    )
    .put(
      '/schedules/:schedule/steps/order',
      async (caller) => {
        const order = caller.body.schedule_step_order
        await transaction(ctx.db, async (tx) => {
          const schedule = await scheduleOf(tx, caller, caller.params.schedule, true)
          await reorderSteps(tx, schedule.uuid, order)
          await logged(ctx, tx, caller, 'server:schedule.step.update-order', { schedule_uuid: schedule.uuid, schedule_step_order: order })
        })
        sync.later(caller.resource.uuid)
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: ScheduleParams,
        body: t.Object({ schedule_step_order: t.Array(t.String({ format: 'uuid' }), { maxItems: 1024 }) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Order the steps',
          description: `Each listed step of this schedule gets its 1-based position as \`order\`; unlisted steps and uuids of other schedules are left alone. ${GATE}.`,
        },
      },
    )
    .patch(
      '/schedules/:schedule/steps/:step',
      async (caller) => {
        const { body } = caller
        const action = body.action === undefined ? undefined : normalizeAction(body.action)
        await transaction(ctx.db, async (tx) => {
          const schedule = await scheduleOf(tx, caller, caller.params.schedule, true)
          const current = await findStep(tx, schedule.uuid, caller.params.step)
          if (action) mayRun(caller, action, (p) => `unable to update schedule step that requires permission: ${p}`)
          const changes = { ...(action && { action }), ...(body.order !== undefined && { order: body.order }) }
          const [step] = Object.keys(changes).length
            ? await tx.update(serverScheduleSteps).set(changes).where(eq(serverScheduleSteps.uuid, current.uuid)).returning()
            : [current]
          await logged(ctx, tx, caller, 'server:schedule.step.update', stepEvent(step))
        })
        sync.later(caller.resource.uuid)
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: StepParams,
        body: t.Object({ action: t.Optional(Action), order: t.Optional(Order) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Change a step',
          description: `${GATE}; 400 \`invalid schedule step uuid\`; 404 \`schedule step not found\`; 403 \`unable to update schedule step that requires permission: <p>\` for a new action you may not do.`,
        },
      },
    )
    .delete(
      '/schedules/:schedule/steps/:step',
      async (caller) => {
        await transaction(ctx.db, async (tx) => {
          const schedule = await scheduleOf(tx, caller, caller.params.schedule, true)
          const step = await findStep(tx, schedule.uuid, caller.params.step)
          await tx.delete(serverScheduleSteps).where(eq(serverScheduleSteps.uuid, step.uuid))
          await logged(ctx, tx, caller, 'server:schedule.step.delete', stepEvent(step))
        })
        sync.later(caller.resource.uuid)
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: StepParams,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Delete a step',
          description: `${GATE}; 400 \`invalid schedule step uuid\`; 404 \`schedule step not found\`.`,
        },
      },
    )
    .post(
      '/schedules/:schedule/steps/:step/duplicate',
      async (caller) => {
        const max = await maxSteps()
        const step = await transaction(ctx.db, async (tx) => {
          const schedule = await scheduleOf(tx, caller, caller.params.schedule)
          const source = await findStep(tx, schedule.uuid, caller.params.step)
          mayRun(caller, source.action as ActionValue, (p) => `unable to create schedule step that requires permission: ${p}`)
          await reserveSteps(tx, schedule.uuid, max)
          const [step] = await insertSteps(tx, schedule.uuid, [{ action: source.action as any, order: source.order }])
          await logged(ctx, tx, caller, 'server:schedule.step.duplicate', { ...stepEvent(step), source_uuid: source.uuid })
          return step
        })
        sync.later(caller.resource.uuid)
        return { schedule_step: toStep(step) }
      },
      {
        permission: 'server:schedules.update',
        params: StepParams,
        response: { 200: t.Object({ schedule_step: Step }) },
        detail: {
          ...TAG,
          summary: 'Duplicate a step',
          description: `A copy of the step's action and order in the same schedule; like creating one, it needs the permission of what the step does (403; the reference does not check). ${GATE}; 400 \`invalid schedule step uuid\`; 404 \`schedule step not found\`; ${MAX}`,
        },
      },
    )
}

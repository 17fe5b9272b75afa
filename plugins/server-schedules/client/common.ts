import { t } from 'elysia'
import { denied, Forbidden, type PluginContext, type Principal, type Tx } from 'hatchery'
import { permitsServer, serverActivity, type ClientServerAccess, type ServerRow } from '../../servers'
import type { Action } from '../model'
import { findSchedule } from '../service/schedules'
import { actionPermission } from '../service/validate'

export const TAG = { tags: ['client server schedules'] }

export const ScheduleParams = t.Object({
  server: t.String({ description: 'The server uuid or short id' }),
  schedule: t.String({ description: 'The schedule uuid' }),
})
export const StepParams = t.Object({
  server: t.String({ description: 'The server uuid or short id' }),
  schedule: t.String({ description: 'The schedule uuid' }),
  step: t.String({ description: 'The schedule step uuid' }),
})

/** Who is calling about which server: what every handler passes on to the activity log and the checks. */
export interface Caller {
  principal: Principal
  access: ClientServerAccess
  request: Request
  resource: ServerRow
}

/**
 * The `{schedule}` gate (spec 03 §1.5): 400 `invalid schedule uuid`, 403 without `schedules.read`,
 * 404 `schedule not found` (a schedule of another server included). `lock` holds the row in `db`'s transaction.
 */
export async function scheduleOf(db: PluginContext['db'] | Tx, caller: Caller, segment: string, lock = false) {
  if (!permitsServer(caller.principal, caller.access, 'schedules.read')) throw denied('schedules.read')
  return findSchedule(db, caller.resource.uuid, segment, lock)
}

/** 403 `unable to <verb> schedule step that requires permission: <p>` when the caller may not do what the step does (spec 03 §4.3). */
export function mayRun(caller: Caller, action: Action, refusal: (permission: string) => string): void {
  const permission = actionPermission(action)
  if (permission && !permitsServer(caller.principal, caller.access, permission)) throw new Forbidden(refusal(permission))
}

/** The server activity entry of a schedule change, in the change's transaction. */
export function logged(ctx: PluginContext, tx: Tx | PluginContext['db'], caller: Caller, event: string, data: Record<string, unknown>) {
  return serverActivity(
    ctx,
    tx,
    { principal: caller.principal, request: caller.request, server: caller.resource, access: caller.access },
    event,
    data,
  )
}

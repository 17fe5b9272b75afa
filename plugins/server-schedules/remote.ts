import { Elysia } from 'elysia'
import { Empty, transaction, type PluginContext } from 'hatchery'
import { ScheduleReport } from './model'
import { recordRuns } from './service/schedules'

/** `POST /api/remote/schedule` (spec 04 §3.2): the node reports the schedule runs it finished. */
export function remoteScheduleRoutes(ctx: PluginContext) {
  return new Elysia({ tags: ['remote'] }).use(ctx.guard).post(
    '/schedule',
    async ({ remote, body }) => {
      await transaction(ctx.db, (tx) => recordRuns(tx, remote.node.uuid, body.data))
      return {}
    },
    {
      remote: true,
      body: ScheduleReport,
      response: { 200: Empty },
      detail: {
        summary: 'Schedule runs finished on the node',
        description:
          "Each run sets the schedule's `last_run` (and `last_failure` when it failed) to the node's timestamp; the steps named in `errors` keep that message, the schedule's other steps lose theirs. Schedules of servers not on the calling node are ignored. Called by Wings with `Authorization: Bearer <token_id>.<token>`.",
      },
    },
  )
}

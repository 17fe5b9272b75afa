import { t } from 'elysia'
import { Empty, requestMeta, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../../servers'
import { ScheduleStatus } from '../model'
import type { ScheduleSync } from '../service/sync'
import { logged, ScheduleParams, scheduleOf, TAG } from './common'

const NODE =
  'A node that is down, late or answering garbage is 502 `node <name> is unreachable`; a node that does not know the schedule 404.'

/**
 * What the node does with a schedule now (spec 03 §4.2): `GET …/status`, `POST …/trigger` (the
 * configuration is pushed first, so the node runs what the panel holds) and `POST …/abort`, each
 * rate limited per server and address.
 */
export function clientScheduleRunRoutes(ctx: PluginContext, servers: () => ServersApi, sync: ScheduleSync) {
  const wingsOf = async (nodeUuid: string) => servers().wings(await getNode(ctx.db, nodeUuid))
  return ctx
    .scope('client:server')
    .get(
      '/schedules/:schedule/status',
      async (caller) => {
        const schedule = await scheduleOf(ctx.db, caller, caller.params.schedule)
        const { status } = await (await wingsOf(caller.resource.node_uuid)).scheduleStatus(caller.resource.uuid, schedule.uuid)
        return { status }
      },
      {
        permission: 'server:schedules.read',
        params: ScheduleParams,
        response: { 200: t.Object({ status: ScheduleStatus }) },
        detail: {
          ...TAG,
          summary: "The schedule's run on the node",
          description: `Whether it runs, its current step and the errors of its steps, as the node tells. 400 \`invalid schedule uuid\`; 404 \`schedule not found\`. ${NODE}`,
        },
      },
    )
    .post(
      '/schedules/:schedule/trigger',
      async (caller) => {
        const { resource: server, body, request } = caller
        const schedule = await scheduleOf(ctx.db, caller, caller.params.schedule)
        await ctx.rateLimit('client_servers_schedules_trigger', `${server.uuid}:${requestMeta(request).ip}`)
        await sync.now(server.uuid)
        const skip = body.skip_condition ?? false
        await (await wingsOf(server.node_uuid)).triggerSchedule(server.uuid, schedule.uuid, skip)
        await logged(ctx, ctx.db, caller, 'server:schedule.trigger', { uuid: schedule.uuid, name: schedule.name, skip_condition: skip })
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: ScheduleParams,
        body: t.Object({
          skip_condition: t.Optional(t.Boolean({ description: 'Run the steps even if the condition does not hold (default false)' })),
        }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Run a schedule now',
          description: `The configuration is pushed to the node first (awaited), then the node is told to run the schedule; a disabled schedule is not on the node (404). Rate limit \`client_servers_schedules_trigger\` (10 per 60 s per server and address). 400 \`invalid schedule uuid\`; 404 \`schedule not found\`. ${NODE}`,
        },
      },
    )
    .post(
      '/schedules/:schedule/abort',
      async (caller) => {
        const { resource: server, request } = caller
        const schedule = await scheduleOf(ctx.db, caller, caller.params.schedule)
        await ctx.rateLimit('client_servers_schedules_abort', `${server.uuid}:${requestMeta(request).ip}`)
        await (await wingsOf(server.node_uuid)).abortSchedule(server.uuid, schedule.uuid)
        await logged(ctx, ctx.db, caller, 'server:schedule.abort', { uuid: schedule.uuid, name: schedule.name })
        return {}
      },
      {
        permission: 'server:schedules.update',
        params: ScheduleParams,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Stop a running schedule',
          description: `Rate limit \`client_servers_schedules_abort\` (10 per 60 s per server and address). 400 \`invalid schedule uuid\`; 404 \`schedule not found\`. ${NODE}`,
        },
      },
    )
}

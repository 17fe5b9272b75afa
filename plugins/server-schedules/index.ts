import { Elysia } from 'elysia'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import servers from '../servers'
import * as tables from './tables'
import { clientScheduleRoutes } from './client/schedules'
import { clientScheduleCopyRoutes } from './client/copies'
import { clientScheduleStepRoutes } from './client/steps'
import { clientScheduleRunRoutes } from './client/run'
import { remoteScheduleRoutes } from './remote'
import { documentSchedules } from './service/schedules'
import { ScheduleSync } from './service/sync'

export { tables }
export * as model from './model'
export { actionPermission, withinNesting, cronProblem } from './service/validate'

/** What `ctx.api(serverSchedules)` gives: the background pushes of schedule changes (tests wait on `settled()`). */
export interface ServerSchedulesApi {
  sync: ScheduleSync
}

/**
 * Server schedules (spec 03 §4, spec 04 §1.6 G and §3): the `server_schedules` and
 * `server_schedule_steps` tables, the client routes under `/api/client/servers/{server}/schedules`,
 * the enabled schedules in every server's configuration document, and `POST /api/remote/schedule`,
 * where the node reports the runs. The node runs the schedules; the panel keeps and checks them.
 */
const plugin: PluginDescriptor<ServerSchedulesApi> = definePlugin<ServerSchedulesApi>({
  name: 'server-schedules',
  version: '1.0.0',
  description: 'Schedules of game servers, run by their Wings node',
  dependsOn: ['servers', 'nodes'],
  tables,
  migrations: '../../migrations/server-schedules',
  uniqueMessages: { server_schedules_server_uuid_name_unique: 'schedule with name already exists' },
  rateLimits: {
    client_servers_schedules_trigger: { hits: 10, window_seconds: 60 },
    client_servers_schedules_abort: { hits: 10, window_seconds: 60 },
  },
  setup(ctx) {
    ctx.api(servers).documentContributors.add(async (db, server) => ({ schedules: await documentSchedules(db, server) }))
    return { sync: new ScheduleSync(ctx, () => ctx.api(servers)) }
  },
  routes: {
    remote: (ctx) => remoteScheduleRoutes(ctx),
    'client:server': (ctx) => {
      const { sync } = ctx.api(plugin)
      return new Elysia()
        .use(clientScheduleRoutes(ctx, sync))
        .use(clientScheduleCopyRoutes(ctx, sync))
        .use(clientScheduleStepRoutes(ctx, sync))
        .use(clientScheduleRunRoutes(ctx, () => ctx.api(servers), sync))
    },
  },
  onShutdown: async (ctx) => {
    await ctx.api(plugin).sync.settled()
  },
})

export default plugin

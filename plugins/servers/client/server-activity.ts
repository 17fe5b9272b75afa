import { t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { model as userModel } from '../../users'
import { listServerActivity } from '../service/client-activity'
import { permitsServer } from './scope'

export const ServerActivity = t.Object({
  user: t.Nullable(userModel.ShortUser),
  impersonator: t.Nullable(userModel.ShortUser),
  event: t.String(),
  ip: t.Nullable(t.String({ description: 'Only with `activity.read-ip`' })),
  data: t.Any(),
  is_api: t.Boolean(),
  is_schedule: t.Boolean(),
  created: t.Date(),
})

/** `GET /api/client/servers/{server}/activity` (spec 03 §2.6). */
export function clientServerActivityRoutes(ctx: PluginContext) {
  return ctx.scope('client:server').get(
    '/activity',
    async ({ principal, resource: server, access, query }) => ({
      activities: await listServerActivity(ctx.db, server.uuid, pageParams(query), await ctx.settings.snapshot(), {
        user: query.user,
        withIp: permitsServer(principal, access, 'activity.read-ip'),
      }),
    }),
    {
      permission: 'server:activity.read',
      query: t.Object({
        ...PaginationQuery.properties,
        user: t.Optional(t.String({ format: 'uuid', description: "Only this user's entries" })),
      }),
      response: { 200: t.Object({ activities: PageOf(ServerActivity) }) },
      detail: {
        tags: ['client servers'],
        summary: "The server's activity",
        description:
          'Newest first. `search` matches the event or, without `user`, the acting username. `ip` is null unless you also hold `activity.read-ip`.',
      },
    },
  )
}

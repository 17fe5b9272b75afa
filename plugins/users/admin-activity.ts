import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { AdminActivity } from './model'
import { listAdminActivity } from './service/activity'

/** `GET /api/admin/activity`: the admin activity log. */
export function adminActivityRoutes(ctx: PluginContext) {
  return new Elysia({ tags: ['admin activity'] }).use(ctx.guard).get(
    '/activity',
    async ({ query }) => ({
      activities: await listAdminActivity(ctx.db, pageParams(query), await ctx.settings.snapshot(), { user: query.user?.toLowerCase() }),
    }),
    {
      permission: 'admin:activity.read',
      query: t.Object({
        ...PaginationQuery.properties,
        user: t.Optional(t.String({ format: 'uuid', description: 'Only entries made by this user' })),
      }),
      response: { 200: t.Object({ activities: PageOf(AdminActivity) }) },
      detail: { summary: 'The admin activity log, newest first (search: event or acting username)' },
    },
  )
}

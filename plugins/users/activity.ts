import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, type PluginContext } from 'hatchery'
import { UserActivity } from './model'
import { listUserActivity } from './service/activity'

/** `GET /api/client/account/activity`: the caller's activity, newest first (search: event). */
export function activityRoutes(ctx: PluginContext) {
  return new Elysia({ tags: ['account'] }).use(ctx.guard).get(
    '/account/activity',
    async ({ principal, query }) => ({
      activities: await listUserActivity(ctx.db, principal.user.uuid, pageParams(query), await ctx.settings.snapshot()),
    }),
    {
      permission: 'user:activity.read',
      query: PaginationQuery,
      response: { 200: t.Object({ activities: PageOf(UserActivity) }) },
      detail: { summary: "The account's activity log (search: event)" },
    },
  )
}

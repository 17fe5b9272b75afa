import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, parseUuid, type PluginContext, actorOf, anonymousActor } from 'hatchery'
import { Empty, UserActivity } from './model'
import type { UsersApi } from './api'
import { getUser, userTransaction } from './service/users'
import { listUserActivity } from './service/activity'
import { createPasswordReset, resetLink, userMailContext } from './service/resets'
import type { MailApi } from '../mail'
import { privilegesOf } from './service/privileges'
import { disableTwoFactor } from './service/admin-users'
import { UserParams } from './admin-users'

/** `/api/admin/users/{user}/…`: remove two-factor, the user's activity, the password-reset mail. */
export function adminUserActionRoutes(ctx: PluginContext, api: UsersApi, mailer: MailApi) {
  return new Elysia({ prefix: '/users/:user', tags: ['admin users'] })
    .use(ctx.guard)
    .delete(
      '/two-factor',
      async ({ principal, params, request }) => {
        const uuid = parseUuid(params.user, 'user')
        const caller = privilegesOf(principal, ctx.permissions)
        await userTransaction(ctx.db, uuid, async (tx) => {
          await disableTwoFactor(tx, caller, uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:two-factor.disable', { uuid })
        })
        return {}
      },
      {
        permission: ['admin:users.read', 'admin:users.disable-two-factor'],
        params: UserParams,
        response: { 200: Empty },
        detail: { summary: "Remove a user's two-factor authentication", description: '409 when it is not enabled. Recovery codes go too.' },
      },
    )
    .get(
      '/activity',
      async ({ params, query }) => {
        const { user } = await getUser(ctx.db, parseUuid(params.user, 'user'))
        return { activities: await listUserActivity(ctx.db, user.uuid, pageParams(query), await ctx.settings.snapshot()) }
      },
      {
        permission: ['admin:users.read', 'admin:users.activity'],
        params: UserParams,
        query: PaginationQuery,
        response: { 200: t.Object({ activities: PageOf(UserActivity) }) },
        detail: { summary: "A user's activity, newest first (search: event)" },
      },
    )
    .post(
      '/email/reset-password',
      async ({ principal, params, request, set }) => {
        const { user } = await getUser(ctx.db, parseUuid(params.user, 'user'))
        const token = await userTransaction(ctx.db, user.uuid, async (tx) => {
          const token = await createPasswordReset(tx, ctx.secrets, user.uuid)
          await ctx.activity.user(tx, anonymousActor(user.uuid, null), 'email:password-reset', {})
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:email.password-reset', { uuid: user.uuid })
          return token
        })
        mailer.sendLater('password_reset', user.email, {
          user: userMailContext(user),
          reset_link: resetLink(await ctx.settings.snapshot(), token),
        })
        set.status = 202
        return {}
      },
      {
        permission: ['admin:users.read', 'admin:users.email'],
        params: UserParams,
        response: { 202: Empty },
        detail: {
          summary: 'Mail the user a password-reset link',
          description: 'Answers 202 at once; the mail is sent in the background (failures are logged).',
        },
      },
    )
}

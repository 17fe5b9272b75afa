import { Elysia, t } from 'elysia'
import { type PluginContext, actorOf } from 'hatchery'
import { CurrentPassword, Email, Empty, Name, Password, ToastPosition, Username } from './model'
import type { UsersApi } from './api'
import { changeEmail, changeOwnPassword, updateAccount } from './service/account-settings'
import { currentSession } from './service/sessions'

/**
 * `PATCH /api/client/account`, `PUT /api/client/account/email`, `PUT /api/client/account/password`.
 * Unlike the reference, a taken username is a 409 (not a 500), a new password ends the user's
 * other sessions, and a new email or password voids outstanding reset links.
 */
export function accountSettingsRoutes(ctx: PluginContext, api: UsersApi) {
  return new Elysia({ prefix: '/account', tags: ['account'] })
    .use(ctx.guard)
    .patch(
      '',
      async ({ principal, body, request }) => {
        await updateAccount(ctx.db, ctx.activity, actorOf(principal, request), body, await ctx.settings.get('user.allow_changing_language'))
        return {}
      },
      {
        permission: 'user:account.infos',
        exempt: ['suspended'],
        body: t.Object({
          username: t.Optional(Username),
          name_first: t.Optional(Name),
          name_last: t.Optional(Name),
          language: t.Optional(
            t.String({
              minLength: 2,
              maxLength: 15,
              description: 'One of GET /api/languages; ignored unless `user.allow_changing_language`',
            }),
          ),
          toast_position: t.Optional(ToastPosition),
          start_on_grouped_servers: t.Optional(t.Boolean()),
        }),
        response: { 200: Empty },
        detail: {
          summary: 'Change name, username and preferences',
          description: 'Absent fields stay. 409 when the account is frozen or suspended, or the username (case-insensitive) is taken.',
        },
      },
    )
    .put(
      '/email',
      async ({ principal, body, request }) => {
        await changeEmail(ctx.db, ctx.activity, actorOf(principal, request), body.email, body.password)
        return {}
      },
      {
        permission: 'user:account.email',
        body: t.Object({ email: Email, password: CurrentPassword }),
        response: { 200: Empty },
        detail: {
          summary: 'Change the email address',
          description:
            'Needs the current password (403 `invalid password`); 409 when frozen or when the address (case-insensitive) is in use. Outstanding reset links stop working.',
        },
      },
    )
    .put(
      '/password',
      async ({ principal, body, request }) => {
        // The calling session stays, unless an admin impersonating the user makes the change.
        await changeOwnPassword(ctx.db, ctx.activity, actorOf(principal, request), body, currentSession(principal))
        return {}
      },
      {
        permission: 'user:account.password',
        body: t.Object({ password: CurrentPassword, new_password: Password }),
        response: { 200: Empty },
        detail: {
          summary: 'Change the password',
          description:
            'Needs the current password (403 `invalid password`); 409 when frozen. Ends every other session of the user (the calling session stays), pending two-factor logins and reset links.',
        },
      },
    )
}

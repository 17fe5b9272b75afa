import { Elysia, t } from 'elysia'
import { eq } from 'drizzle-orm'
import { Conflict, Forbidden, Validation, uniqueAs, type PluginContext, actorOf } from 'hatchery'
import { CurrentPassword, Email, Empty, Name, Password, ToastPosition, Username } from './model'
import { users } from './tables'
import type { UsersApi } from './api'
import { isLanguage } from './languages'
import { getUser, userTransaction, type UserRow } from './service/users'
import { changePassword, dropResetLinks } from './service/credential-policy'
import { verifyPassword } from './service/passwords'

/** Frozen accounts cannot change themselves; suspended ones reach only the routes exempt from that gate. */
function assertChangeable(user: UserRow, opts: { suspended?: boolean } = {}) {
  if (user.frozen) throw new Conflict('account is frozen')
  if (opts.suspended && user.suspended) throw new Conflict('account is suspended')
}

/** A user without a password (e.g. created for an OAuth login) passes with any value. */
async function assertPassword(user: UserRow, password: string) {
  if (user.password !== null && !(await verifyPassword(password, user.password))) throw new Forbidden('invalid password')
}

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
        if (body.language !== undefined && !isLanguage(body.language)) throw new Validation('language: invalid language')
        const { user } = await getUser(ctx.db, principal.user.uuid)
        assertChangeable(user, { suspended: true })
        const allowLanguage = await ctx.settings.get('user.allow_changing_language')
        const changes = {
          username: body.username,
          name_first: body.name_first,
          name_last: body.name_last,
          language: allowLanguage ? body.language : undefined,
          toast_position: body.toast_position,
          start_on_grouped_servers: body.start_on_grouped_servers,
        }
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          let row = user
          if (Object.values(changes).some((v) => v !== undefined)) {
            ;[row] = await tx
              .update(users)
              .set(changes)
              .where(eq(users.uuid, user.uuid))
              .returning()
              .catch(uniqueAs('user with username already exists'))
          }
          await ctx.activity.user(tx, actorOf(principal, request), 'account:update', {
            username: row.username,
            name_first: row.name_first,
            name_last: row.name_last,
            language: row.language,
            toast_position: row.toast_position,
            start_on_grouped_servers: row.start_on_grouped_servers,
          })
        })
        return {}
      },
      {
        permission: 'user:account.infos',
        exempt: ['suspended'],
        body: t.Object({
          username: t.Optional(Username),
          name_first: t.Optional(Name),
          name_last: t.Optional(Name),
          language: t.Optional(t.String({ minLength: 2, maxLength: 15, description: 'One of GET /api/languages; ignored unless `user.allow_changing_language`' })),
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
        const { user } = await getUser(ctx.db, principal.user.uuid)
        assertChangeable(user)
        await assertPassword(user, body.password)
        if (body.email !== user.email) {
          await userTransaction(ctx.db, user.uuid, async (tx) => {
            await tx
              .update(users)
              .set({ email: body.email })
              .where(eq(users.uuid, user.uuid))
              .catch(uniqueAs('email already in use'))
            await dropResetLinks(tx, user.uuid)
            await ctx.activity.user(tx, actorOf(principal, request), 'account:email-changed', { old: user.email, new: body.email })
          })
        }
        return {}
      },
      {
        permission: 'user:account.email',
        body: t.Object({ email: Email, password: CurrentPassword }),
        response: { 200: Empty },
        detail: {
          summary: 'Change the email address',
          description: 'Needs the current password (403 `invalid password`); 409 when frozen or when the address (case-insensitive) is in use. Outstanding reset links stop working.',
        },
      },
    )
    .put(
      '/password',
      async ({ principal, body, request }) => {
        const { user } = await getUser(ctx.db, principal.user.uuid)
        assertChangeable(user)
        await assertPassword(user, body.password)
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          // The calling session stays, unless an admin impersonating the user makes the change.
          await changePassword(tx, user.uuid, body.new_password, { keepSession: principal.impersonator === null ? principal.sessionUuid : null })
          await ctx.activity.user(tx, actorOf(principal, request), 'account:password-changed', {})
        })
        return {}
      },
      {
        permission: 'user:account.password',
        body: t.Object({ password: CurrentPassword, new_password: Password }),
        response: { 200: Empty },
        detail: {
          summary: 'Change the password',
          description: 'Needs the current password (403 `invalid password`); 409 when frozen. Ends every other session of the user (the calling session stays), pending two-factor logins and reset links.',
        },
      },
    )
}

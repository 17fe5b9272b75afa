import { Elysia, t } from 'elysia'
import { eq } from 'drizzle-orm'
import { BadRequest, Unauthorized, type PluginContext, type ReadyContext } from 'hatchery'
import { Empty, FullUser } from './model'
import { userSessions } from './tables'
import type { UsersApi } from './api'
import { accountAnswerOf, userTransaction } from './service/users'
import { loadedUser } from './service/authenticate'
import { clearedSessionCookie } from './service/cookies'

const Groups = t.Record(t.String(), t.Object({ description: t.String(), permissions: t.Record(t.String(), t.String()) }))

/** `GET /api/client/account`, logout, and the permission catalogs. */
export function accountRoutes(ctx: PluginContext, api: UsersApi) {
  return new Elysia({ tags: ['account'] })
    .use(ctx.guard)
    .get(
      '/account',
      async ({ principal }) => {
        const user = loadedUser(principal) ?? (await api.credentials.user(principal.user.uuid))
        if (!user) throw new Unauthorized('invalid session')
        return accountAnswerOf(user, ctx.settings.cached() ?? (await ctx.settings.snapshot()))
      },
      {
        exempt: ['suspended', 'two-factor'],
        // The caller's row as the authenticator loaded it and a cached snapshot: the answer is at hand.
        ready: ({ principal }: ReadyContext) => {
          const user = principal && loadedUser(principal)
          const settings = ctx.settings.cached()
          return user && settings ? accountAnswerOf(user, settings) : undefined
        },
        // The hottest authenticated route: toFullUser names every field, so skip checking each answer.
        documents: t.Object({ user: FullUser }),
        detail: { summary: 'The account of the caller (the impersonated user when impersonating)' },
      },
    )
    .post(
      '/account/logout',
      async ({ principal, set }) => {
        if (principal.method !== 'session' || !principal.sessionUuid)
          throw new BadRequest('unable to log out when not using session authentication')
        const session = principal.sessionUuid
        // Under the user's lock: its USER_CHANGED makes this process's credentials cache forget the
        // session at once (other processes within the cache's 1 s).
        await userTransaction(ctx.db, principal.actor.uuid, (tx) => tx.delete(userSessions).where(eq(userSessions.uuid, session)))
        set.headers['set-cookie'] = clearedSessionCookie(await ctx.settings.snapshot())
        return {}
      },
      {
        exempt: ['suspended', 'two-factor'],
        response: { 200: Empty },
        detail: { summary: 'End the current session', description: 'Only for session authentication; the cookie is cleared.' },
      },
    )
    .get(
      '/permissions',
      () => ({
        user_permissions: ctx.permissions.groups('user'),
        admin_permissions: ctx.permissions.groups('admin'),
        server_permissions: ctx.permissions.groups('server'),
      }),
      {
        response: { 200: t.Object({ user_permissions: Groups, admin_permissions: Groups, server_permissions: Groups }) },
        detail: { summary: 'The user, admin and server permission catalogs, plugins included' },
      },
    )
}

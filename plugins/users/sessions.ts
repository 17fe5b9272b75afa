import { Elysia, t } from 'elysia'
import { and, desc, eq, gt, ne, sql } from 'drizzle-orm'
import { NotFound, PageOf, PaginationQuery, pageParams, paginate, type PluginContext, type Principal, actorOf } from 'hatchery'
import { userTransaction } from './service/users'
import { Empty, Session, Uuid } from './model'
import { userSessions } from './tables'
import type { UsersApi } from './api'

/** The session authenticating this request, when it belongs to the user acted on. */
function currentSession(principal: Principal): string | null {
  return principal.impersonator === null ? principal.sessionUuid : null
}

/**
 * `/api/client/account/sessions`: list (newest first; sessions idle past
 * `app.session_duration_seconds` no longer work and are not listed), end all others, end one.
 */
export function sessionRoutes(ctx: PluginContext, api: UsersApi) {
  return new Elysia({ prefix: '/account/sessions', tags: ['account'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ principal, query }) => {
        const duration = await ctx.settings.get('app.session_duration_seconds')
        const current = currentSession(principal)
        const sessions = await paginate(
          ctx.db,
          {
            from: (total) =>
              ctx.db
                .select({
                  uuid: userSessions.uuid,
                  ip: sql<string>`host(${userSessions.ip})`,
                  user_agent: userSessions.user_agent,
                  last_used: userSessions.last_used,
                  created: userSessions.created,
                  ...total,
                })
                .from(userSessions),
            where: and(eq(userSessions.user_uuid, principal.user.uuid), gt(userSessions.last_used, sql`now() - make_interval(secs => ${duration})`)),
            search: [userSessions.user_agent],
            orderBy: [desc(userSessions.created), desc(userSessions.uuid)],
            map: (r) => ({ uuid: r.uuid, ip: r.ip, user_agent: r.user_agent, is_using: r.uuid === current, last_used: r.last_used, created: r.created }),
          },
          pageParams(query),
        )
        return { sessions }
      },
      {
        permission: 'user:sessions.read',
        query: PaginationQuery,
        response: { 200: t.Object({ sessions: PageOf(Session) }) },
        detail: { summary: 'List sessions (search: user agent)', description: '`is_using` marks the session making this request.' },
      },
    )
    .delete(
      '',
      async ({ principal, request }) => {
        const current = currentSession(principal)
        const deleted = await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const gone = await tx
            .delete(userSessions)
            .where(and(eq(userSessions.user_uuid, principal.user.uuid), current ? ne(userSessions.uuid, current) : undefined))
            .returning({ uuid: userSessions.uuid })
          await ctx.activity.user(tx, actorOf(principal, request), 'session:delete-all', { deleted: gone.length })
          return gone.length
        })
        return { deleted }
      },
      {
        permission: 'user:sessions.delete',
        response: { 200: t.Object({ deleted: t.Integer() }) },
        detail: { summary: 'End every other session', description: 'The session making the request stays (with an API key, every session ends).' },
      },
    )
    .delete(
      '/:session',
      async ({ principal, params, request }) => {
        await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const [gone] = await tx
            .delete(userSessions)
            .where(and(eq(userSessions.uuid, params.session), eq(userSessions.user_uuid, principal.user.uuid)))
            .returning({ uuid: userSessions.uuid, user_agent: userSessions.user_agent, ip: sql<string>`text(${userSessions.ip})` })
          if (!gone) throw new NotFound('session not found')
          await ctx.activity.user(tx, actorOf(principal, request), 'session:delete', gone)
        })
        return {}
      },
      {
        permission: 'user:sessions.delete',
        params: t.Object({ session: Uuid }),
        response: { 200: Empty },
        detail: { summary: 'End a session', description: 'The current session may be ended too.' },
      },
    )
}

import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, type PluginContext, actorOf } from 'hatchery'
import { Empty, Session, Uuid } from './model'
import type { UsersApi } from './api'
import { currentSession, endOtherSessions, endSession, listSessions } from './service/sessions'

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
        return { sessions: await listSessions(ctx.db, principal.user.uuid, currentSession(principal), duration, pageParams(query)) }
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
      async ({ principal, request }) => ({
        deleted: await endOtherSessions(ctx.db, ctx.activity, actorOf(principal, request), currentSession(principal)),
      }),
      {
        permission: 'user:sessions.delete',
        response: { 200: t.Object({ deleted: t.Integer() }) },
        detail: {
          summary: 'End every other session',
          description: 'The session making the request stays (with an API key, every session ends).',
        },
      },
    )
    .delete(
      '/:session',
      async ({ principal, params, request }) => {
        await endSession(ctx.db, ctx.activity, actorOf(principal, request), params.session)
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

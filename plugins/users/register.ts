import { Elysia, t } from 'elysia'
import { BadRequest, Conflict, requestMeta, transaction, type PluginContext } from 'hatchery'
import { Captcha, Email, FullUser, Name, Password, Username } from './model'
import type { UsersApi } from './api'
import { verifyCaptcha } from './service/captcha'
import { createUser, getUser, toFullUser } from './service/users'
import { userAgentOf } from './service/credentials'
import { sessionCookie } from './service/cookies'

/**
 * `POST /api/auth/register`. Unlike the reference, the first registered user does not become an
 * admin: public registration never creates one (administrators come from `panel users create
 * --admin` or the admin API). New users get the panel's `app.language`.
 */
export function registerRoutes(ctx: PluginContext, api: UsersApi) {
  return new Elysia({ tags: ['auth'] }).post(
    '/register',
    async ({ body, request, set }) => {
      const settings = await ctx.settings.snapshot()
      if (!settings.get('app.registration_enabled')) throw new BadRequest('registration is disabled')
      const { ip } = requestMeta(request)
      await ctx.rateLimit('auth_register', ip)
      await verifyCaptcha(settings, body.captcha, ip)
      const created = await transaction(ctx.db, async (tx) => {
        const user = await createUser(tx, {
          username: body.username,
          email: body.email,
          name_first: body.name_first,
          name_last: body.name_last,
          password: body.password,
          admin: false,
          language: settings.get('app.language'),
        }).catch((e) => {
          // The reference answers 400 here; clients show the message either way.
          throw e instanceof Conflict ? new BadRequest(e.messages) : e
        })
        const session = await api.credentials.createSession(tx, user.uuid, ip, userAgentOf(request))
        return { userUuid: user.uuid, cookie: session.cookie }
      })
      set.headers['set-cookie'] = sessionCookie(settings, created.cookie)
      return { user: toFullUser(await getUser(ctx.db, created.userUuid), settings) }
    },
    {
      body: t.Object({ username: Username, email: Email, name_first: Name, name_last: Name, password: Password, captcha: Captcha }),
      response: { 200: t.Object({ user: FullUser }) },
      detail: {
        summary: 'Create an account and log in',
        description:
          'Only while `app.registration_enabled`; rate limited by `ratelimits.auth_register` per client IP; the captcha step applies. A taken username or email (case-insensitive) is a 400. The account is never an administrator.',
      },
    },
  )
}

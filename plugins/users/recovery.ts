import { Elysia, t } from 'elysia'
import { BadRequest, requestMeta, transaction, type PluginContext, anonymousActor } from 'hatchery'
import type { MailApi } from '../mail'
import { Captcha, Email, Empty, Password } from './model'
import type { UsersApi } from './api'
import { verifyCaptcha } from './service/captcha'
import { findByLogin, lockUser } from './service/users'
import { changePassword } from './service/credential-policy'
import { userAgentOf } from './service/credentials'
import { RESET_TOKEN_LENGTH, consumePasswordReset, mailPasswordLink } from './service/resets'

/**
 * `POST /api/auth/password/forgot` and `/api/auth/password/reset`.
 *
 * Forgot answers `{}` at once whether or not the address belongs to someone; the token, the
 * activity and the mail happen in the background so the timing tells nothing either. Unlike the
 * reference, a reset ends every session of the user (and their pending two-factor logins and
 * other reset tokens): whoever knew the old password is out.
 */
export function recoveryRoutes(ctx: PluginContext, api: UsersApi, mailer: MailApi) {
  return new Elysia({ prefix: '/password', tags: ['auth'] })
    .post(
      '/forgot',
      async ({ body, request }) => {
        const { ip } = requestMeta(request)
        await ctx.rateLimit('auth_password_forgot', ip)
        await ctx.rateLimit('auth_password_forgot_email', body.email.toLowerCase())
        await verifyCaptcha(await ctx.settings.snapshot(), body.captcha, ip)
        const userAgent = userAgentOf(request)
        void (async () => {
          const found = await findByLogin(ctx.db, body.email)
          if (!found) return
          await mailPasswordLink(ctx, mailer, found.user, {
            template: 'password_reset',
            event: 'email:password-reset',
            actor: anonymousActor(found.user.uuid, ip),
            data: { user_agent: userAgent },
            unlessRecent: true,
          })
        })().catch((e: Error) => ctx.log.warn('password reset not started', { error: e.message }))
        return {}
      },
      {
        body: t.Object({ email: Email, captcha: Captcha }),
        response: { 200: Empty },
        detail: {
          summary: 'Mail a password reset link',
          description:
            'Always `{}`. Rate limited per client IP (`ratelimits.auth_password_forgot`) and per address (`ratelimits.auth_password_forgot_email`). When the address belongs to a user who got no link in the last 20 minutes, mails `password_reset` with a link valid for 20 minutes.',
        },
      },
    )
    .post(
      '/reset',
      async ({ body, request }) => {
        const { ip } = requestMeta(request)
        await ctx.rateLimit('auth_password_reset', ip)
        await transaction(ctx.db, async (tx) => {
          const userUuid = await consumePasswordReset(tx, ctx.secrets, body.token)
          if (!userUuid) throw new BadRequest('invalid or expired token')
          // Only the token names the user, so the row is locked as soon as it is known.
          await lockUser(tx, userUuid)
          await changePassword(tx, userUuid, body.new_password)
          await ctx.activity.user(tx, anonymousActor(userUuid, ip), 'auth:reset-password', { user_agent: userAgentOf(request) })
        })
        return {}
      },
      {
        body: t.Object({ token: t.String({ minLength: RESET_TOKEN_LENGTH, maxLength: RESET_TOKEN_LENGTH }), new_password: Password }),
        response: { 200: Empty },
        detail: {
          summary: 'Set a new password with a reset token',
          description:
            'The token works once, for 20 minutes. Rate limited by `ratelimits.auth_password_reset` per client IP. Ends every session of the user.',
        },
      },
    )
}

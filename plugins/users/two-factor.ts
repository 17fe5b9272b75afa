import { Elysia, t } from 'elysia'
import { type PluginContext, actorOf } from 'hatchery'
import { CurrentPassword, Empty } from './model'
import type { UsersApi } from './api'
import { disableOwnTwoFactor, enableTwoFactor, startTwoFactor } from './service/twofactor'

/**
 * `/api/client/account/two-factor`: set up (GET), enable (POST), disable (DELETE) TOTP.
 * Reachable by users whose role requires two-factor before they have it. Enabling without a
 * pending secret is a 409 (the reference's 401 would read as "logged out" to clients).
 */
export function twoFactorRoutes(ctx: PluginContext, api: UsersApi) {
  const opts = { permission: 'user:account.two-factor' as const, exempt: ['two-factor' as const] }
  return new Elysia({ tags: ['account'] })
    .use(ctx.guard)
    .get(
      '/account/two-factor',
      async ({ principal }) => startTwoFactor(ctx.db, ctx.secrets, principal.user.uuid, await ctx.settings.get('app.name')),
      {
        ...opts,
        response: { 200: t.Object({ otp_url: t.String(), secret: t.String() }) },
        detail: { summary: 'Start two-factor setup', description: 'Generates a new pending secret on every call.' },
      },
    )
    .post(
      '/account/two-factor',
      async ({ principal, body, request }) => ({
        recovery_codes: await enableTwoFactor(ctx.db, ctx.secrets, ctx.activity, actorOf(principal, request), body),
      }),
      {
        ...opts,
        body: t.Object({ code: t.String({ minLength: 6, maxLength: 6 }), password: CurrentPassword }),
        response: { 200: t.Object({ recovery_codes: t.Array(t.String()) }) },
        detail: { summary: 'Enable two-factor', description: 'Returns ten recovery codes, shown only here.' },
      },
    )
    .delete(
      '/account/two-factor',
      async ({ principal, body, request }) => {
        await disableOwnTwoFactor(ctx.db, ctx.secrets, ctx.activity, actorOf(principal, request), body)
        return {}
      },
      {
        ...opts,
        body: t.Object({ code: t.String({ minLength: 6, maxLength: 10 }), password: CurrentPassword }),
        response: { 200: Empty },
        detail: { summary: 'Disable two-factor', description: 'Needs the password and a current TOTP code or a recovery code.' },
      },
    )
}

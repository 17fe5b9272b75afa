import { Elysia, t } from 'elysia'
import { eq } from 'drizzle-orm'
import { BadRequest, Conflict, Forbidden, type PluginContext, actorOf } from 'hatchery'
import { CurrentPassword, Empty } from './model'
import { users } from './tables'
import type { UsersApi } from './api'
import { getUser, userTransaction } from './service/users'
import { verifyPassword } from './service/passwords'
import { removeTwoFactor } from './service/credential-policy'
import { checkTotp, newRecoveryCodes, newTotpSecret, otpUrl, useRecoveryCode } from './service/twofactor'

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
      async ({ principal }) => {
        const { user } = await getUser(ctx.db, principal.user.uuid)
        if (user.totp_enabled) throw new Conflict('two-factor authentication is already enabled')
        if (user.frozen) throw new Conflict('account is frozen')
        const secret = await newTotpSecret()
        await userTransaction(ctx.db, user.uuid, (tx) => tx.update(users).set({ totp_secret: ctx.secrets.encrypt(secret) }).where(eq(users.uuid, user.uuid)))
        return { otp_url: otpUrl(await ctx.settings.get('app.name'), user.email, secret), secret }
      },
      {
        ...opts,
        response: { 200: t.Object({ otp_url: t.String(), secret: t.String() }) },
        detail: { summary: 'Start two-factor setup', description: 'Generates a new pending secret on every call.' },
      },
    )
    .post(
      '/account/two-factor',
      async ({ principal, body, request }) => {
        const { user } = await getUser(ctx.db, principal.user.uuid)
        if (user.totp_enabled) throw new Conflict('two-factor authentication is already enabled')
        if (user.frozen) throw new Conflict('account is frozen')
        if (!user.totp_secret) throw new Conflict('two-factor authentication has not been configured')
        if (user.password !== null && !(await verifyPassword(body.password, user.password))) throw new Forbidden('invalid password')
        const check = await checkTotp(ctx.secrets.decrypt(user.totp_secret), body.code, null)
        if (!check.ok) throw new BadRequest('invalid confirmation code')
        const codes = await userTransaction(ctx.db, user.uuid, async (tx) => {
          const codes = await newRecoveryCodes(tx, ctx.secrets, user.uuid)
          await tx.update(users).set({ totp_enabled: true, totp_last_used: check.step }).where(eq(users.uuid, user.uuid))
          await ctx.activity.user(tx, actorOf(principal, request), 'account:two-factor.enable', {})
          return codes
        })
        return { recovery_codes: codes }
      },
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
        const { user } = await getUser(ctx.db, principal.user.uuid)
        if (!user.totp_enabled) throw new Conflict('two-factor authentication is not enabled')
        if (user.password !== null && !(await verifyPassword(body.password, user.password))) throw new Forbidden('invalid password')
        const code = body.code
        if (code.length !== 6 && code.length !== 10) throw new BadRequest('invalid confirmation code length')
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          if (code.length === 6) {
            const check = user.totp_secret ? await checkTotp(ctx.secrets.decrypt(user.totp_secret), code, user.totp_last_used) : null
            if (!check?.ok) throw new BadRequest(check && !check.ok && check.replay ? 'this code has already been used' : 'invalid confirmation code')
          } else if (!(await useRecoveryCode(tx, ctx.secrets, user.uuid, code))) {
            throw new BadRequest('invalid recovery code')
          }
          await removeTwoFactor(tx, user.uuid)
          await ctx.activity.user(tx, actorOf(principal, request), 'account:two-factor.disable', {})
        })
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


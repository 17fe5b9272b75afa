import { Elysia, t } from 'elysia'
import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { BadRequest, Forbidden, requestMeta, type PluginContext, anonymousActor } from 'hatchery'
import { Captcha, FullUser, ShortUser } from './model'
import { users } from './tables'
import type { UsersApi } from './api'
import { verifyCaptcha } from './service/captcha'
import { verifyPassword } from './service/passwords'
import { findByLogin, getUser, toFullUser, toShortUser, userTransaction } from './service/users'
import { userAgentOf } from './service/credentials'
import { sessionCookie } from './service/cookies'
import { checkTotp, useRecoveryCode } from './service/twofactor'
import { openSession } from './service/sessions'
import { consumeCheckpoint, createCheckpoint, failCheckpoint, findCheckpoint } from './service/checkpoints'

const LoginResponse = t.Union([
  t.Object({ type: t.Literal('completed'), user: FullUser }),
  t.Object({ type: t.Literal('two_factor_required'), user: ShortUser, token: t.String() }),
])

/** `/api/auth/login` and `/api/auth/login/checkpoint`. */
export function authRoutes(ctx: PluginContext, api: UsersApi) {
  const { credentials } = api

  async function startSession(request: Request, userUuid: string, using: string, set: { headers: Record<string, unknown> }) {
    const cookie = await openSession(ctx.db, credentials, ctx.activity, {
      userUuid,
      ip: requestMeta(request).ip,
      userAgent: userAgentOf(request),
      using,
    })
    set.headers['set-cookie'] = sessionCookie(await ctx.settings.snapshot(), cookie)
  }

  return new Elysia({ tags: ['auth'] })
    .post(
      '/login',
      async ({ body, request, set }) => {
        const { ip } = requestMeta(request)
        await ctx.rateLimit('auth_login', ip)
        const settings = await ctx.settings.snapshot()
        await verifyCaptcha(settings, body.captcha, ip)
        const found = await findByLogin(ctx.db, body.user)
        if (!(await verifyPassword(body.password, found?.user.password)) || !found) throw new BadRequest('invalid username or password')
        if (found.user.suspended) throw new Forbidden('account is suspended')
        if (found.user.totp_enabled) {
          const token = await userTransaction(ctx.db, found.user.uuid, async (tx) => {
            const token = await createCheckpoint(tx, ctx.secrets, found.user.uuid)
            await ctx.activity.user(tx, anonymousActor(found.user.uuid, ip), 'auth:checkpoint', {
              using: 'password',
              user_agent: userAgentOf(request),
            })
            return token
          })
          return { type: 'two_factor_required' as const, user: toShortUser(found.user, settings), token }
        }
        await startSession(request, found.user.uuid, 'password', set)
        return { type: 'completed' as const, user: toFullUser(found, settings) }
      },
      {
        body: t.Object({
          user: t.String({ minLength: 1, maxLength: 255, description: 'Username, or email when it contains @' }),
          password: t.String({ maxLength: 512 }),
          captcha: Captcha,
        }),
        response: { 200: LoginResponse },
        detail: {
          summary: 'Log in with a password',
          description:
            'Rate limited by `ratelimits.auth_login` per client IP. A user with two-factor enabled gets a single-use checkpoint token (5 minutes) instead of a session.',
        },
      },
    )
    .post(
      '/login/checkpoint',
      async ({ body, request, set }) => {
        const { ip } = requestMeta(request)
        const checkpoint = await findCheckpoint(ctx.db, ctx.secrets, body.confirmation_token)
        if (!checkpoint) throw new BadRequest('invalid confirmation token')
        await ctx.rateLimit('auth_login_checkpoint', ip)
        const found = await getUser(ctx.db, checkpoint.user_uuid)
        const code = body.code.trim()
        let using: string
        let step: Date | null = null
        if (code.length === 6) {
          const secret = found.user.totp_secret ? ctx.secrets.decrypt(found.user.totp_secret) : null
          const check = secret ? await checkTotp(secret, code, found.user.totp_last_used) : { ok: false as const, replay: false }
          if (!check.ok) {
            await failCheckpoint(ctx.db, ctx.secrets, body.confirmation_token)
            throw new BadRequest(check.replay ? 'this code has already been used' : 'invalid confirmation code')
          }
          using = 'two-factor'
          step = check.step
        } else if (code.length === 10) {
          using = 'recovery-code'
        } else {
          await failCheckpoint(ctx.db, ctx.secrets, body.confirmation_token)
          throw new BadRequest('invalid confirmation code')
        }
        if (found.user.suspended) throw new Forbidden('account is suspended')
        const userAgent = userAgentOf(request)
        const cookie = await userTransaction(ctx.db, found.user.uuid, async (tx) => {
          if (using === 'recovery-code' && !(await useRecoveryCode(tx, ctx.secrets, found.user.uuid, code))) return null
          if (!(await consumeCheckpoint(tx, ctx.secrets, body.confirmation_token))) throw new BadRequest('invalid confirmation token')
          if (step) {
            // Conditional, so two requests racing with the same code cannot both pass the replay check.
            const claimed = await tx
              .update(users)
              .set({ totp_last_used: step })
              .where(and(eq(users.uuid, found.user.uuid), or(isNull(users.totp_last_used), lt(users.totp_last_used, step))))
              .returning({ uuid: users.uuid })
            if (claimed.length === 0) throw new BadRequest('this code has already been used')
          }
          const session = await credentials.createSession(tx, found.user.uuid, ip, userAgent)
          await ctx.activity.user(tx, anonymousActor(found.user.uuid, ip), 'auth:success', { using, user_agent: userAgent })
          return session.cookie
        })
        if (cookie === null) {
          await failCheckpoint(ctx.db, ctx.secrets, body.confirmation_token)
          throw new BadRequest('invalid recovery code')
        }
        const settings = await ctx.settings.snapshot()
        set.headers['set-cookie'] = sessionCookie(settings, cookie)
        return { user: toFullUser(await getUser(ctx.db, found.user.uuid), settings) }
      },
      {
        body: t.Object({
          code: t.String({ minLength: 1, maxLength: 64, description: 'A 6-digit TOTP code or a 10-character recovery code' }),
          confirmation_token: t.String({ minLength: 1, maxLength: 512 }),
        }),
        response: { 200: t.Object({ user: FullUser }) },
        detail: {
          summary: 'Finish a two-factor login',
          description:
            'The checkpoint token is single-use and expires after 5 minutes or 5 wrong codes. TOTP codes cannot be replayed; each recovery code works once.',
        },
      },
    )
}

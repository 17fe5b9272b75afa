import { and, eq, gt, lt, sql } from 'drizzle-orm'
import type { Db, PluginContext, Secrets, SettingsSnapshot, Tx } from 'hatchery'
import type { MailApi } from '../../mail'
import { userPasswordResets } from '../tables'
import { randomAlnum, type Actor } from 'hatchery'
import { userTransaction, type UserRow } from './users'

export const RESET_TOKEN_LENGTH = 96
/** A reset token works this long after it was made, once. */
export const RESET_TOKEN_SECONDS = 20 * 60

const fresh = () => gt(userPasswordResets.created, sql`now() - make_interval(secs => ${RESET_TOKEN_SECONDS})`)

/**
 * Makes a single-use password reset token for a user (96 letters and digits; stored as its first
 * 16 characters and a keyed hash). Returns the token, to be mailed and never stored in clear.
 * @example const token = await createPasswordReset(tx, ctx.secrets, user.uuid)
 */
export async function createPasswordReset(db: Db | Tx, secrets: Secrets, userUuid: string): Promise<string> {
  const token = randomAlnum(RESET_TOKEN_LENGTH)
  await db.insert(userPasswordResets).values({ user_uuid: userUuid, token_start: token.slice(0, 16), token_hash: secrets.hmac(token) })
  return token
}

/** True when a token was made for the user in the last 20 minutes. */
export async function hasRecentPasswordReset(db: Db | Tx, userUuid: string): Promise<boolean> {
  return (await db.$count(userPasswordResets, and(eq(userPasswordResets.user_uuid, userUuid), fresh()))) > 0
}

/** Uses a token up: the user it was made for, or null when it is unknown, expired or already used. */
export async function consumePasswordReset(db: Db | Tx, secrets: Secrets, token: string): Promise<string | null> {
  if (token.length !== RESET_TOKEN_LENGTH) return null
  const rows = await db
    .select({ uuid: userPasswordResets.uuid, token_hash: userPasswordResets.token_hash })
    .from(userPasswordResets)
    .where(and(eq(userPasswordResets.token_start, token.slice(0, 16)), fresh()))
  const match = rows.find((r) => secrets.verifyHmac(token, r.token_hash))
  if (!match) return null
  const [gone] = await db
    .delete(userPasswordResets)
    .where(eq(userPasswordResets.uuid, match.uuid))
    .returning({ user_uuid: userPasswordResets.user_uuid })
  return gone?.user_uuid ?? null
}

/** Deletes expired tokens (a job). */
export async function purgePasswordResets(db: Db | Tx): Promise<void> {
  await db.delete(userPasswordResets).where(lt(userPasswordResets.created, sql`now() - make_interval(secs => ${RESET_TOKEN_SECONDS})`))
}

/** `<app.url>/auth/reset-password?token=<token>`: the page of the web client that takes the token. */
export function resetLink(settings: SettingsSnapshot, token: string): string {
  return `${settings.get('app.url').replace(/\/+$/, '')}/auth/reset-password?token=${encodeURIComponent(token)}`
}

/** The `user` variable of the mail templates. */
export function userMailContext(user: UserRow) {
  return { uuid: user.uuid, username: user.username, email: user.email, name_first: user.name_first, name_last: user.name_last }
}

export interface PasswordLinkOptions {
  /** `password_reset` or `account_created` (any template taking `user` and `reset_link`). */
  template: string
  /** User activity written with the token, e.g. `email:password-reset`, `email:account-created`. */
  event: string
  actor: Actor
  data?: Record<string, unknown>
  /** Do nothing (and return false) when a token was made for the user in the last 20 minutes. */
  unlessRecent?: boolean
}

/**
 * Makes a reset token and writes the activity in one transaction, then mails the link in the
 * background (a delivery failure is logged, not thrown). Returns whether a link was sent.
 * @example await mailPasswordLink(ctx, ctx.api(mail), user, { template: 'account_created', event: 'email:account-created', actor })
 */
export async function mailPasswordLink(ctx: PluginContext, mailer: MailApi, user: UserRow, opts: PasswordLinkOptions): Promise<boolean> {
  const token = await userTransaction(ctx.db, user.uuid, async (tx) => {
    // The user's row is locked, so of concurrent requests only one makes a token.
    if (opts.unlessRecent && (await hasRecentPasswordReset(tx, user.uuid))) return null
    const token = await createPasswordReset(tx, ctx.secrets, user.uuid)
    await ctx.activity.user(tx, opts.actor, opts.event, opts.data ?? {})
    return token
  })
  if (token === null) return false
  const settings = await ctx.settings.snapshot()
  mailer.sendLater(opts.template, user.email, { user: userMailContext(user), reset_link: resetLink(settings, token) })
  return true
}

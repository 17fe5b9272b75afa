import { and, eq } from 'drizzle-orm'
import { BadRequest, Conflict, randomAlnum, type ActivityLogs, type Actor, type Db, type Secrets, type Tx } from 'hatchery'
import { userRecoveryCodes, users } from '../tables'
import { removeTwoFactor } from './credential-policy'
import { assertCurrentPassword } from './passwords'
import { getUser, userTransaction } from './users'

export const TOTP_PERIOD = 30
export const RECOVERY_CODE_COUNT = 10
export const RECOVERY_CODE_LENGTH = 10

// otplib (~12 MiB) is loaded on the first two-factor operation.
let otplib: Promise<typeof import('otplib')> | undefined
const otp = () => (otplib ??= import('otplib'))

/** A new TOTP secret: 20 random bytes in base32 (32 characters). */
export async function newTotpSecret(): Promise<string> {
  return (await otp()).generateSecret({ length: 20 })
}

/** The `otpauth://` URL an authenticator app scans (the client renders the QR code). */
export function otpUrl(appName: string, email: string, secret: string): string {
  const app = encodeURIComponent(appName)
  return `otpauth://totp/${app}:${encodeURIComponent(email)}?secret=${secret}&issuer=${app}`
}

/**
 * Checks a 6-digit code (SHA-1, 30 s, ±1 step). With `lastUsed`, a code of that step or an
 * earlier one is refused as a replay. Returns the start of the matched step, or a reason.
 */
export async function checkTotp(
  secret: string,
  code: string,
  lastUsed: Date | null,
): Promise<{ ok: true; step: Date } | { ok: false; replay: boolean }> {
  if (!/^\d{6}$/.test(code)) return { ok: false, replay: false }
  const result = await (await otp()).verify({ secret, token: code, epochTolerance: TOTP_PERIOD })
  if (!result.valid) return { ok: false, replay: false }
  const timeStep = (result as { timeStep: number }).timeStep
  if (lastUsed && timeStep <= Math.floor(lastUsed.getTime() / 1000 / TOTP_PERIOD)) return { ok: false, replay: true }
  return { ok: true, step: new Date(timeStep * TOTP_PERIOD * 1000) }
}

/** Replaces a user's recovery codes with ten new ones; returns them (shown once, stored hashed). */
export async function newRecoveryCodes(db: Db | Tx, secrets: Secrets, userUuid: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => randomAlnum(RECOVERY_CODE_LENGTH))
  await db.delete(userRecoveryCodes).where(eq(userRecoveryCodes.user_uuid, userUuid))
  await db.insert(userRecoveryCodes).values(codes.map((c) => ({ user_uuid: userUuid, code_hash: secrets.hmac(c) })))
  return codes
}

/** Consumes a recovery code (each works once); false when it does not match. */
export async function useRecoveryCode(db: Db | Tx, secrets: Secrets, userUuid: string, code: string): Promise<boolean> {
  const gone = await db
    .delete(userRecoveryCodes)
    .where(and(eq(userRecoveryCodes.user_uuid, userUuid), eq(userRecoveryCodes.code_hash, secrets.hmac(code))))
    .returning({ user_uuid: userRecoveryCodes.user_uuid })
  return gone.length > 0
}

// The account's own two-factor flows (GET, POST, DELETE /api/client/account/two-factor).

/** Stores a new pending secret for the user (409 when two-factor is on or the account frozen); returns what the authenticator app needs. */
export async function startTwoFactor(
  db: Db,
  secrets: Secrets,
  userUuid: string,
  appName: string,
): Promise<{ otp_url: string; secret: string }> {
  const { user } = await getUser(db, userUuid)
  if (user.totp_enabled) throw new Conflict('two-factor authentication is already enabled')
  if (user.frozen) throw new Conflict('account is frozen')
  const secret = await newTotpSecret()
  await userTransaction(db, user.uuid, (tx) =>
    tx
      .update(users)
      .set({ totp_secret: secrets.encrypt(secret) })
      .where(eq(users.uuid, user.uuid)),
  )
  return { otp_url: otpUrl(appName, user.email, secret), secret }
}

/** Turns two-factor on with the pending secret, a code from it and the password; returns the new recovery codes. */
export async function enableTwoFactor(
  db: Db,
  secrets: Secrets,
  log: ActivityLogs,
  actor: Actor,
  body: { code: string; password: string },
): Promise<string[]> {
  const { user } = await getUser(db, actor.userUuid)
  if (user.totp_enabled) throw new Conflict('two-factor authentication is already enabled')
  if (user.frozen) throw new Conflict('account is frozen')
  if (!user.totp_secret) throw new Conflict('two-factor authentication has not been configured')
  await assertCurrentPassword(user, body.password)
  const check = await checkTotp(secrets.decrypt(user.totp_secret), body.code, null)
  if (!check.ok) throw new BadRequest('invalid confirmation code')
  return userTransaction(db, user.uuid, async (tx) => {
    const codes = await newRecoveryCodes(tx, secrets, user.uuid)
    await tx.update(users).set({ totp_enabled: true, totp_last_used: check.step }).where(eq(users.uuid, user.uuid))
    await log.user(tx, actor, 'account:two-factor.enable', {})
    return codes
  })
}

/** Turns two-factor off with the password and a current TOTP code (6 characters) or a recovery code (10). */
export async function disableOwnTwoFactor(
  db: Db,
  secrets: Secrets,
  log: ActivityLogs,
  actor: Actor,
  body: { code: string; password: string },
): Promise<void> {
  const { user } = await getUser(db, actor.userUuid)
  if (!user.totp_enabled) throw new Conflict('two-factor authentication is not enabled')
  await assertCurrentPassword(user, body.password)
  const code = body.code
  if (code.length !== 6 && code.length !== 10) throw new BadRequest('invalid confirmation code length')
  await userTransaction(db, user.uuid, async (tx) => {
    if (code.length === 6) {
      const check = user.totp_secret ? await checkTotp(secrets.decrypt(user.totp_secret), code, user.totp_last_used) : null
      if (!check?.ok)
        throw new BadRequest(check && !check.ok && check.replay ? 'this code has already been used' : 'invalid confirmation code')
    } else if (!(await useRecoveryCode(tx, secrets, user.uuid, code))) {
      throw new BadRequest('invalid recovery code')
    }
    await removeTwoFactor(tx, user.uuid)
    await log.user(tx, actor, 'account:two-factor.disable', {})
  })
}

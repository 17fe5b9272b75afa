import { and, eq } from 'drizzle-orm'
import type { Db, Secrets, Tx } from 'hatchery'
import { userRecoveryCodes } from '../tables'
import { randomAlnum } from 'hatchery'

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
export async function checkTotp(secret: string, code: string, lastUsed: Date | null): Promise<{ ok: true; step: Date } | { ok: false; replay: boolean }> {
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

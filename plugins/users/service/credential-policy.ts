import { and, eq, ne } from 'drizzle-orm'
import type { Tx } from 'hatchery'
import { userLoginCheckpoints, userPasswordResets, userRecoveryCodes, userSessions, users } from '../tables'
import { setPassword } from './users'

/**
 * The one policy of a password change, whoever makes it (the user, an admin, a reset link, the
 * CLI): the new hash, and everything issued for the old password ends — the user's sessions (but
 * `keepSession`, the one making the change), reset links and pending two-factor logins.
 * Call it inside the user's transaction (`userTransaction`).
 */
export async function changePassword(
  tx: Tx,
  userUuid: string,
  password: string,
  opts: { keepSession?: string | null } = {},
): Promise<void> {
  await setPassword(tx, userUuid, password)
  const keep = opts.keepSession
  await tx.delete(userSessions).where(and(eq(userSessions.user_uuid, userUuid), keep ? ne(userSessions.uuid, keep) : undefined))
  await dropResetLinks(tx, userUuid)
  await tx.delete(userLoginCheckpoints).where(eq(userLoginCheckpoints.user_uuid, userUuid))
}

/** Reset links were mailed to the old address or for the old password: a new one of either voids them. */
export async function dropResetLinks(tx: Tx, userUuid: string): Promise<void> {
  await tx.delete(userPasswordResets).where(eq(userPasswordResets.user_uuid, userUuid))
}

/** The one policy of removing two-factor (the user, an admin, the CLI): the secret and the recovery codes go. */
export async function removeTwoFactor(tx: Tx, userUuid: string): Promise<void> {
  await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.user_uuid, userUuid))
  await tx.update(users).set({ totp_enabled: false, totp_last_used: null, totp_secret: null }).where(eq(users.uuid, userUuid))
}

import { Forbidden } from 'hatchery'

/** argon2id through Bun.password; parameters are Bun's defaults (64 MiB, t=2). */
export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' })
}

// Verifying against this keeps "no such user" as slow as "wrong password".
let dummy: Promise<string> | undefined

/** Constant-effort check; a null hash (no password set, or no user) never matches. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  if (!hash) {
    dummy ??= hashPassword('not-a-real-password')
    await Bun.password.verify(password, await dummy).catch(() => false)
    return false
  }
  try {
    return await Bun.password.verify(password, hash)
  } catch {
    return false
  }
}

/** 403 `invalid password` unless `password` is the user's current one; a user without a password (e.g. created for an OAuth login) passes with any value. */
export async function assertCurrentPassword(user: { password: string | null }, password: string): Promise<void> {
  if (user.password !== null && !(await verifyPassword(password, user.password))) throw new Forbidden('invalid password')
}

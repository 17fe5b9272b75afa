/**
 * Builders shared by this plugin's tests: its API inside a test app, direct user changes, and
 * two-factor setup with codes that are not refused as replays. The generic helpers (callers,
 * activity, models) come from `hatchery/testing`.
 */
import { eq } from 'drizzle-orm'
import { totp, type TestApp } from 'hatchery/testing'
import usersPlugin, { tables, type UsersApi } from '.'

/** The users plugin's public API inside a test app (credentials cache, batched writes). */
export function usersApi(t: TestApp): UsersApi {
  return t.kernel.contexts.get('users')!.api(usersPlugin)
}

/** Changes a user row directly and drops the credential caches of `apps` (default: `t`). */
export async function updateUser(
  t: TestApp,
  uuid: string,
  values: Partial<typeof tables.users.$inferInsert>,
  apps: TestApp[] = [t],
): Promise<void> {
  await t.kernel.database.db.update(tables.users).set(values).where(eq(tables.users.uuid, uuid))
  for (const app of apps) usersApi(app).credentials.invalidate()
}

/** The start (ms) of the 30-second TOTP step containing `at`. */
export const stepOf = (at: number) => Math.floor(at / 30_000) * 30_000

/**
 * Enables TOTP through the API (GET secret, POST code of the current step). Returns the secret,
 * the recovery codes and the step used, so later codes can be taken from a later step.
 */
export async function enableTwoFactor(t: TestApp, cookie: string, password: string) {
  const setup = await t.request('GET', '/api/client/account/two-factor', { cookie })
  if (setup.status !== 200) throw new Error(`two-factor setup failed: ${setup.status} ${setup.text}`)
  const usedAt = Date.now()
  const enable = await t.request('POST', '/api/client/account/two-factor', {
    cookie,
    body: { code: await totp(setup.body.secret, usedAt), password },
  })
  if (enable.status !== 200) throw new Error(`two-factor enable failed: ${enable.status} ${enable.text}`)
  return { secret: setup.body.secret as string, recoveryCodes: enable.body.recovery_codes as string[], usedStep: stepOf(usedAt) }
}

/**
 * A code of the step after `lastStep` (accepted thanks to the ±1 step window while that step is
 * current or next), so it is not refused as a replay.
 */
export function codeAfter(secret: string, lastStep: number): { code: Promise<string>; step: number } {
  const step = Math.max(lastStep + 30_000, stepOf(Date.now()))
  return { code: totp(secret, step + 1000), step }
}

import { expect } from 'bun:test'
import { asc, eq } from 'drizzle-orm'
import usersPlugin, { type UsersApi } from '../../plugins/users'
import { userActivities, users } from '../../plugins/users/tables'
import { totp, type TestApp } from '../../src/testing'

export { expectModel, fromWire, relaxRateLimits } from '../../src/testing'

/** The users plugin's public API inside a test app (credentials cache, batched writes). */
export function usersApi(t: TestApp): UsersApi {
  return t.kernel.contexts.get('users')!.api(usersPlugin)
}

/** A user's activity rows, oldest first. */
export async function activitiesOf(t: TestApp, userUuid: string) {
  return t.kernel.database.db.select().from(userActivities).where(eq(userActivities.user_uuid, userUuid)).orderBy(asc(userActivities.id))
}

/** The newest activity row of a user with this event (fails the test when there is none). */
export async function lastActivity(t: TestApp, userUuid: string, event: string) {
  const rows = (await activitiesOf(t, userUuid)).filter((r) => r.event === event)
  expect(rows.length).toBeGreaterThan(0)
  return rows[rows.length - 1]
}

/** Changes a user row directly and drops the credential caches of `apps` (default: `t`). */
export async function updateUser(t: TestApp, uuid: string, values: Partial<typeof users.$inferInsert>, apps: TestApp[] = [t]): Promise<void> {
  await t.kernel.database.db.update(users).set(values).where(eq(users.uuid, uuid))
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
  const enable = await t.request('POST', '/api/client/account/two-factor', { cookie, body: { code: await totp(setup.body.secret, usedAt), password } })
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

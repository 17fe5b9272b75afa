import { expect } from 'bun:test'
import type { TestApp } from './app'
import { expectModel, relaxRateLimits } from './auth'
import { login, makeApiKey, makeUser, type TestUser } from './users'

let seq = 0

/** A caller of the admin API: the user, a session cookie, and the role it holds (if any). */
export interface AdminCaller extends TestUser {
  cookie: string
  role?: { uuid: string; name: string }
}

export { expectModel }

/** Relaxes the rate limits (many logins from one address) for the app `t`. */
export const prepareAdminTests = relaxRateLimits

/** An administrator (admin flag) with a session. */
export async function adminCaller(t: TestApp): Promise<AdminCaller> {
  const user = await makeUser(t, { admin: true })
  return { ...user, cookie: await login(t, user) }
}

/**
 * A user without the admin flag holding a role made through the API (by `admin`) with these
 * permissions, logged in.
 */
export async function roleCaller(t: TestApp, admin: AdminCaller, adminPermissions: string[], serverPermissions: string[] = []): Promise<AdminCaller> {
  const role = await t.request('POST', '/api/admin/roles', {
    cookie: admin.cookie,
    body: { name: `role${++seq}_${Math.random().toString(36).slice(2, 7)}`, require_two_factor: false, admin_permissions: adminPermissions, server_permissions: serverPermissions },
  })
  expect(role.status).toBe(200)
  const user = await makeUser(t)
  const set = await t.request('PATCH', `/api/admin/users/${user.uuid}`, { cookie: admin.cookie, body: { role_uuid: role.body.role.uuid } })
  expect(set.status).toBe(200)
  return { ...user, cookie: await login(t, user), role: { uuid: role.body.role.uuid, name: role.body.role.name } }
}

/** A plain user (no admin flag, no role), logged in. */
export async function plainCaller(t: TestApp): Promise<AdminCaller> {
  const user = await makeUser(t)
  return { ...user, cookie: await login(t, user) }
}

/** An API key of an administrator holding only these admin permissions. */
export async function narrowedAdminKey(t: TestApp, admin: AdminCaller, adminPermissions: string[], serverPermissions: string[] = []): Promise<string> {
  return (await makeApiKey(t, admin.cookie, { admin_permissions: adminPermissions, server_permissions: serverPermissions })).key
}

/** The newest admin activity entries with this event (read straight from the log route as `admin`). */
export async function adminEvents(t: TestApp, admin: AdminCaller, event: string): Promise<any[]> {
  const res = await t.request('GET', `/api/admin/activity?per_page=100&search=${encodeURIComponent(event)}`, { cookie: admin.cookie })
  expect(res.status).toBe(200)
  return res.body.activities.data.filter((a: any) => a.event === event)
}

/**
 * Asserts the four refusals every admin route gives: no credentials (401), a user who cannot
 * enter the admin area (403 `unauthorized`), and `denied` callers (cookies or API keys) lacking
 * `permission` (403 naming it).
 */
export async function expectGuarded(
  t: TestApp,
  route: { method: string; path: string; body?: unknown },
  plain: AdminCaller,
  denied: { cookie?: string; token?: string }[],
  permission: string,
): Promise<void> {
  const { method, path, body } = route
  const anonymous = await t.request(method, path, { body })
  expect(anonymous.status).toBe(401)
  expect(anonymous.body.errors).toEqual(['missing authorization'])
  const outsider = await t.request(method, path, { body, cookie: plain.cookie })
  expect(outsider.status).toBe(403)
  expect(outsider.body.errors).toEqual(['unauthorized'])
  for (const who of denied) {
    const res = await t.request(method, path, { body, ...who })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual([`you do not have permission to perform this action: ${permission}`])
  }
}

import { expect } from 'bun:test'
import { generate } from 'otplib'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import type { TestApp } from './app'
// Not part of the users plugin's public surface: a test inserts users without the API's checks.
import { createUser as insertUser, type NewUser } from '../../plugins/users/service/users'

let seq = 0

export interface TestUser {
  uuid: string
  username: string
  email: string
  password: string
}

/** Inserts a user directly (admin or not); password defaults to `password123`. */
export async function makeUser(t: TestApp, overrides: Partial<NewUser> = {}): Promise<TestUser> {
  const n = ++seq
  const username = overrides.username ?? `user${n}_${Math.random().toString(36).slice(2, 7)}`
  const input: NewUser = {
    username,
    email: overrides.email ?? `${username}@example.com`,
    name_first: 'Test',
    name_last: `User${n}`,
    password: 'password123',
    ...overrides,
  }
  const row = await insertUser(t.kernel.database.db, input)
  return { uuid: row.uuid, username: row.username, email: row.email, password: input.password ?? '' }
}

/** The `name=value` pair of a Set-Cookie header (for the next request's Cookie header). */
export function cookieOf(res: { headers: Headers }): string {
  const header = res.headers.get('set-cookie')
  if (!header) throw new Error('no set-cookie header')
  return header.split(';')[0]
}

/** Logs in with the password and returns the session cookie (`name=value`). */
export async function login(t: TestApp, user: { username: string; password: string }, ip?: string): Promise<string> {
  const res = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password }, ip })
  if (res.status !== 200 || res.body.type !== 'completed') throw new Error(`login failed: ${res.status} ${res.text}`)
  return cookieOf(res)
}

/** Creates an API key through the API (as `cookie`); returns the full key and its uuid. */
export async function makeApiKey(
  t: TestApp,
  cookie: string,
  body: Partial<{
    name: string
    allowed_ips: string[]
    user_permissions: string[]
    admin_permissions: string[]
    server_permissions: string[]
    expires: string | null
  }> = {},
): Promise<{ key: string; uuid: string }> {
  const res = await t.request('POST', '/api/client/account/api-keys', {
    cookie,
    body: { name: `key${++seq}`, allowed_ips: [], user_permissions: [], admin_permissions: [], server_permissions: [], ...body },
  })
  if (res.status !== 200) throw new Error(`api key creation failed: ${res.status} ${res.text}`)
  return { key: res.body.key, uuid: res.body.api_key.uuid }
}

/** The current TOTP code for a base32 secret. */
export function totp(secret: string, at = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) })
}

/** Raises the login and client rate limits so a test file can log in as often as it needs. */
export async function relaxRateLimits(t: TestApp): Promise<void> {
  const many = { hits: 100_000, window_seconds: 60 }
  await t.kernel.settings.update({ 'ratelimits.auth_login': many, 'ratelimits.auth_login_checkpoint': many, 'ratelimits.client': many })
}

let roleSeq = 0

/** A caller of the admin API: the user, a session cookie, and the role it holds (if any). */
export interface AdminCaller extends TestUser {
  cookie: string
  role?: { uuid: string; name: string }
}

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
export async function roleCaller(
  t: TestApp,
  admin: AdminCaller,
  adminPermissions: string[],
  serverPermissions: string[] = [],
): Promise<AdminCaller> {
  const role = await t.request('POST', '/api/admin/roles', {
    cookie: admin.cookie,
    body: {
      name: `role${++roleSeq}_${Math.random().toString(36).slice(2, 7)}`,
      require_two_factor: false,
      admin_permissions: adminPermissions,
      server_permissions: serverPermissions,
    },
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
export async function narrowedAdminKey(
  t: TestApp,
  admin: AdminCaller,
  adminPermissions: string[],
  serverPermissions: string[] = [],
): Promise<string> {
  return (await makeApiKey(t, admin.cookie, { admin_permissions: adminPermissions, server_permissions: serverPermissions })).key
}

/** The callers an admin-route test file needs (see `adminCallers`). */
export interface AdminCallers {
  admin: AdminCaller
  /** A user without admin rights: 403 `unauthorized` in the admin area. */
  plain: AdminCaller
  /** A role holding only the given admin permissions. */
  limited: AdminCaller
  /** An administrator's API key narrowed to the given admin permissions. */
  limitedKey: string
}

/**
 * Relaxes the rate limits, then makes an administrator, a plain user, and a role and a narrowed
 * API key holding only `permissions`: the usual cast of an admin-route test file.
 * @example beforeAll(async () => void ({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['mounts.read'])), SETUP_TIMEOUT)
 */
export async function adminCallers(t: TestApp, permissions: string[]): Promise<AdminCallers> {
  await prepareAdminTests(t)
  const admin = await adminCaller(t)
  const plain = await plainCaller(t)
  const limited = await roleCaller(t, admin, permissions)
  return { admin, plain, limited, limitedKey: await narrowedAdminKey(t, admin, permissions) }
}

/** The newest admin activity entries with this event (read straight from the log route as `admin`). */
export async function adminEvents(t: TestApp, admin: AdminCaller, event: string): Promise<any[]> {
  const res = await t.request('GET', `/api/admin/activity?per_page=100&search=${encodeURIComponent(event)}`, { cookie: admin.cookie })
  expect(res.status).toBe(200)
  return res.body.activities.data.filter((a: any) => a.event === event)
}

/**
 * Asserts the refusals every guarded route gives: no credentials (401), a user who cannot enter
 * the admin area (403 `unauthorized`; pass `plain: null` for a client route), and `denied`
 * callers (cookies or API keys) lacking `permission` (403 naming it).
 */
export async function expectGuarded(
  t: TestApp,
  route: { method: string; path: string; body?: unknown },
  plain: AdminCaller | null,
  denied: { cookie?: string; token?: string }[],
  permission: string,
): Promise<void> {
  const { method, path, body } = route
  const anonymous = await t.request(method, path, { body })
  expect(anonymous.status).toBe(401)
  expect(anonymous.body.errors).toEqual(['missing authorization'])
  if (plain) {
    const outsider = await t.request(method, path, { body, cookie: plain.cookie })
    expect(outsider.status).toBe(403)
    expect(outsider.body.errors).toEqual(['unauthorized'])
  }
  for (const who of denied) {
    const res = await t.request(method, path, { body, ...who })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual([`you do not have permission to perform this action: ${permission}`])
  }
}

/** Turns RFC 3339 strings back into Dates where `schema` has a Date, so Value.Check can judge a wire body. */
export function fromWire(schema: TSchema, value: unknown): unknown {
  const s = schema as any
  if (s.anyOf) {
    for (const option of s.anyOf) {
      const v = fromWire(option, value)
      if (Value.Check(option, v)) return v
    }
    return value
  }
  if (s.type === 'Date' || s[Symbol.for('TypeBox.Kind')] === 'Date') {
    return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? new Date(value) : value
  }
  if (s.type === 'object' && s.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, s.properties[k] ? fromWire(s.properties[k], v) : v]))
  }
  if (s.type === 'array' && s.items && Array.isArray(value)) return value.map((v) => fromWire(s.items, v))
  return value
}

/** Asserts a wire object matches a TypeBox object model: same keys in the same order, valid values. */
export function expectModel(schema: TSchema, value: unknown): void {
  expect(value).toBeObject()
  expect(Object.keys(value as object)).toEqual(Object.keys((schema as any).properties))
  const converted = fromWire(schema, value)
  const errors = [...Value.Errors(schema, converted)].map((e) => `${e.path}: ${e.message}`)
  expect(errors).toEqual([])
}

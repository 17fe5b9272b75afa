import { generate } from 'otplib'
import type { TestApp } from './app'
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
  body: Partial<{ name: string; allowed_ips: string[]; user_permissions: string[]; admin_permissions: string[]; server_permissions: string[]; expires: string | null }> = {},
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

import { eq, sql } from 'drizzle-orm'
import { NotFound, emit, transaction, uniqueAs, wireReady, type Db, type PrincipalUser, type SettingsSnapshot, type Tx } from 'hatchery'
import { roles, userSecurityKeys, users } from '../tables'
import { hashPassword } from './passwords'

export type UserRow = typeof users.$inferSelect
export type RoleRow = typeof roles.$inferSelect
/** `has_security_key`: the user has a registered passkey (set by `findUser`/`findByLogin`). */
export type UserWithRole = { user: UserRow; role: RoleRow | null; has_security_key?: boolean }

export interface NewUser {
  username: string
  email: string
  name_first: string
  name_last: string
  password?: string | null
  admin?: boolean
  frozen?: boolean
  suspended?: boolean
  language?: string
  role_uuid?: string | null
  external_id?: string | null
}

/** Two-factor is required by the user's role when it has one, else by `app.two_factor_requirement`. */
export function requiresTwoFactor(user: UserRow, role: RoleRow | null, settings: SettingsSnapshot): boolean {
  if (role) return role.require_two_factor
  const rule = settings.get('app.two_factor_requirement')
  return rule === 'all_users' || (rule === 'admins' && user.admin)
}

/** Public URL of a stored avatar path. */
export function avatarUrl(path: string | null, settings: SettingsSnapshot): string | null {
  if (!path) return null
  return `${settings.get('app.url').replace(/\/+$/, '')}/${path}`
}

export function toShortUser(user: UserRow, settings: SettingsSnapshot) {
  return {
    uuid: user.uuid,
    username: user.username,
    avatar: avatarUrl(user.avatar, settings),
    totp_enabled: user.totp_enabled,
    created: user.created,
  }
}

export function toFullUser({ user, role }: UserWithRole, settings: SettingsSnapshot) {
  return {
    uuid: user.uuid,
    username: user.username,
    role,
    avatar: avatarUrl(user.avatar, settings),
    email: user.email,
    name_first: user.name_first,
    name_last: user.name_last,
    admin: user.admin,
    frozen: user.frozen,
    suspended: user.suspended,
    totp_enabled: user.totp_enabled,
    totp_last_used: user.totp_last_used,
    require_two_factor: requiresTwoFactor(user, role, settings),
    language: user.language,
    toast_position: user.toast_position,
    start_on_grouped_servers: user.start_on_grouped_servers,
    has_password: user.password !== null,
    created: user.created,
  }
}

export function toAdminUser(u: UserWithRole, settings: SettingsSnapshot) {
  const { uuid, ...rest } = toFullUser(u, settings)
  return { uuid, external_id: u.user.external_id, ...rest }
}

/**
 * Per loaded row (the credentials cache hands out one object per user for up to a second) and
 * settings snapshot: what every authenticated request of that user derives from them again.
 */
const derived = new WeakMap<
  UserWithRole,
  { settings: SettingsSnapshot; principal?: PrincipalUser; account?: Readonly<{ user: ReturnType<typeof toFullUser> }> }
>()
function derivedOf(record: UserWithRole, settings: SettingsSnapshot) {
  let hit = derived.get(record)
  if (hit?.settings !== settings) derived.set(record, (hit = { settings }))
  return hit
}

/** `toPrincipalUser`, made once per loaded row and snapshot (frozen: principals share it). */
export function principalUserOf(record: UserWithRole, settings: SettingsSnapshot): PrincipalUser {
  const hit = derivedOf(record, settings)
  return (hit.principal ??= Object.freeze(toPrincipalUser(record, settings)))
}

/**
 * The answer of `GET /api/client/account` (`{user: toFullUser(…)}`) as wire data, made once per
 * loaded row and snapshot: the kernel then encodes it once per format.
 */
export function accountAnswerOf(record: UserWithRole, settings: SettingsSnapshot): Readonly<{ user: ReturnType<typeof toFullUser> }> {
  const hit = derivedOf(record, settings)
  return (hit.account ??= wireReady({ user: toFullUser(record, settings) }))
}

export function toPrincipalUser({ user, role, has_security_key }: UserWithRole, settings: SettingsSnapshot): PrincipalUser {
  return {
    uuid: user.uuid,
    username: user.username,
    email: user.email,
    admin: user.admin,
    suspended: user.suspended,
    frozen: user.frozen,
    totpEnabled: user.totp_enabled,
    // A registered passkey (user verification required) is a second factor like TOTP, while security keys are enabled.
    requireTwoFactor: requiresTwoFactor(user, role, settings) && !(has_security_key && settings.get('webauthn.enabled')),
    role: role
      ? { uuid: role.uuid, name: role.name, adminPermissions: role.admin_permissions, serverPermissions: role.server_permissions }
      : null,
  }
}

const hasSecurityKey = sql<boolean>`exists (select 1 from ${userSecurityKeys} where ${userSecurityKeys.user_uuid} = ${users.uuid} and ${userSecurityKeys.credential_id} is not null)`
const withRole = (db: Db | Tx) =>
  db.select({ user: users, role: roles, has_security_key: hasSecurityKey }).from(users).leftJoin(roles, eq(roles.uuid, users.role_uuid))

export async function findUser(db: Db | Tx, uuid: string): Promise<UserWithRole | null> {
  const [row] = await withRole(db).where(eq(users.uuid, uuid)).limit(1)
  return row ?? null
}

export async function getUser(db: Db | Tx, uuid: string): Promise<UserWithRole> {
  const row = await findUser(db, uuid)
  if (!row) throw new NotFound('user not found')
  return row
}

/** By email when the text contains `@`, else by username; both case-insensitive. */
export async function findByLogin(db: Db | Tx, login: string): Promise<UserWithRole | null> {
  const column = login.includes('@') ? users.email : users.username
  const [row] = await withRole(db)
    .where(eq(sql`lower(${column})`, login.toLowerCase()))
    .limit(1)
  return row ?? null
}

/** Creates a user; a taken username, email or external id is a 409. */
export async function createUser(db: Db | Tx, input: NewUser): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({
      username: input.username,
      email: input.email,
      name_first: input.name_first,
      name_last: input.name_last,
      password: input.password ? await hashPassword(input.password) : null,
      admin: input.admin ?? false,
      frozen: input.frozen ?? false,
      suspended: input.suspended ?? false,
      language: input.language ?? 'en',
      role_uuid: input.role_uuid ?? null,
      external_id: input.external_id ?? null,
    })
    .returning()
    .catch(uniqueAs('user with username or email already exists'))
  return row
}

/** Sets (or clears) a user's password. */
export async function setPassword(db: Db | Tx, uuid: string, password: string | null): Promise<void> {
  const hash = password === null ? null : await hashPassword(password)
  const done = await db.update(users).set({ password: hash }).where(eq(users.uuid, uuid)).returning({ uuid: users.uuid })
  if (done.length === 0) throw new NotFound('user not found')
}

/**
 * Locks a user's row until the transaction ends and returns it (undefined when there is none).
 *
 * The lock-order rule: a transaction that writes rows belonging to a user (snippets, keys,
 * sessions, activity…) locks that user's row first, through this function, before touching any
 * other row — so two such transactions of one user queue here instead of deadlocking later.
 * Use `userTransaction`, which also re-runs the transaction after a deadlock.
 *
 * `FOR NO KEY UPDATE`, not `FOR UPDATE`: it conflicts with itself, with `FOR SHARE` and with plain
 * `UPDATE users` (which takes the same lock), so callers still serialise and per-user limits
 * (`user.max_*`: count, then insert) stay exact. It does not conflict with `FOR KEY SHARE`, the
 * lock PostgreSQL takes on the user row to check the foreign key of every insert that references
 * it (an activity entry, a snippet). With `FOR UPDATE`, a transaction that inserted activity first
 * (holding `KEY SHARE`) and then waited on a row of ours deadlocked against us waiting for its
 * `KEY SHARE` to go. Only deleting the user or changing its uuid still waits for those checks.
 */
export async function lockUser(tx: Tx, uuid: string): Promise<UserRow | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.uuid, uuid)).for('no key update')
  await emit(tx, USER_CHANGED, { user: uuid })
  return row
}

/**
 * Emitted (after commit) by every transaction that locked a user's row to write it or rows it
 * owns (`{ user }`), and with no user by changes that reach many users (a role): the credentials
 * cache forgets what it holds of them.
 */
export const USER_CHANGED = 'users.changed'

/**
 * Runs `fn` in a `transaction()` (re-run after a deadlock or serialization failure) that first
 * locks the user's row (`lockUser`), and hands it the locked row. `fn` may run more than once:
 * only database work through `tx` inside; mail and files after. After the commit, `USER_CHANGED`
 * reaches the credentials cache.
 * @example
 * await userTransaction(ctx.db, actor.userUuid, async (tx) => {
 *   await tx.delete(userSshKeys).where(eq(userSshKeys.uuid, uuid))
 *   await ctx.activity.user(tx, actor, 'ssh-key:delete', { uuid })
 * })
 */
export function userTransaction<T>(db: Db | Tx, userUuid: string, fn: (tx: Tx, user: UserRow | undefined) => Promise<T>): Promise<T> {
  return transaction(db, async (tx) => fn(tx, await lockUser(tx, userUuid)))
}

export async function countUsers(db: Db | Tx): Promise<number> {
  return db.$count(users)
}

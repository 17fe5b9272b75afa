import { asc, eq, getTableColumns, sql } from 'drizzle-orm'
import { BadRequest, Conflict, Forbidden, Validation, paginate, type Db, type PageParams, type SettingsSnapshot, type Tx } from 'hatchery'
import { roles, users } from '../tables'
import { changePassword, removeTwoFactor } from './credential-policy'
import { isLanguage } from '../languages'
import { hashPassword } from './passwords'
import { getUser, toAdminUser, type RoleRow, type UserRow, type UserWithRole } from './users'
import { assertMayModify, holdsAll, type Privileges } from './privileges'
import type { DeletionGuards } from './deletion-guards'

export interface AdminUserCreate {
  role_uuid?: string | null
  external_id?: string | null
  username: string
  email: string
  name_first: string
  name_last: string
  password?: string | null
  admin: boolean
  frozen?: boolean
  suspended?: boolean
  language: string
}

/** Absent = unchanged; `role_uuid` and `external_id` null = cleared; `password` null = unchanged. */
export interface AdminUserUpdate {
  role_uuid?: string | null
  external_id?: string | null
  username?: string
  email?: string
  name_first?: string
  name_last?: string
  password?: string | null
  toast_position?: string
  start_on_grouped_servers?: boolean
  admin?: boolean
  frozen?: boolean
  suspended?: boolean
  language?: string
}

/** `user:create` / `user:update` activity data (spec 02 §14). */
export const userAudit = (u: UserRow) => ({
  uuid: u.uuid,
  role_uuid: u.role_uuid,
  username: u.username,
  email: u.email,
  name_first: u.name_first,
  name_last: u.name_last,
  admin: u.admin,
  language: u.language,
})

/** Users with their role, `created` ascending; `search` matches username or email; optionally one role's users. */
export function listAdminUsers(db: Db | Tx, page: PageParams, settings: SettingsSnapshot, filter: { role?: string } = {}) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ user: getTableColumns(users), role: getTableColumns(roles), ...total })
          .from(users)
          .leftJoin(roles, eq(roles.uuid, users.role_uuid)),
      where: filter.role ? eq(users.role_uuid, filter.role) : undefined,
      search: [users.username, users.email],
      orderBy: [asc(users.created), asc(users.uuid)],
      map: (r) => toAdminUser(r, settings),
    },
    page,
  )
}

export async function findUserByExternalId(db: Db | Tx, externalId: string): Promise<UserWithRole | null> {
  const [row] = await db
    .select({ user: users, role: roles })
    .from(users)
    .leftJoin(roles, eq(roles.uuid, users.role_uuid))
    .where(eq(users.external_id, externalId))
    .limit(1)
  return row ?? null
}

/** The user and role, the user row locked so the checks made on it hold until commit. */
async function lockedUser(tx: Tx, uuid: string): Promise<UserWithRole> {
  await tx.execute(sql`select 1 from ${users} where ${users.uuid} = ${uuid} for update`)
  return getUser(tx, uuid)
}

function checkLanguage(language: string | undefined): void {
  if (language !== undefined && !isLanguage(language)) throw new Validation(`language: invalid language: ${language}`)
}

/** The role a `role_uuid` names, or 400 as the reference words it. */
async function roleOf(tx: Db | Tx, uuid: string): Promise<RoleRow> {
  const [role] = await tx.select().from(roles).where(eq(roles.uuid, uuid)).limit(1)
  if (!role) throw new BadRequest('invalid relation `role` provided')
  return role
}

function assertMayAssign(caller: Privileges, role: RoleRow): void {
  if (!holdsAll(caller, role.admin_permissions, role.server_permissions))
    throw new Forbidden('you cannot assign a role with more permissions than yourself')
}

/**
 * Creates a user for an admin caller. Without the admin flag the caller can neither grant admin
 * status nor assign a role; an admin whose API key is narrowed cannot grant the admin flag nor a
 * role with permissions the key lacks.
 */
export async function createAdminUser(tx: Tx, caller: Privileges, input: AdminUserCreate): Promise<UserRow> {
  if (!caller.admin) {
    if (input.admin) throw new Forbidden('you cannot grant admin status')
    if (input.role_uuid) throw new Forbidden('you cannot assign roles')
  } else if (!caller.full && input.admin) {
    throw new Forbidden('you cannot grant admin status')
  }
  checkLanguage(input.language)
  if (input.role_uuid) assertMayAssign(caller, await roleOf(tx, input.role_uuid))
  const [row] = await tx
    .insert(users)
    .values({
      role_uuid: input.role_uuid ?? null,
      external_id: input.external_id ?? null,
      username: input.username,
      email: input.email,
      name_first: input.name_first,
      name_last: input.name_last,
      password: input.password ? await hashPassword(input.password) : null,
      admin: input.admin,
      frozen: input.frozen ?? false,
      suspended: input.suspended ?? false,
      language: input.language,
    })
    .returning()
  return row
}

/**
 * Applies an admin update, in the reference's order of refusals (spec 02 §3.4) plus the rule that
 * a caller without the admin flag cannot touch users with more permissions. A new password is
 * `changePassword` (every session, reset link and pending two-factor login ends). Returns the updated row.
 */
export async function updateAdminUser(tx: Tx, caller: Privileges, uuid: string, input: AdminUserUpdate): Promise<UserRow> {
  const target = await lockedUser(tx, uuid)
  const { user } = target
  const roleChanges = input.role_uuid !== undefined && input.role_uuid !== user.role_uuid
  const emailChanges = input.email !== undefined && input.email.toLowerCase() !== user.email.toLowerCase()
  if (!caller.admin) {
    if (input.admin !== undefined && input.admin !== user.admin) throw new Forbidden('you cannot change admin status')
    if (roleChanges) throw new Forbidden("you cannot change a user's role")
    assertMayModify(caller, target)
    if (caller.uuid !== user.uuid) {
      if (input.password) throw new Forbidden("you cannot change another user's password")
      if (emailChanges) throw new Forbidden("you cannot change another user's email")
    }
  } else if (!caller.full && input.admin === true && !user.admin) {
    throw new Forbidden('you cannot grant admin status')
  }
  checkLanguage(input.language)
  if (roleChanges && input.role_uuid) assertMayAssign(caller, await roleOf(tx, input.role_uuid))

  const { password, ...fields } = input
  const values: Partial<typeof users.$inferInsert> = {}
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (values as Record<string, unknown>)[k] = v
  if (password) await changePassword(tx, uuid, password)
  if (Object.keys(values).length === 0) return password ? (await getUser(tx, uuid)).user : user
  const [row] = await tx.update(users).set(values).where(eq(users.uuid, uuid)).returning()
  return row
}

/** Removes a user's two-factor authentication (409 when it is not enabled). */
export async function disableTwoFactor(tx: Tx, caller: Privileges, uuid: string): Promise<UserRow> {
  const target = await lockedUser(tx, uuid)
  assertMayModify(caller, target)
  if (!target.user.totp_enabled) throw new Conflict('two-factor authentication is not enabled')
  await removeTwoFactor(tx, uuid)
  return target.user
}

/** Deletes a user once every deletion guard agrees; sessions, keys and activity go with it. */
export async function deleteAdminUser(tx: Tx, caller: Privileges, uuid: string, guards: DeletionGuards): Promise<UserRow> {
  const target = await lockedUser(tx, uuid)
  assertMayModify(caller, target)
  await guards.check(tx, target.user)
  await tx.delete(users).where(eq(users.uuid, uuid))
  return target.user
}

import { asc, eq } from 'drizzle-orm'
import { Validation, emit, loadOr404, paginate, type Db, type PageParams, type PermissionCatalog, type Tx } from 'hatchery'
import { roles } from '../tables'
import { USER_CHANGED, type RoleRow } from './users'
import { assertRoleWithin, type Privileges } from './privileges'

export interface RoleInput {
  name: string
  description?: string | null
  require_two_factor: boolean
  admin_permissions: string[]
  server_permissions: string[]
}

/** `role:create` / `role:update` activity data (spec 02 §14). */
export const roleAudit = (r: RoleRow) => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  require_two_factor: r.require_two_factor,
  admin_permissions: r.admin_permissions,
  server_permissions: r.server_permissions,
})

const unique = (list: string[] | undefined) => (list ? [...new Set(list)] : undefined)

/** Both lists against the catalogs, every unknown entry reported. */
export function checkPermissionLists(
  catalog: PermissionCatalog,
  lists: { admin_permissions?: string[]; server_permissions?: string[] },
): void {
  const errors: string[] = []
  for (const [field, name] of [
    ['admin_permissions', 'admin'],
    ['server_permissions', 'server'],
  ] as const) {
    const bad = lists[field] ? catalog.firstInvalid(name, lists[field]!) : null
    if (bad) errors.push(`${field}: invalid permission: ${bad}`)
  }
  if (errors.length) throw new Validation(errors)
}

/** The role a path parameter names: 400 for a malformed uuid, 404 for an unknown one. */
export function roleParam(db: Db | Tx, value: string, lock = false): Promise<RoleRow> {
  return loadOr404(db, roles, roles.uuid, value, 'role', { lock })
}

/** Roles by `created` ascending; `search` matches the name. */
export function listRoles(db: Db | Tx, page: PageParams) {
  return paginate(db, { from: roles, search: [roles.name], orderBy: [asc(roles.created), asc(roles.uuid)] }, page)
}

/** A caller without every permission can only create roles within their own (403). */
export async function createRole(tx: Tx, catalog: PermissionCatalog, caller: Privileges, input: RoleInput): Promise<RoleRow> {
  checkPermissionLists(catalog, input)
  assertRoleWithin(caller, input)
  const [row] = await tx
    .insert(roles)
    .values({
      name: input.name,
      description: input.description ?? null,
      require_two_factor: input.require_two_factor,
      admin_permissions: unique(input.admin_permissions),
      server_permissions: unique(input.server_permissions),
    })
    .returning()
  return row
}

/**
 * Updates a role; arrays replace wholesale. A caller without every permission must hold both the
 * role's current permissions and the ones sent.
 */
export async function updateRole(
  tx: Tx,
  catalog: PermissionCatalog,
  caller: Privileges,
  uuid: string,
  input: Partial<RoleInput>,
): Promise<RoleRow> {
  checkPermissionLists(catalog, input)
  const role = await roleParam(tx, uuid, true)
  assertRoleWithin(caller, role)
  assertRoleWithin(caller, { admin_permissions: input.admin_permissions ?? [], server_permissions: input.server_permissions ?? [] })
  const values = {
    name: input.name,
    description: input.description,
    require_two_factor: input.require_two_factor,
    admin_permissions: unique(input.admin_permissions),
    server_permissions: unique(input.server_permissions),
  }
  if (Object.values(values).every((v) => v === undefined)) return role
  const [row] = await tx.update(roles).set(values).where(eq(roles.uuid, role.uuid)).returning()
  await emit(tx, USER_CHANGED)
  return row
}

/** Deletes a role the caller could have created; its users keep no role (FK set null). */
export async function deleteRole(tx: Tx, caller: Privileges, uuid: string): Promise<RoleRow> {
  const role = await roleParam(tx, uuid, true)
  assertRoleWithin(caller, role)
  await tx.delete(roles).where(eq(roles.uuid, role.uuid))
  await emit(tx, USER_CHANGED)
  return role
}

/** Copies description, two-factor rule and both lists under a new name. */
export async function duplicateRole(tx: Tx, caller: Privileges, uuid: string, name: string): Promise<{ source: RoleRow; role: RoleRow }> {
  const source = await roleParam(tx, uuid)
  assertRoleWithin(caller, source)
  const [role] = await tx
    .insert(roles)
    .values({
      name,
      description: source.description,
      require_two_factor: source.require_two_factor,
      admin_permissions: source.admin_permissions,
      server_permissions: source.server_permissions,
    })
    .returning()
  return { source, role }
}

import { Forbidden, type PermissionCatalog, type Principal } from 'hatchery'
import type { RoleRow, UserWithRole } from './users'

/**
 * What an admin caller holds, for the rules against escalation: nobody grants or touches more
 * than they hold. The admin flag holds every admin and server permission; a role holds its
 * lists; an API key narrows either to its own lists.
 */
export interface Privileges {
  /** The effective user (the impersonated one when impersonating). */
  uuid: string
  /** The admin flag. */
  admin: boolean
  /** Admin flag not narrowed by an API key: may grant anything, including the admin flag. */
  full: boolean
  adminPermissions: ReadonlySet<string>
  serverPermissions: ReadonlySet<string>
}

export function privilegesOf(principal: Principal, catalog: PermissionCatalog): Privileges {
  const { user, apiKey } = principal
  let admin = user.admin ? catalog.list('admin') : (user.role?.adminPermissions ?? [])
  let server = user.admin ? catalog.list('server') : (user.role?.serverPermissions ?? [])
  if (apiKey) {
    admin = admin.filter((p) => apiKey.adminPermissions.includes(p))
    server = server.filter((p) => apiKey.serverPermissions.includes(p))
  }
  const full = user.admin && (!apiKey || (admin.length === catalog.list('admin').length && server.length === catalog.list('server').length))
  return { uuid: user.uuid, admin: user.admin, full, adminPermissions: new Set(admin), serverPermissions: new Set(server) }
}

/** Does the caller hold every one of these permissions? */
export function holdsAll(caller: Privileges, admin: readonly string[], server: readonly string[]): boolean {
  if (caller.full) return true
  return admin.every((p) => caller.adminPermissions.has(p)) && server.every((p) => caller.serverPermissions.has(p))
}

/** A role may be created, changed, duplicated or deleted only by a caller holding all of its permissions. */
export function assertRoleWithin(caller: Privileges, role: Pick<RoleRow, 'admin_permissions' | 'server_permissions'>): void {
  if (!holdsAll(caller, role.admin_permissions, role.server_permissions)) throw new Forbidden('permissions: more permissions than self')
}

/**
 * A caller without the admin flag may not act on an administrator, nor on a user whose role holds
 * permissions the caller lacks (the impersonation rule, applied to update, delete and 2FA removal).
 */
export function assertMayModify(caller: Privileges, target: UserWithRole): void {
  if (caller.admin) return
  if (target.user.admin) throw new Forbidden('you cannot modify an administrator')
  if (target.role && !holdsAll(caller, target.role.admin_permissions, target.role.server_permissions)) {
    throw new Forbidden('you cannot modify a user with more permissions than yourself')
  }
}

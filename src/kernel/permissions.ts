import { Forbidden } from './errors'
import { ADMIN_PERMISSIONS, SERVER_PERMISSIONS, USER_PERMISSIONS } from './permission-catalog'

/** Groups of one catalog: `{ group: { description, permissions: { name: description } } }`. */
export type PermissionGroups = Record<string, { description: string; permissions: Record<string, string> }>

export type CatalogName = 'user' | 'admin' | 'server'

/**
 * The three permission catalogs (user, admin, server): the reference's groups plus the groups
 * plugins declare. Permission strings are `<group>.<name>`; there is no wildcard.
 */
export class PermissionCatalog {
  private catalogs: Record<CatalogName, PermissionGroups> = {
    user: structuredClone(USER_PERMISSIONS),
    admin: structuredClone(ADMIN_PERMISSIONS),
    server: structuredClone(SERVER_PERMISSIONS),
  }
  private flat: Record<CatalogName, Set<string>> = { user: new Set(), admin: new Set(), server: new Set() }
  /** Group → the plugin that added it (reference groups have none). */
  private owners: Record<CatalogName, Map<string, string>> = { user: new Map(), admin: new Map(), server: new Map() }
  private hiddenSource?: () => ReadonlySet<string>
  private listed?: { hidden: ReadonlySet<string>; groups: Record<CatalogName, PermissionGroups> }

  constructor() {
    this.reindex()
  }

  /** Adds a plugin's groups; a group that already exists stops boot. */
  add(catalog: CatalogName, groups: PermissionGroups, owner: string): void {
    for (const [name, group] of Object.entries(groups)) {
      if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`${owner}: permission group "${name}" must be kebab-case`)
      if (this.catalogs[catalog][name]) throw new Error(`${owner}: ${catalog} permission group "${name}" already exists`)
      for (const p of Object.keys(group.permissions)) {
        if (!/^[a-z0-9-]+$/.test(p)) throw new Error(`${owner}: permission "${name}.${p}" must be kebab-case`)
      }
      this.catalogs[catalog][name] = group
      this.owners[catalog].set(name, owner)
    }
    this.reindex()
    this.listed = undefined
  }

  /**
   * Where the names of switched-off plugins come from: their groups stay valid (`has`,
   * `firstInvalid`) but `groups` no longer lists them. The source is read on every `groups` call
   * and must be cheap; a new Set means a change.
   */
  hideOwners(source: () => ReadonlySet<string>): void {
    this.hiddenSource = source
  }

  /** The permissions a plugin's groups add, as `catalog:group.permission`. */
  ownedBy(owner: string): string[] {
    const out: string[] = []
    for (const c of ['user', 'admin', 'server'] as const) {
      for (const [group, o] of this.owners[c]) {
        if (o === owner) out.push(...Object.keys(this.catalogs[c][group].permissions).map((p) => `${c}:${group}.${p}`))
      }
    }
    return out
  }

  private reindex() {
    for (const c of ['user', 'admin', 'server'] as const) {
      this.flat[c] = new Set(Object.entries(this.catalogs[c]).flatMap(([g, grp]) => Object.keys(grp.permissions).map((p) => `${g}.${p}`)))
    }
  }

  has(catalog: CatalogName, permission: string): boolean {
    return this.flat[catalog].has(permission)
  }

  /** All permissions of a catalog, in catalog order. */
  list(catalog: CatalogName): string[] {
    return [...this.flat[catalog]]
  }

  /** The groups listed to callers (`GET /api/client/permissions`): those of switched-off plugins are left out. */
  groups(catalog: CatalogName): PermissionGroups {
    const hidden = this.hiddenSource?.()
    if (!hidden || hidden.size === 0) return this.catalogs[catalog]
    if (this.listed?.hidden !== hidden) {
      const visible = (c: CatalogName) =>
        Object.fromEntries(Object.entries(this.catalogs[c]).filter(([g]) => !hidden.has(this.owners[c].get(g) ?? '')))
      this.listed = { hidden, groups: { user: visible('user'), admin: visible('admin'), server: visible('server') } }
    }
    return this.listed.groups[catalog]
  }

  /** The first entry that is not in the catalog, or null. */
  firstInvalid(catalog: CatalogName, permissions: string[]): string | null {
    return permissions.find((p) => !this.flat[catalog].has(p)) ?? null
  }
}

/** The user behind a request, as the guard and permission checks see it. */
export interface PrincipalUser {
  uuid: string
  username: string
  email: string
  admin: boolean
  suspended: boolean
  frozen: boolean
  totpEnabled: boolean
  requireTwoFactor: boolean
  role: { uuid: string; name: string; adminPermissions: string[]; serverPermissions: string[] } | null
}

/** The scope of an API key: its three lists narrow what its owner may do. */
export interface ApiKeyScope {
  uuid: string
  userPermissions: string[]
  adminPermissions: string[]
  serverPermissions: string[]
}

/**
 * Who is calling. `user` is the effective user (the impersonated one when impersonating);
 * `actor` authenticated the request; `impersonator` is set only while impersonating.
 */
export interface Principal {
  user: PrincipalUser
  actor: PrincipalUser
  method: 'session' | 'api_key'
  sessionUuid: string | null
  apiKey: ApiKeyScope | null
  impersonator: PrincipalUser | null
}

/** May this user enter `/api/admin` at all (admin flag or any admin permission from a role)? */
export function canEnterAdmin(user: PrincipalUser): boolean {
  return user.admin || (user.role?.adminPermissions.length ?? 0) > 0
}

/** User permissions only narrow API keys; sessions always pass. */
export function hasUserPermission(p: Principal, permission: string): boolean {
  return !p.apiKey || p.apiKey.userPermissions.includes(permission)
}

/** Admin flag or role grants it, and an API key (if any) lists it too. */
export function hasAdminPermission(p: Principal, permission: string): boolean {
  const base = p.user.admin || (p.user.role?.adminPermissions.includes(permission) ?? false)
  return base && (!p.apiKey || p.apiKey.adminPermissions.includes(permission))
}

/**
 * Server permission from the admin flag, the role, ownership or subuser rights (the caller
 * supplies `granted` for the last two), narrowed by an API key.
 */
export function hasServerPermission(p: Principal, permission: string, granted: { owner?: boolean; subuser?: string[] } = {}): boolean {
  const base =
    p.user.admin ||
    (p.user.role?.serverPermissions.includes(permission) ?? false) ||
    granted.owner === true ||
    (granted.subuser?.includes(permission) ?? false)
  return base && (!p.apiKey || p.apiKey.serverPermissions.includes(permission))
}

export function denied(permission: string): Forbidden {
  return new Forbidden(`you do not have permission to perform this action: ${permission}`)
}

import type { Db, SettingsSnapshot, Tx } from 'hatchery'
import type { ServerRow } from './admin-servers'

/** What a subuser may do on a server: server permission names (`files.read`, …) and the files hidden from them. */
export interface SubuserGrant {
  permissions: string[]
  ignored_files: string[]
}

/** The subuser entry of `user` on `server`, or null when they are not one. */
export type SubuserLookup = (db: Db | Tx, server: ServerRow, userUuid: string) => Promise<SubuserGrant | null>

/**
 * Where the servers plugin asks whether a user is a subuser of a server (SFTP logins, and later
 * the client scope and websocket tokens). Empty until the plugin owning subusers provides it: until
 * then only owners and administrators reach a server.
 * @example ctx.api(servers).subusers.provide((db, server, user) => findSubuser(db, server.uuid, user), ctx.plugin)
 */
export class SubuserSlot {
  private lookup: SubuserLookup | null = null
  private owner = ''

  provide(lookup: SubuserLookup, owner: string): void {
    if (this.lookup) throw new Error(`${owner}: subusers are already provided by ${this.owner}`)
    this.lookup = lookup
    this.owner = owner
  }

  find(db: Db | Tx, server: ServerRow, userUuid: string): Promise<SubuserGrant | null> {
    return this.lookup ? this.lookup(db, server, userUuid) : Promise.resolve(null)
  }
}

/** Who a user is to a server, for the permissions handed to Wings. */
export type ServerRelation = { kind: 'admin' } | { kind: 'owner' } | { kind: 'subuser'; grant: SubuserGrant }

/**
 * The permission list the panel hands Wings for a user (spec 04 §2.6, the SFTP login and console
 * tokens): `websocket.connect`, `meta.calagopus`, then for an administrator (the admin flag) `*`
 * and the three `admin.websocket.*`; for a subuser their permissions (with `control.read-console`,
 * the install and transfer views the settings allow); for the owner (or an admin by role) those
 * two views as allowed, then `*`. `scope` narrows `*` and the subuser's list (an API key's).
 */
export function wingsPermissions(relation: ServerRelation, settings: SettingsSnapshot, scope?: string[]): string[] {
  const permissions = ['websocket.connect', 'meta.calagopus']
  const views = () => {
    if (settings.get('server.allow_viewing_installation_logs')) permissions.push('admin.websocket.install')
    if (settings.get('server.allow_viewing_transfer_progress')) permissions.push('admin.websocket.transfer')
  }
  const all = () => permissions.push(...(scope ?? ['*']))
  if (relation.kind === 'admin') {
    all()
    permissions.push('admin.websocket.errors', 'admin.websocket.install', 'admin.websocket.transfer')
  } else if (relation.kind === 'subuser') {
    for (const permission of relation.grant.permissions) {
      if (scope && !scope.includes(permission)) continue
      if (permission === 'control.read-console') views()
      permissions.push(permission)
    }
  } else {
    views()
    all()
  }
  return permissions
}

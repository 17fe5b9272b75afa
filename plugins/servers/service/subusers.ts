import type { Db, Tx } from 'hatchery'
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

import { and, eq } from 'drizzle-orm'
import { afterCommit, Conflict, emit, LimitExceeded, type PluginContext, type SettingsSnapshot, type Tx } from 'hatchery'
import mail from '../../mail'
import { getNode } from '../../nodes'
import type { UserRow } from '../../users'
import type { ServersApi } from '../api'
import { serverSubusers } from '../tables'
import type { ServerRow } from './admin-servers'
import { wingsPermissions, type SubuserGrant } from './subusers'
import { lockAndCount, mailSubuser } from './subusers-store'

/** Emitted when a user becomes, stops being or changes as a subuser (`{ user, server }`): caches of what they reach forget them. */
export const SUBUSERS_CHANGED = 'servers.subusers.changed'

/**
 * What happens around a subuser row, whoever changes it (the client routes, the OAuth
 * `server_subuser` mapping): the server's limit, and after the commit the node's console and the
 * mails. Node calls run in the background: a node that fails is logged, the change stands.
 */
export class SubuserChanges {
  constructor(
    private ctx: PluginContext,
    private api: ServersApi,
  ) {}

  /**
   * Adds a user to `server` under the server's lock: 417 `maximum number of subusers reached` at
   * `server.max_subuser_count` (checked before `user` is resolved), 409 when already one. The
   * `added_to_server` mail goes after the commit.
   */
  async add(tx: Tx, settings: SettingsSnapshot, server: ServerRow, grant: SubuserGrant, user: () => Promise<UserRow>) {
    if ((await lockAndCount(tx, server.uuid)) >= settings.get('server.max_subuser_count')) {
      throw new LimitExceeded('maximum number of subusers reached')
    }
    const added = await user()
    const [row] = await tx
      .insert(serverSubusers)
      .values({ server_uuid: server.uuid, user_uuid: added.uuid, ...grant })
      .onConflictDoNothing()
      .returning()
    if (!row) throw new Conflict('subuser with email already exists')
    await emit(tx, SUBUSERS_CHANGED, { user: added.uuid, server: server.uuid })
    await afterCommit(tx, () => mailSubuser(this.ctx.api(mail), settings, 'added_to_server', added, server))
    return { row, user: added }
  }

  /**
   * Sets the grant of a subuser; after the commit the node gets their console permissions
   * (`ws/permissions`, §2.6's list narrowed by `scope`, the changing caller's API key as the reference does).
   */
  async update(tx: Tx, settings: SettingsSnapshot, server: ServerRow, userUuid: string, grant: SubuserGrant, scope?: string[]) {
    await tx
      .update(serverSubusers)
      .set(grant)
      .where(and(eq(serverSubusers.server_uuid, server.uuid), eq(serverSubusers.user_uuid, userUuid)))
    await emit(tx, SUBUSERS_CHANGED, { user: userUuid, server: server.uuid })
    const permissions = wingsPermissions({ kind: 'subuser', grant }, settings, scope)
    await afterCommit(tx, () =>
      this.tellNode(server, 'update', (wings) =>
        wings.wsPermissions(server.uuid, [{ user: userUuid, permissions, ignored_files: grant.ignored_files }]),
      ),
    )
  }

  /**
   * Removes `user` from `server` (false when they were not a subuser). After the commit: the
   * `removed_from_server` mail, and the node drops their console permissions and refuses their
   * tokens (`ws/deny`), so an open console closes at once.
   */
  async remove(tx: Tx, settings: SettingsSnapshot, server: ServerRow, user: UserRow): Promise<boolean> {
    const gone = await tx
      .delete(serverSubusers)
      .where(and(eq(serverSubusers.server_uuid, server.uuid), eq(serverSubusers.user_uuid, user.uuid)))
      .returning({ user: serverSubusers.user_uuid })
    if (!gone.length) return false
    await emit(tx, SUBUSERS_CHANGED, { user: user.uuid, server: server.uuid })
    await afterCommit(tx, () => {
      mailSubuser(this.ctx.api(mail), settings, 'removed_from_server', user, server)
      this.tellNode(server, 'remove', async (wings) => {
        await wings
          .wsPermissions(server.uuid, [{ user: user.uuid, permissions: [], ignored_files: [] }])
          .catch((error: Error) => this.warn('remove', server, error))
        await wings.wsDeny(server.uuid, [user.uuid])
      })
    })
    return true
  }

  private tellNode(server: ServerRow, what: string, call: (wings: ReturnType<ServersApi['wings']>) => Promise<void>): void {
    void (async () => call(this.api.wings(await getNode(this.ctx.db, server.node_uuid))))().catch((error: Error) =>
      this.warn(what, server, error),
    )
  }

  private warn(what: string, server: ServerRow, error: Error): void {
    this.ctx.log.warn(`failed to ${what} subuser permissions in wings`, { server: server.uuid, error: error.message })
  }
}

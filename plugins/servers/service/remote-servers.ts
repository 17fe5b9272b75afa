import { and, asc, eq, inArray, isNotNull, ne, or } from 'drizzle-orm'
import { emit, paginate, transaction, type Db, type Logger, type PageParams, type Tx } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { getNode, type NodeRow } from '../../nodes'
import { serverAllocations, servers } from '../tables'
import type { RemoteServer } from '../wings/document-model'
import type { WingsClient } from '../wings/client'
import type { ServerRow } from './admin-servers'

/** Emitted after a node's boot reset (`{ node }`), and after an install report (`{ server, successful }`). */
export const NODE_STATE_RESET = 'servers.node-state-reset'
export const INSTALL_COMPLETED = 'servers.install-completed'

/** What another plugin resets on a booting node, in the reset's transaction (backups: incomplete ones fail). */
export type NodeResetHook = (tx: Tx, node: NodeRow) => Promise<void>

/** `GET /api/remote/servers`: `meta.last_page` is `ceil(total / per_page)` (0 on an empty node, which ends Wings' paging). */
export interface RemotePage {
  data: RemoteServer[]
  meta: { current_page: number; last_page: number; total: number }
}

/** The configuration documents of the node's servers (not those only arriving by transfer), oldest first. */
export async function nodeDocuments(
  db: Db,
  node: NodeRow,
  page: PageParams,
  document: (db: Db, row: ServerRow) => Promise<RemoteServer>,
): Promise<RemotePage> {
  const found = await paginate(
    db,
    {
      from: servers,
      where: eq(servers.node_uuid, node.uuid),
      orderBy: [asc(servers.created), asc(servers.uuid)],
      map: (row) => document(db, row),
    },
    page,
  )
  return {
    data: found.data,
    meta: { current_page: found.page, last_page: Math.ceil(found.total / found.per_page), total: found.total },
  }
}

/**
 * A node's boot (spec 04 §3.2 `POST /api/remote/servers/reset`): its servers restoring a backup
 * failed to (`backup_restore_failed`; installs are left, Wings resumes them), `hooks` run (the
 * backups plugin fails incomplete backups), and every transfer it is the source or destination of
 * is abandoned: the destination fields cleared and the allocations off the source node released.
 * One transaction; then the servers' copies on the destinations are deleted in the background.
 */
export async function resetNode(
  db: Db,
  node: NodeRow,
  hooks: Iterable<NodeResetHook>,
  wings: (node: NodeRow) => WingsClient,
  log: Logger,
): Promise<void> {
  const abandoned = await transaction(db, async (tx) => {
    await tx
      .update(servers)
      .set({ status: 'backup_restore_failed' })
      .where(and(eq(servers.node_uuid, node.uuid), eq(servers.status, 'restoring_backup')))
    for (const hook of hooks) await hook(tx, node)
    const moving = await tx
      .select({ uuid: servers.uuid, node_uuid: servers.node_uuid, destination: servers.destination_node_uuid })
      .from(servers)
      .where(
        or(and(eq(servers.node_uuid, node.uuid), isNotNull(servers.destination_node_uuid)), eq(servers.destination_node_uuid, node.uuid)),
      )
      .for('update')
    for (const server of moving) await abandonTransfer(tx, server)
    await emit(tx, NODE_STATE_RESET, { node: node.uuid })
    return moving
  })
  for (const { uuid, destination } of abandoned) {
    void getNode(db, destination!)
      .then((target) => wings(target).deleteServer(uuid))
      .catch((error: Error) => log.warn('could not delete a transferred server on its destination', { server: uuid, error: error.message }))
  }
}

/** Clears a transfer and releases the server's allocations that are not on `server.node_uuid` (its source, or the destination it just moved to). */
export async function abandonTransfer(tx: Tx, server: { uuid: string; node_uuid: string }): Promise<void> {
  const na = allocationTables.nodeAllocations
  const elsewhere = tx.select({ uuid: na.uuid }).from(na).where(ne(na.node_uuid, server.node_uuid))
  await tx.update(servers).set({ destination_node_uuid: null, destination_allocation_uuid: null }).where(eq(servers.uuid, server.uuid))
  await tx
    .delete(serverAllocations)
    .where(and(eq(serverAllocations.server_uuid, server.uuid), inArray(serverAllocations.allocation_uuid, elsewhere)))
}

/**
 * Wings' install report (`POST …/install`): the status becomes null on success and
 * `install_failed` otherwise, whatever it was (the reference does the same).
 */
export async function finishInstall(db: Db, server: ServerRow, successful: boolean): Promise<void> {
  await transaction(db, async (tx) => {
    await tx
      .update(servers)
      .set({ status: successful ? null : 'install_failed' })
      .where(eq(servers.uuid, server.uuid))
    await emit(tx, INSTALL_COMPLETED, { server: server.uuid, successful })
  })
}

import { and, count, eq, inArray, lt, sql } from 'drizzle-orm'
import { BadRequest, Conflict, LimitExceeded, SYSTEM_ACTOR, transaction, type Actor, type Db, type PluginContext, type Tx } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { getNode, type NodeRow } from '../../nodes'
import { abandonTransfer, getServer, tables as serverTables, type ServerRow, type ServersApi } from '../../servers'
import type { TransferBody, TransferSuccess } from '../model'
import { serverTransfers } from '../tables'
import { transferToken } from './jwt'

const { servers, serverAllocations } = serverTables
const na = allocationTables.nodeAllocations

/** Most parallel streams Wings accepts (spec 02 §8.12). */
export const MAX_MULTIPLEX_CHANNELS = 16
/** How long a call whose answer does not decide anything (abort on the source, delete on the other node) may take. */
export const SIDE_CALL_MS = 5_000

export type TransferOptions = Omit<TransferBody, 'node_uuid'>

/** The checks of spec 02 §8.12 a server must pass to start moving to `destination`, in the reference's order. */
function refuse(server: ServerRow, destination: string, options: TransferOptions): void {
  if (server.destination_node_uuid) throw new Conflict('server is already being transferred')
  if (server.node_uuid === destination) throw new Conflict('cannot transfer server to the same node')
  if (server.status === 'installing' || server.status === 'restoring_backup')
    throw new Conflict('server is installing or restoring a backup and cannot be transferred')
  if (options.multiplex_channels > MAX_MULTIPLEX_CHANNELS)
    throw new BadRequest(`multiplex channels cannot exceed ${MAX_MULTIPLEX_CHANNELS}`)
}

/**
 * Reserves the destination allocations and marks the server transferring, in one transaction:
 * the primary (a `server_allocations` row, kept as `destination_allocation_uuid`) and the others.
 * A taken primary is 409 `the primary allocation is already assigned to a server`, another taken
 * one 409 `allocation is already assigned to a server` (the reference skips it silently).
 */
async function reserve(tx: Tx, uuid: string, destination: NodeRow, options: TransferOptions): Promise<ServerRow> {
  const server = await getServer(tx, uuid, true)
  refuse(server, destination.uuid, options)
  const primary = options.allocation_uuid ?? null
  const others = [...new Set(options.allocation_uuids)].filter((a) => a !== primary)
  let destinationAllocation: string | null = null
  if (primary) {
    const [row] = await tx
      .insert(serverAllocations)
      .values({ server_uuid: server.uuid, allocation_uuid: primary })
      .onConflictDoNothing()
      .returning({ uuid: serverAllocations.uuid })
    if (!row) throw new Conflict('the primary allocation is already assigned to a server')
    destinationAllocation = row.uuid
  }
  if (others.length) {
    const rows = await tx
      .insert(serverAllocations)
      .values(others.map((allocation_uuid) => ({ server_uuid: server.uuid, allocation_uuid })))
      .onConflictDoNothing()
      .returning({ uuid: serverAllocations.uuid })
    if (rows.length !== others.length) throw new Conflict('allocation is already assigned to a server')
  }
  const moving = { destination_node_uuid: destination.uuid, destination_allocation_uuid: destinationAllocation }
  await tx.update(servers).set(moving).where(eq(servers.uuid, server.uuid))
  const row = { server_uuid: server.uuid, source_node_uuid: server.node_uuid, destination_node_uuid: destination.uuid, started: new Date() }
  await tx.insert(serverTransfers).values(row).onConflictDoUpdate({ target: serverTransfers.server_uuid, set: row })
  return { ...server, ...moving }
}

/** Clears the server's pending transfer (allocations off its node released); null when it has none. */
async function drop(tx: Tx, uuid: string): Promise<ServerRow | null> {
  const server = await getServer(tx, uuid, true)
  await tx.delete(serverTransfers).where(eq(serverTransfers.server_uuid, server.uuid))
  if (!server.destination_node_uuid) return null
  await abandonTransfer(tx, server)
  return server
}

/** Why a transfer ended without the server moving: a node said so, nobody reported in time, an administrator cancelled it. */
export type TransferFailure = 'reported' | 'timed_out' | 'cancelled'

/**
 * Clears the server's pending transfer as failed and writes `server:transfer.failure`
 * `{destination_node_uuid, reason}` to the server's activity log, by the system (the reference logs
 * nothing: it only emits an internal event; the cancelling administrator is in the admin log's
 * `server:abort-transfer`). Null, nothing logged, when the server has no pending transfer.
 */
async function dropFailed(ctx: PluginContext, tx: Tx, uuid: string, reason: TransferFailure): Promise<ServerRow | null> {
  const server = await drop(tx, uuid)
  if (server)
    await ctx.activity.log(
      'server',
      tx,
      SYSTEM_ACTOR,
      'server:transfer.failure',
      { destination_node_uuid: server.destination_node_uuid, reason },
      server.uuid,
    )
  return server
}

/** A call to another node whose failure only gets logged (the panel's state is already right). */
async function sideCall(ctx: PluginContext, what: string, server: string, node: string, call: (node: NodeRow) => Promise<void>) {
  try {
    await call(await getNode(ctx.db, node))
  } catch (error) {
    ctx.log.warn(`transfer: could not ${what}`, { server, node, error: (error as Error).message })
  }
}

/**
 * Starts moving a server to another node (spec 02 §8.12, spec 04 §1.6 F): checks, reserves the
 * destination allocations and marks the server transferring (committed, so the destination node
 * can read the server through `/api/remote` at once), then asks the source node to stream it
 * (`url` the destination's `/api/transfers`, `token` a transfer JWT). When the source refuses or
 * cannot be reached the reservation is undone and the error answered: the server stays usable.
 * Logged `server:transfer` once the source has accepted.
 */
export async function startTransfer(
  ctx: PluginContext,
  api: ServersApi,
  actor: Actor,
  uuid: string,
  destinationUuid: string,
  options: TransferOptions,
): Promise<void> {
  const found = await getServer(ctx.db, uuid)
  refuse(found, destinationUuid, options)
  const destination = await getNode(ctx.db, destinationUuid)
  const requested = [...new Set([...options.allocation_uuids, ...(options.allocation_uuid ? [options.allocation_uuid] : [])])]
  if (requested.length) {
    const [owned] = await ctx.db
      .select({ n: count() })
      .from(na)
      .where(and(inArray(na.uuid, requested), eq(na.node_uuid, destination.uuid)))
    if (owned.n !== requested.length) throw new BadRequest('all allocations must belong to the destination node')
  }
  const server = await transaction(ctx.db, (tx) => reserve(tx, found.uuid, destination, options))
  try {
    const source = await getNode(ctx.db, server.node_uuid)
    const target = api.wings(destination)
    await api.wings(source).startTransfer(server.uuid, {
      url: `${destination.url.replace(/\/+$/, '')}/api/transfers`,
      token: `Bearer ${await transferToken(target, server.uuid, source.uuid)}`,
      archive_format: options.archive_format,
      compression_level: options.compression_level ?? null,
      backups: options.backups,
      delete_backups: options.delete_source_backups,
      multiplex_streams: options.multiplex_channels,
    })
  } catch (error) {
    await transaction(ctx.db, (tx) => drop(tx, server.uuid))
    throw error
  }
  await ctx.activity.admin(ctx.db, actor, 'server:transfer', { uuid: server.uuid, destination_node_uuid: destination.uuid })
}

/**
 * Cancels a pending transfer (spec 02 §8.12 `cancel`): the source node is asked to abort (bounded;
 * a node that is down or no longer transferring does not keep the server stuck), then the transfer
 * is cleared whatever it said, the destination's copy deleted in the background. 409 `server is
 * not being transferred`. Logged `server:abort-transfer` (admin log) and `server:transfer.failure` (server log).
 */
export async function cancelTransfer(ctx: PluginContext, api: ServersApi, actor: Actor, uuid: string): Promise<void> {
  const server = await getServer(ctx.db, uuid)
  if (!server.destination_node_uuid) throw new Conflict('server is not being transferred')
  await sideCall(ctx, 'abort the transfer on the source', server.uuid, server.node_uuid, (node) =>
    api.wings(node).cancelTransfer(server.uuid, SIDE_CALL_MS),
  )
  const dropped = await transaction(ctx.db, async (tx) => {
    const cleared = await dropFailed(ctx, tx, server.uuid, 'cancelled')
    if (!cleared) throw new Conflict('server is not being transferred')
    await ctx.activity.admin(tx, actor, 'server:abort-transfer', {
      uuid: cleared.uuid,
      destination_node_uuid: cleared.destination_node_uuid,
    })
    return cleared
  })
  void sideCall(ctx, 'delete the copy on the destination', dropped.uuid, dropped.destination_node_uuid!, (node) =>
    api.wings(node).deleteServer(dropped.uuid, SIDE_CALL_MS),
  )
}

/**
 * The destination reports the server arrived (spec 04 §3 `transfer/success`): in one transaction
 * the server moves (`node_uuid`, the primary), the allocations off the destination are released,
 * the transfer row goes and the transfer hooks run (the backups plugin moves the backups the
 * destination received, and the shared ones). Then, in the background, the source deletes its copy and the
 * destination gets the configuration as it now is. 409 `server is not being transferred`; 417
 * when the caller is not the destination.
 */
export async function completeTransfer(
  ctx: PluginContext,
  api: ServersApi,
  uuid: string,
  caller: NodeRow,
  report: TransferSuccess = {},
): Promise<void> {
  const moved = await transaction(ctx.db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    if (!server.destination_node_uuid) throw new Conflict('server is not being transferred')
    if (server.destination_node_uuid !== caller.uuid) throw new LimitExceeded('server is not being transferred to this node')
    const destination = server.destination_node_uuid
    await tx
      .update(servers)
      .set({ node_uuid: destination, allocation_uuid: server.destination_allocation_uuid })
      .where(eq(servers.uuid, server.uuid))
    await abandonTransfer(tx, { uuid: server.uuid, node_uuid: destination })
    await tx.delete(serverTransfers).where(eq(serverTransfers.server_uuid, server.uuid))
    const done = {
      server: server.uuid,
      source: server.node_uuid,
      destination,
      backups: [...new Set((report.backups ?? []).map((b) => b.toLowerCase()))],
      backup_migrations: Object.fromEntries(Object.entries(report.backup_migrations ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    }
    for (const hook of api.transferHooks) await hook.completed?.(tx, done)
    return { uuid: server.uuid, source: server.node_uuid }
  })
  void sideCall(ctx, 'delete the copy on the source', moved.uuid, moved.source, (node) =>
    api.wings(node).deleteServer(moved.uuid, SIDE_CALL_MS),
  )
  void sideCall(ctx, 'push the configuration to the destination', moved.uuid, caller.uuid, async (node) => {
    const server = await getServer(ctx.db, moved.uuid)
    await api.wings(node).syncServer(server.uuid, await api.document(ctx.db, server))
  })
}

/**
 * A node reports the transfer failed (spec 04 §3 `transfer/failure`; the source or the
 * destination): the transfer is cleared, the server stays on its source, and the destination's
 * copy is deleted in the background. 409 `server is not being transferred`.
 */
export async function failTransfer(ctx: PluginContext, api: ServersApi, uuid: string): Promise<void> {
  const dropped = await transaction(ctx.db, (tx) => dropFailed(ctx, tx, uuid, 'reported'))
  if (!dropped) throw new Conflict('server is not being transferred')
  ctx.log.warn('transfer: a node reported the transfer failed', { server: dropped.uuid, destination: dropped.destination_node_uuid! })
  void sideCall(ctx, 'delete the copy on the destination', dropped.uuid, dropped.destination_node_uuid!, (node) =>
    api.wings(node).deleteServer(dropped.uuid, SIDE_CALL_MS),
  )
}

/**
 * Ends transfers that began more than `minutes` ago (the job): each is cleared as a failure (the
 * source asked to abort, the destination's copy deleted, both in the background), so no server
 * stays transferring, and 409 to its users, for ever. Rows whose server is no longer transferring
 * (a node reset, a clear-state) are dropped. Returns how many transfers were ended.
 */
export async function expireTransfers(ctx: PluginContext, api: ServersApi, minutes: number): Promise<number> {
  await ctx.db
    .delete(serverTransfers)
    .where(
      sql`not exists (select 1 from ${servers} where ${servers.uuid} = ${serverTransfers.server_uuid} and ${servers.destination_node_uuid} = ${serverTransfers.destination_node_uuid})`,
    )
  const stale = await ctx.db
    .select({ uuid: serverTransfers.server_uuid })
    .from(serverTransfers)
    .where(lt(serverTransfers.started, new Date(Date.now() - minutes * 60_000)))
  let ended = 0
  for (const { uuid } of stale) {
    const dropped = await transaction(ctx.db, (tx) => dropFailed(ctx, tx, uuid, 'timed_out'))
    if (!dropped) continue
    ended++
    ctx.log.warn('transfer: timed out', { server: uuid, destination: dropped.destination_node_uuid!, minutes })
    void sideCall(ctx, 'abort the transfer on the source', uuid, dropped.node_uuid, (node) =>
      api.wings(node).cancelTransfer(uuid, SIDE_CALL_MS),
    )
    void sideCall(ctx, 'delete the copy on the destination', uuid, dropped.destination_node_uuid!, (node) =>
      api.wings(node).deleteServer(uuid, SIDE_CALL_MS),
    )
  }
  return ended
}

/** Drops the transfer rows of a booting node's transfers (the servers plugin abandons the transfers themselves). */
export async function forgetNodeTransfers(tx: Tx | Db, node: NodeRow): Promise<void> {
  await tx
    .delete(serverTransfers)
    .where(sql`${serverTransfers.source_node_uuid} = ${node.uuid} or ${serverTransfers.destination_node_uuid} = ${node.uuid}`)
}

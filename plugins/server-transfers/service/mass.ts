import { and, asc, between, eq, inArray, isNull, notExists, sql } from 'drizzle-orm'
import { BadRequest, Conflict, type Actor, type Db, type PluginContext } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { mergedEggConfiguration } from '../../egg-configurations'
import { getNode } from '../../nodes'
import { tables as serverTables, type ServerRow, type ServersApi } from '../../servers'
import type { AllocationMode, MassTransferBody } from '../model'
import { MAX_MULTIPLEX_CHANNELS, startTransfer } from './transfers'

const { servers, serverAllocations } = serverTables
const na = allocationTables.nodeAllocations

/** What the transfer hooks send along with `server` when backups are transferred (the backups plugin's non-shared backups). */
async function backupsOf(db: Db, api: ServersApi, server: string): Promise<string[]> {
  const out: string[] = []
  for (const hook of api.transferHooks) if (hook.backupsOf) out.push(...(await hook.backupsOf(db, server)))
  return out
}

/** Free allocations of a node (no server holds them) in a port range, in random order. */
function free(db: Db, node: string, from = 1, to = 65535) {
  return db
    .select({ uuid: na.uuid, port: na.port, ip: sql<string>`host(${na.ip})` })
    .from(na)
    .where(
      and(
        eq(na.node_uuid, node),
        between(na.port, from, to),
        notExists(
          db
            .select({ one: sql`1` })
            .from(serverAllocations)
            .where(eq(serverAllocations.allocation_uuid, na.uuid)),
        ),
      ),
    )
    .orderBy(sql`random()`)
}

/**
 * The destination allocations of one server by `mode` (spec 02 §6.11; the reference's algorithms,
 * without asking the node which ports are bound): the primary (when the server has one) and the
 * others. `preserve_ports`: the same ports, one IP preferred, random free ones for ports not found.
 */
async function allocationsFor(db: Db, server: ServerRow, destination: string, mode: AllocationMode) {
  if (mode === 'none') return { allocation_uuid: null, allocation_uuids: [] }
  const held = await db
    .select({ uuid: serverAllocations.uuid, port: na.port })
    .from(serverAllocations)
    .innerJoin(na, eq(na.uuid, serverAllocations.allocation_uuid))
    .where(eq(serverAllocations.server_uuid, server.uuid))
    .orderBy(asc(serverAllocations.created))
  const hasPrimary = server.allocation_uuid !== null
  const ports = [...held.filter((a) => a.uuid === server.allocation_uuid), ...held.filter((a) => a.uuid !== server.allocation_uuid)].map(
    (a) => a.port,
  )
  let picked: string[]
  if (mode === 'preserve_ports') {
    const candidates = await free(db, destination)
    const byIp = new Map<string, typeof candidates>()
    for (const c of candidates) byIp.set(c.ip, [...(byIp.get(c.ip) ?? []), c])
    const best =
      [...byIp.values()].sort(
        (a, b) => ports.filter((p) => b.some((c) => c.port === p)).length - ports.filter((p) => a.some((c) => c.port === p)).length,
      )[0] ?? []
    const used = new Set<string>()
    const take = (c?: { uuid: string }) => (c && used.add(c.uuid), c?.uuid)
    const slots = ports.map((port) => take(best.find((c) => c.port === port && !used.has(c.uuid))))
    picked = slots.map((slot) => slot ?? take(candidates.find((c) => !used.has(c.uuid)))).filter((u): u is string => !!u)
  } else if (mode === 'egg_config_deployment') {
    throw new BadRequest('allocation mode egg_config_deployment is not supported')
  } else {
    const wanted = mode === 'random_primary' ? (hasPrimary ? 1 : 0) : held.length
    let [from, to] = [1, 65535]
    if (mode === 'egg_config_self_assign_range') {
      const range = (await mergedEggConfiguration(db, server.egg_uuid)).config_allocations?.user_self_assign
      if (range) [from, to] = [range.start_port, range.end_port]
    }
    picked = wanted ? (await free(db, destination, from, to).limit(wanted)).map((c) => c.uuid) : []
  }
  return hasPrimary
    ? { allocation_uuid: picked[0] ?? null, allocation_uuids: picked.slice(1) }
    : { allocation_uuid: null, allocation_uuids: picked }
}

/**
 * Moves a node's servers to another node (spec 02 §6.11 mass transfer): each selected server on
 * the node that is not transferring already is started as a single transfer; one that fails is
 * logged and skipped. 409 `cannot transfer servers to the same node`, 404 `node not found`.
 * Returns how many transfers started. Logged `node:servers.transfer`.
 */
export async function massTransfer(
  ctx: PluginContext,
  api: ServersApi,
  actor: Actor,
  nodeUuid: string,
  body: MassTransferBody,
): Promise<number> {
  const node = await getNode(ctx.db, nodeUuid)
  if (body.node_uuid === node.uuid) throw new Conflict('cannot transfer servers to the same node')
  if (body.multiplex_channels > MAX_MULTIPLEX_CHANNELS) throw new BadRequest(`multiplex channels cannot exceed ${MAX_MULTIPLEX_CHANNELS}`)
  const destination = await getNode(ctx.db, body.node_uuid)
  const chosen = await ctx.db
    .select()
    .from(servers)
    .where(
      and(
        eq(servers.node_uuid, node.uuid),
        isNull(servers.destination_node_uuid),
        body.servers.type === 'uuids' ? inArray(servers.uuid, body.servers.uuids.length ? body.servers.uuids : [node.uuid]) : undefined,
      ),
    )
    .orderBy(asc(servers.created))
  let affected = 0
  for (const server of chosen) {
    try {
      const allocations = await allocationsFor(ctx.db, server, destination.uuid, body.allocation_mode)
      await startTransfer(ctx, api, actor, server.uuid, destination.uuid, {
        ...allocations,
        backups: body.transfer_backups ? await backupsOf(ctx.db, api, server.uuid) : [],
        delete_source_backups: body.delete_source_backups,
        archive_format: body.archive_format,
        compression_level: body.compression_level,
        multiplex_channels: body.multiplex_channels,
      })
      affected++
    } catch (error) {
      ctx.log.warn('mass transfer: a server could not be transferred', { server: server.uuid, error: (error as Error).message })
    }
  }
  await ctx.activity.admin(ctx.db, actor, 'node:servers.transfer', {
    node_uuid: node.uuid,
    servers: body.servers,
    destination_node_uuid: destination.uuid,
  })
  return affected
}

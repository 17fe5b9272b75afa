import { and, asc, eq, sql } from 'drizzle-orm'
import {
  BadRequest,
  NotFound,
  paginate,
  parseUuid,
  transaction,
  uniqueAs,
  type Actor,
  type Db,
  type PageParams,
  type PluginContext,
  type Tx,
} from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import type { ServerAllocation, UpdateServerAllocation } from '../model'
import { serverAllocations, servers } from '../tables'
import { getServer, serverAllocationsOf, type ServerRow } from './admin-servers'

const na = allocationTables.nodeAllocations
const sa = serverAllocations

/** A server's allocations, oldest first; `search` matches `<ip>:<port>`, `<ip_alias>:<port>` and the notes. */
export async function listServerAllocations(db: Db | Tx, uuid: string, page: PageParams) {
  const server = await getServer(db, uuid)
  const primary = new Set(server.allocation_uuid ? [server.allocation_uuid] : [])
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({
            uuid: sa.uuid,
            ip: sql<string>`host(${na.ip})`,
            ip_alias: na.ip_alias,
            port: na.port,
            notes: sa.notes,
            created: sa.created,
            ...total,
          })
          .from(sa)
          .innerJoin(na, eq(na.uuid, sa.allocation_uuid)),
      where: eq(sa.server_uuid, server.uuid),
      search: [sql`host(${na.ip}) || ':' || ${na.port}`, sql`${na.ip_alias} || ':' || ${na.port}`, sa.notes],
      orderBy: [asc(sa.created), asc(sa.uuid)],
      map: (r): ServerAllocation => ({ ...r, is_primary: primary.has(r.uuid) }),
    },
    page,
  )
}

/** One of the server's allocations (a server-allocation uuid): 400 `invalid allocation uuid`, 404 `allocation not found`. */
export async function allocationOf(tx: Tx, server: ServerRow, uuid: string): Promise<ServerAllocation> {
  const [found] = await serverAllocationsOf(
    tx,
    and(eq(sa.server_uuid, server.uuid), eq(sa.uuid, parseUuid(uuid, 'allocation')))!,
    new Set(server.allocation_uuid ? [server.allocation_uuid] : []),
  )
  if (!found) throw new NotFound('allocation not found')
  return found
}

const audit = (a: ServerAllocation, server: ServerRow) => ({
  uuid: a.uuid,
  server_uuid: server.uuid,
  ip: a.ip,
  ip_alias: a.ip_alias,
  port: a.port,
})

/**
 * Gives the server one more allocation of its node (spec 02 §8.10): another node's or an unknown
 * allocation is 404 `allocation not found`, one a server already holds 409 (the reference answers
 * 500 there). The feature limit is not enforced (an admin may exceed it).
 */
export async function addServerAllocation(ctx: PluginContext, actor: Actor, uuid: string, allocation: string): Promise<ServerAllocation> {
  return transaction(ctx.db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    const [node] = await tx
      .select({ uuid: na.uuid })
      .from(na)
      .where(and(eq(na.uuid, allocation), eq(na.node_uuid, server.node_uuid)))
    if (!node) throw new NotFound('allocation not found')
    const [row] = await tx
      .insert(sa)
      .values({ server_uuid: server.uuid, allocation_uuid: node.uuid })
      .returning()
      .catch(uniqueAs('allocation is already assigned to a server'))
    const added = await allocationOf(tx, server, row.uuid)
    await ctx.activity.admin(tx, actor, 'server:allocation.create', audit(added, server))
    return added
  })
}

/** How the admin and client areas differ on an allocation change: the activity entry, and whether the primary must stay (spec 03 §3.2). */
export interface AllocationChangeOptions {
  /** 400 `cannot unset primary allocation` / `cannot delete primary allocation` for the primary. */
  requirePrimary?: boolean
  log: (tx: Tx, server: ServerRow, found: ServerAllocation, data: { notes?: string | null; primary?: boolean | null }) => Promise<unknown>
}

/** Changes the notes and the primary flag (spec 02 §8.10): `primary: false` on the primary leaves the server without one. */
export async function updateServerAllocation(
  ctx: PluginContext,
  actor: Actor,
  uuid: string,
  allocation: string,
  input: UpdateServerAllocation,
): Promise<void> {
  await changeServerAllocation(ctx.db, uuid, allocation, input, {
    log: (tx, server, found, data) => ctx.activity.admin(tx, actor, 'server:allocation.update', { ...audit(found, server), ...data }),
  })
}

/** The shared core of the allocation update, the server row locked; `log` gets the resulting `notes` and the requested `primary`. */
export async function changeServerAllocation(
  db: Db,
  uuid: string,
  allocation: string,
  input: UpdateServerAllocation,
  options: AllocationChangeOptions,
): Promise<void> {
  await transaction(db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    const found = await allocationOf(tx, server, allocation)
    const notes = input.notes === undefined ? found.notes : input.notes
    if (input.notes !== undefined) await tx.update(sa).set({ notes }).where(eq(sa.uuid, found.uuid))
    if (input.primary !== undefined && input.primary !== found.is_primary) {
      if (!input.primary && options.requirePrimary) throw new BadRequest('cannot unset primary allocation')
      await tx
        .update(servers)
        .set({ allocation_uuid: input.primary ? found.uuid : null })
        .where(eq(servers.uuid, server.uuid))
    }
    await options.log(tx, server, found, { notes, primary: input.primary ?? null })
  })
}

/** Takes an allocation from the server (spec 02 §8.10); the primary one leaves the server without a primary. */
export async function removeServerAllocation(ctx: PluginContext, actor: Actor, uuid: string, allocation: string): Promise<void> {
  await dropServerAllocation(ctx.db, uuid, allocation, {
    log: (tx, server, found) => ctx.activity.admin(tx, actor, 'server:allocation.delete', audit(found, server)),
  })
}

/** The shared core of the allocation removal, the server row locked. */
export async function dropServerAllocation(db: Db, uuid: string, allocation: string, options: AllocationChangeOptions): Promise<void> {
  await transaction(db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    const found = await allocationOf(tx, server, allocation)
    if (found.is_primary && options.requirePrimary) throw new BadRequest('cannot delete primary allocation')
    await tx.delete(sa).where(eq(sa.uuid, found.uuid))
    await options.log(tx, server, found, {})
  })
}

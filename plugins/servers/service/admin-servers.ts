import { asc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { loadOr404, NotFound, paginate, type Db, type PageParams, type Secrets, type SettingsSnapshot, type Tx } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { tables as backupTables, toAdminBackupConfiguration } from '../../backup-configurations'
import { adminEgg, tables as nestTables, toAdminNest, type RepositoryEggSource } from '../../nests'
import { adminNode } from '../../nodes'
import { tables as userTables, toAdminUser } from '../../users'
import type { AdminServer, ServerAllocation } from '../model'
import { serverAllocations, servers } from '../tables'

export type ServerRow = typeof servers.$inferSelect

/** What an `AdminServer` is built with besides the database. */
export interface ServerViews {
  secrets: Secrets
  settings: SettingsSnapshot
  repositoryEggs: RepositoryEggSource | null
}

const distinct = <T>(values: (T | null)[]) => [...new Set(values.filter((v): v is T => v !== null))]
const byUuid = <T extends { uuid: string }>(items: T[]) => new Map(items.map((item) => [item.uuid, item]))

/** Server allocations with their address (`ip` without prefix length); `primary` names the primary ones. */
export async function serverAllocationsOf(db: Db | Tx, where: SQL, primary: Set<string>): Promise<ServerAllocation[]> {
  const na = allocationTables.nodeAllocations
  const rows = await db
    .select({
      uuid: serverAllocations.uuid,
      ip: sql<string>`host(${na.ip})`,
      ip_alias: na.ip_alias,
      port: na.port,
      notes: serverAllocations.notes,
      created: serverAllocations.created,
    })
    .from(serverAllocations)
    .innerJoin(na, eq(na.uuid, serverAllocations.allocation_uuid))
    .where(where)
  return rows.map((r) => ({ ...r, is_primary: primary.has(r.uuid) }))
}

/** `feature_limits` of a server object, admin and client alike. */
export const featureLimits = (r: ServerRow) => ({
  allocations: r.allocation_limit,
  databases: r.database_limit,
  backups: r.backup_limit,
  schedules: r.schedule_limit,
})

/** The `AdminServer` objects of `rows`, in order: each related object loaded once for the batch. */
export async function toAdminServers(db: Db | Tx, views: ServerViews, rows: ServerRow[]): Promise<AdminServer[]> {
  if (rows.length === 0) return []
  const { users, roles } = userTables
  const { nests, nestEggs } = nestTables
  const nodeUuids = distinct(rows.map((r) => r.node_uuid))
  const nodes = new Map(await Promise.all(nodeUuids.map(async (uuid) => [uuid, await adminNode(db, views.secrets, uuid)] as const)))
  const owners = await db
    .select({ user: users, role: roles })
    .from(users)
    .leftJoin(roles, eq(roles.uuid, users.role_uuid))
    .where(inArray(users.uuid, distinct(rows.map((r) => r.owner_uuid))))
  const ownerOf = new Map(owners.map((o) => [o.user.uuid, toAdminUser(o, views.settings)]))
  const eggRows = await db
    .select()
    .from(nestEggs)
    .where(inArray(nestEggs.uuid, distinct(rows.map((r) => r.egg_uuid))))
  const eggs = new Map(await Promise.all(eggRows.map(async (e) => [e.uuid, await adminEgg(db, views.repositoryEggs, e)] as const)))
  const nestOf = byUuid(
    await db
      .select()
      .from(nests)
      .where(inArray(nests.uuid, distinct(eggRows.map((e) => e.nest_uuid)))),
  )
  const eggNest = new Map(eggRows.map((e) => [e.uuid, toAdminNest(nestOf.get(e.nest_uuid)!)]))
  const bcUuids = distinct(rows.map((r) => r.backup_configuration_uuid))
  const bcs = bcUuids.length
    ? byUuid(await db.select().from(backupTables.backupConfigurations).where(inArray(backupTables.backupConfigurations.uuid, bcUuids)))
    : new Map()
  const primaryUuids = distinct(rows.map((r) => r.allocation_uuid))
  const primaries = primaryUuids.length
    ? byUuid(await serverAllocationsOf(db, inArray(serverAllocations.uuid, primaryUuids), new Set(primaryUuids)))
    : new Map<string, ServerAllocation>()
  return rows.map((r) => {
    const bc = r.backup_configuration_uuid ? bcs.get(r.backup_configuration_uuid) : undefined
    return {
      uuid: r.uuid,
      uuid_short: (r.uuid_short >>> 0).toString(16).padStart(8, '0'),
      external_id: r.external_id,
      allocation: (r.allocation_uuid && primaries.get(r.allocation_uuid)) || null,
      node: nodes.get(r.node_uuid)!,
      owner: ownerOf.get(r.owner_uuid)!,
      egg: eggs.get(r.egg_uuid)!,
      nest: eggNest.get(r.egg_uuid)!,
      backup_configuration: bc ? toAdminBackupConfiguration(views.secrets, bc) : null,
      status: r.status,
      is_suspended: r.suspended,
      is_transferring: r.destination_node_uuid !== null,
      name: r.name,
      description: r.description,
      limits: { cpu: r.cpu, memory: r.memory, memory_overhead: r.memory_overhead, swap: r.swap, disk: r.disk, io_weight: r.io_weight },
      pinned_cpus: r.pinned_cpus,
      feature_limits: featureLimits(r),
      startup: r.startup,
      image: r.image,
      auto_kill: r.auto_kill,
      auto_start_behavior: r.auto_start_behavior,
      timezone: r.timezone,
      hugepages_passthrough_enabled: r.hugepages_passthrough_enabled,
      kvm_passthrough_enabled: r.kvm_passthrough_enabled,
      created: r.created,
    }
  })
}

/** Servers as answered, oldest first; `search` matches the name. */
export function listServers(db: Db | Tx, views: ServerViews, page: PageParams, where?: SQL) {
  return paginate(
    db,
    {
      from: servers,
      where,
      search: [servers.name],
      orderBy: [asc(servers.created), asc(servers.uuid)],
      load: async (rows) => byUuid(await toAdminServers(db, views, rows)),
      map: (row, loaded) => loaded.get(row.uuid)!,
    },
    page,
  )
}

/** The server a path parameter names: 400 `invalid server uuid`, 404 `server not found`. */
export const getServer = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, servers, servers.uuid, uuid, 'server', { lock })

/** One server as answered. */
export async function adminServer(db: Db | Tx, views: ServerViews, row: ServerRow): Promise<AdminServer> {
  return (await toAdminServers(db, views, [row]))[0]
}

/** The first server with this external id (spec 02 §8.14), oldest first; 404 `server not found`. */
export async function serverByExternalId(db: Db | Tx, externalId: string): Promise<ServerRow> {
  const [row] = await db
    .select()
    .from(servers)
    .where(eq(servers.external_id, externalId))
    .orderBy(asc(servers.created), asc(servers.uuid))
    .limit(1)
  if (!row) throw new NotFound('server not found')
  return row
}

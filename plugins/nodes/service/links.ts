import { and, asc, eq, getTableColumns } from 'drizzle-orm'
import { BadRequest, Conflict, NotFound, paginate, parseUuid, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { tables as mountTables, toAdminMount } from '../../mounts'
import { tables as databaseHostTables, toDatabaseHost } from '../../database-hosts'
import { nodeDatabaseHosts, nodeMounts, nodes } from '../tables'
import { tables as locationTables } from '../../locations'
import { nodeJoins, nodeSelection, toAdminNode } from './nodes'

const { mounts } = mountTables
const { databaseHosts } = databaseHostTables
const { locations } = locationTables

/** `{mount, created}` of a node, by link creation; `search` matches the mount name. */
export function listNodeMounts(db: Db | Tx, nodeUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ mount: getTableColumns(mounts), created: nodeMounts.created, ...total })
          .from(nodeMounts)
          .innerJoin(mounts, eq(mounts.uuid, nodeMounts.mount_uuid)),
      where: eq(nodeMounts.node_uuid, nodeUuid),
      search: [mounts.name],
      orderBy: [asc(nodeMounts.created), asc(nodeMounts.mount_uuid)],
      map: (r) => ({ mount: toAdminMount(r.mount), created: r.created }),
    },
    page,
  )
}

/** `{node, created}` of a mount (`/mounts/{mount}/nodes`); `search` matches the node name. */
export function listMountNodes(db: Db | Tx, secrets: Secrets, mountUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ ...nodeSelection, link_created: nodeMounts.created, ...total })
          .from(nodeMounts)
          .innerJoin(nodes, eq(nodes.uuid, nodeMounts.node_uuid))
          .innerJoin(locations, nodeJoins.location)
          .leftJoin(...nodeJoins.locationBc)
          .leftJoin(...nodeJoins.bc),
      where: eq(nodeMounts.mount_uuid, mountUuid),
      search: [nodes.name],
      orderBy: [asc(nodeMounts.created), asc(nodeMounts.node_uuid)],
      map: (r) => ({ node: toAdminNode(secrets, r), created: r.link_created }),
    },
    page,
  )
}

/** Links a mount to a node: 400 relation `mount` when it does not exist, 409 when linked already. */
export async function addNodeMount(tx: Tx, nodeUuid: string, mountUuid: string): Promise<void> {
  const [found] = await tx.select({ uuid: mounts.uuid }).from(mounts).where(eq(mounts.uuid, mountUuid)).for('key share')
  if (!found) throw new BadRequest('invalid relation `mount` provided')
  const inserted = await tx
    .insert(nodeMounts)
    .values({ node_uuid: nodeUuid, mount_uuid: found.uuid })
    .onConflictDoNothing()
    .returning({ node_uuid: nodeMounts.node_uuid })
  if (inserted.length === 0) throw new Conflict('mount already exists')
}

/** Unlinks a mount: 400 malformed uuid, 404 `mount not found` when it is not linked. */
export async function removeNodeMount(tx: Tx, nodeUuid: string, mountParam: string): Promise<string> {
  const mountUuid = parseUuid(mountParam, 'mount')
  const deleted = await tx
    .delete(nodeMounts)
    .where(and(eq(nodeMounts.node_uuid, nodeUuid), eq(nodeMounts.mount_uuid, mountUuid)))
    .returning({ mount_uuid: nodeMounts.mount_uuid })
  if (deleted.length === 0) throw new NotFound('mount not found')
  return mountUuid
}

/** `{database_host, created}` of a node (credentials censored); `search` matches the host name. */
export function listNodeDatabaseHosts(db: Db | Tx, nodeUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ host: getTableColumns(databaseHosts), created: nodeDatabaseHosts.created, ...total })
          .from(nodeDatabaseHosts)
          .innerJoin(databaseHosts, eq(databaseHosts.uuid, nodeDatabaseHosts.database_host_uuid)),
      where: eq(nodeDatabaseHosts.node_uuid, nodeUuid),
      search: [databaseHosts.name],
      orderBy: [asc(nodeDatabaseHosts.created), asc(nodeDatabaseHosts.database_host_uuid)],
      map: (r) => ({ database_host: toDatabaseHost(r.host), created: r.created }),
    },
    page,
  )
}

/** Links a database host to a node: 400 relation `database_host`, 409 when linked already. */
export async function addNodeDatabaseHost(tx: Tx, nodeUuid: string, hostUuid: string): Promise<void> {
  const [found] = await tx.select({ uuid: databaseHosts.uuid }).from(databaseHosts).where(eq(databaseHosts.uuid, hostUuid)).for('key share')
  if (!found) throw new BadRequest('invalid relation `database_host` provided')
  const inserted = await tx
    .insert(nodeDatabaseHosts)
    .values({ node_uuid: nodeUuid, database_host_uuid: found.uuid })
    .onConflictDoNothing()
    .returning({ node_uuid: nodeDatabaseHosts.node_uuid })
  if (inserted.length === 0) throw new Conflict('database host already exists on this node')
}

/** Unlinks a database host: 400 malformed uuid, 404 `database host not found` when it is not linked. */
export async function removeNodeDatabaseHost(tx: Tx, nodeUuid: string, hostParam: string): Promise<string> {
  const hostUuid = parseUuid(hostParam, 'database host')
  const deleted = await tx
    .delete(nodeDatabaseHosts)
    .where(and(eq(nodeDatabaseHosts.node_uuid, nodeUuid), eq(nodeDatabaseHosts.database_host_uuid, hostUuid)))
    .returning({ database_host_uuid: nodeDatabaseHosts.database_host_uuid })
  if (deleted.length === 0) throw new NotFound('database host not found')
  return hostUuid
}

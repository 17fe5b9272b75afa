import { and, asc, eq, getTableColumns } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { BadRequest, Conflict, NotFound, paginate, parseUuid, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { tables as backupTables } from '../../backup-configurations'
import { tables as locationTables, toAdminLocation } from '../../locations'
import { adminNode, tables as nodeTables } from '../../nodes'
import { tables as serverTables, toAdminServers, type ServerViews } from '../../servers'
import {
  systemBackupPolicyBackups as backups,
  systemBackupPolicyLocations as policyLocations,
  systemBackupPolicyNodes as policyNodes,
  systemBackupPolicyServers as policyServers,
} from '../tables'

const { locations } = locationTables
const { nodes } = nodeTables
const { servers } = serverTables
const { backupConfigurations } = backupTables

/** A kind of thing a policy covers: its link table and the table of the things. */
interface LinkKind {
  relation: 'location' | 'node' | 'server'
  links: PgTable & { policy_uuid: PgColumn; created: PgColumn }
  linked: PgColumn
  target: PgTable
  targetUuid: PgColumn
}

export const LOCATIONS: LinkKind = {
  relation: 'location',
  links: policyLocations,
  linked: policyLocations.location_uuid,
  target: locations,
  targetUuid: locations.uuid,
}
export const NODES: LinkKind = {
  relation: 'node',
  links: policyNodes,
  linked: policyNodes.node_uuid,
  target: nodes,
  targetUuid: nodes.uuid,
}
export const SERVERS: LinkKind = {
  relation: 'server',
  links: policyServers,
  linked: policyServers.server_uuid,
  target: servers,
  targetUuid: servers.uuid,
}

/** The row `uuid` names in `table`, locked against deletion: else the reference's 400 ``invalid relation `x` provided``. */
export async function requireRelation(tx: Tx, table: PgTable, column: PgColumn, uuid: string, relation: string): Promise<string> {
  const [found] = await tx.select({ uuid: column }).from(table).where(eq(column, uuid)).for('key share')
  if (!found) throw new BadRequest(`invalid relation \`${relation}\` provided`)
  return found.uuid as string
}

/** Covers one more location/node/server: 400 ``invalid relation `x` provided``, 409 `x already exists in this system backup policy`. */
export async function addLink(tx: Tx, kind: LinkKind, policyUuid: string, uuid: string): Promise<void> {
  const found = { uuid: await requireRelation(tx, kind.target, kind.targetUuid, uuid, kind.relation) }
  const inserted = await tx
    .insert(kind.links)
    .values({ policy_uuid: policyUuid, [kind.linked.name]: found.uuid } as never)
    .onConflictDoNothing()
    .returning({ policy_uuid: kind.links.policy_uuid })
  if (inserted.length === 0) throw new Conflict(`${kind.relation} already exists in this system backup policy`)
}

/** Stops covering one: 400 `invalid x uuid`, 404 `x not found` when it is not linked. The uuid removed. */
export async function removeLink(tx: Tx, kind: LinkKind, policyUuid: string, param: string): Promise<string> {
  const uuid = parseUuid(param, kind.relation)
  const deleted = await tx
    .delete(kind.links)
    .where(and(eq(kind.links.policy_uuid, policyUuid), eq(kind.linked, uuid)))
    .returning({ policy_uuid: kind.links.policy_uuid })
  if (deleted.length === 0) throw new NotFound(`${kind.relation} not found`)
  return uuid
}

/** `{location, created}` of a policy by link creation; `search` matches the location name. */
export function listPolicyLocations(db: Db | Tx, secrets: Secrets, policyUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({
            location: getTableColumns(locations),
            bc: getTableColumns(backupConfigurations),
            link_created: policyLocations.created,
            ...total,
          })
          .from(policyLocations)
          .innerJoin(locations, eq(locations.uuid, policyLocations.location_uuid))
          .leftJoin(backupConfigurations, eq(backupConfigurations.uuid, locations.backup_configuration_uuid)),
      where: eq(policyLocations.policy_uuid, policyUuid),
      search: [locations.name],
      orderBy: [asc(policyLocations.created), asc(policyLocations.location_uuid)],
      map: (r) => ({ location: toAdminLocation(secrets, r.location, r.bc), created: r.link_created }),
    },
    page,
  )
}

/** `{node, created}` of a policy by link creation (never a token); `search` matches the node name. */
export function listPolicyNodes(db: Db | Tx, secrets: Secrets, policyUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ node_uuid: nodes.uuid, created: policyNodes.created, ...total })
          .from(policyNodes)
          .innerJoin(nodes, eq(nodes.uuid, policyNodes.node_uuid)),
      where: eq(policyNodes.policy_uuid, policyUuid),
      search: [nodes.name],
      orderBy: [asc(policyNodes.created), asc(policyNodes.node_uuid)],
      load: async (rows) =>
        new Map(await Promise.all(rows.map(async (r) => [r.node_uuid, await adminNode(db, secrets, r.node_uuid)] as const))),
      map: (r, loaded) => ({ node: loaded.get(r.node_uuid)!, created: r.created }),
    },
    page,
  )
}

/** `{server, created}` of a policy by link creation; `search` matches the server name. */
export function listPolicyServers(db: Db | Tx, views: ServerViews, policyUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ server: getTableColumns(servers), link_created: policyServers.created, ...total })
          .from(policyServers)
          .innerJoin(servers, eq(servers.uuid, policyServers.server_uuid)),
      where: eq(policyServers.policy_uuid, policyUuid),
      search: [servers.name],
      orderBy: [asc(policyServers.created), asc(policyServers.server_uuid)],
      load: async (rows) =>
        new Map(
          (
            await toAdminServers(
              db,
              views,
              rows.map((r) => r.server),
            )
          ).map((s) => [s.uuid, s]),
        ),
      map: (r, loaded) => ({ server: loaded.get(r.server.uuid)!, created: r.link_created }),
    },
    page,
  )
}

/** The backups a policy started, newest first, as links (until the backups plugin provides its list). */
export function listPolicyBackupLinks(db: Db | Tx, policyUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: backups,
      where: eq(backups.policy_uuid, policyUuid),
      orderBy: [asc(backups.slot), asc(backups.backup_uuid)],
      map: (r) => ({ uuid: r.backup_uuid, server_uuid: r.server_uuid, slot: r.slot, created: r.created }),
    },
    page,
  )
}

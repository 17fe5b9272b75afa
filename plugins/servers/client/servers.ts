import { and, asc, eq, inArray, ne, not, sql, type SQL } from 'drizzle-orm'
import type { Static } from 'elysia'
import { hasAdminPermission, paginate, type Db, type PageParams, type Principal, type Tx } from 'hatchery'
import { mergedEggConfigurations } from '../../egg-configurations'
import { tables as locationTables } from '../../locations'
import { pairsToObject, tables as nestTables } from '../../nests'
import { tables as nodeTables } from '../../nodes'
import { featureLimits, serverAllocationsOf, type ServerRow } from '../service/admin-servers'
import { serverAllocations, serverSubusers, servers } from '../tables'
import { tables as userTables } from '../../users'
import type { ClientServer } from './model'
import { readsEveryServer, type ClientServerAccess } from './scope'

type Client = Static<typeof ClientServer>

/**
 * The tables a client `Server` object and its lists are read from (`toClientServers`, `heldBy`,
 * the owner search): what a cache of them watches. Each has the trigger of
 * `migrations/servers/0003_change_notify.sql`, so other panel processes see its changes too.
 */
export const CLIENT_SERVER_TABLES = [
  'servers',
  'server_subusers',
  'server_allocations',
  'node_allocations',
  'nodes',
  'locations',
  'nest_eggs',
  'egg_configurations',
  'egg_configuration_eggs',
  'users',
]
const distinct = <T>(values: (T | null)[]) => [...new Set(values.filter((v): v is T => v !== null))]

/** Where SFTP clients connect (spec 03 §1.8): `sftp_host`, else the host of `public_url`, else of `url`. */
function sftpHost(node: { sftp_host: string | null; public_url: string | null; url: string }): string {
  if (node.sftp_host) return node.sftp_host
  for (const url of [node.public_url, node.url]) {
    try {
      if (url) return new URL(url).hostname
    } catch {}
  }
  return 'unknown.sftp.host'
}

/** The client `Server` objects of `rows` for the caller; `accessOf` says who they are to each. */
export async function toClientServers(
  db: Db | Tx,
  principal: Principal,
  rows: ServerRow[],
  accessOf: (row: ServerRow) => ClientServerAccess,
): Promise<Client[]> {
  if (!rows.length) return []
  const { nodes } = nodeTables
  const { locations } = locationTables
  const nodeRows = await db
    .select({ node: nodes, location: locations })
    .from(nodes)
    .innerJoin(locations, eq(locations.uuid, nodes.location_uuid))
    .where(inArray(nodes.uuid, distinct(rows.map((r) => r.node_uuid))))
  const nodeOf = new Map(nodeRows.map((n) => [n.node.uuid, n]))
  const eggUuids = distinct(rows.map((r) => r.egg_uuid))
  const eggOf = new Map(
    (await db.select().from(nestTables.nestEggs).where(inArray(nestTables.nestEggs.uuid, eggUuids))).map((e) => [e.uuid, e]),
  )
  const configOf = await mergedEggConfigurations(db, eggUuids)
  const primaryUuids = distinct(rows.map((r) => r.allocation_uuid))
  const primaries = primaryUuids.length
    ? new Map((await serverAllocationsOf(db, inArray(serverAllocations.uuid, primaryUuids), new Set(primaryUuids))).map((a) => [a.uuid, a]))
    : new Map()
  return rows.map((r) => {
    const { node, location } = nodeOf.get(r.node_uuid)!
    const egg = eggOf.get(r.egg_uuid)!
    const config = configOf.get(r.egg_uuid)!
    const access = accessOf(r)
    return {
      uuid: r.uuid,
      uuid_short: (r.uuid_short >>> 0).toString(16).padStart(8, '0'),
      allocation: (r.allocation_uuid && primaries.get(r.allocation_uuid)) || null,
      egg: {
        uuid: egg.uuid,
        name: egg.name,
        description: egg.description,
        startup_commands: pairsToObject(egg.startup_commands),
        separate_port: egg.separate_port,
        features: egg.features,
        docker_images: pairsToObject(egg.docker_images),
        created: egg.created,
      },
      egg_configuration: {
        allocation_self_assign_enabled: config.config_allocations?.user_self_assign.enabled ?? false,
        allocation_self_assign_require_primary: config.config_allocations?.user_self_assign.require_primary_allocation ?? false,
        startup_allow_custom_command: config.config_startup?.allow_custom_startup_command ?? false,
        route_order: (config.config_routes?.order as Client['egg_configuration']['route_order']) ?? null,
      },
      status: r.status,
      is_owner: access.owner,
      is_suspended: r.suspended,
      is_transferring: r.destination_node_uuid !== null,
      permissions: !principal.user.admin && access.subuser ? access.subuser.permissions : ['*'],
      location_uuid: location.uuid,
      location_name: location.name,
      location_flag: location.flag,
      node_uuid: node.uuid,
      node_name: node.name,
      node_maintenance_enabled: node.maintenance_enabled,
      sftp_host: sftpHost(node),
      sftp_port: node.sftp_port,
      name: r.name,
      description: r.description,
      limits: { cpu: r.cpu, memory: r.memory, swap: r.swap, disk: r.disk },
      feature_limits: featureLimits(r),
      startup: r.startup,
      image: r.image,
      auto_kill: r.auto_kill,
      auto_start_behavior: r.auto_start_behavior,
      timezone: r.timezone,
      created: r.created,
    }
  })
}

/** Whether `user` is a subuser of the server of the row in hand. */
export const subuserOf = (user: string): SQL =>
  sql`exists (select 1 from ${serverSubusers} where ${serverSubusers.server_uuid} = ${servers.uuid} and ${serverSubusers.user_uuid} = ${user})`

/**
 * The servers `user` owns or is a subuser of (their client lists; `/api/admin/users/{user}/servers`). As the uuids
 * of a union, not `owner = user or exists (subuser)`: PostgreSQL cannot answer that OR from the
 * owner and subuser indexes, so it walked every server in list order filtering on it (9,900 rows
 * removed for a user with 100 of 10,000 servers); the union reads both indexes and touches only
 * the user's rows (`bench/explain-servers.ts`).
 */
export const heldBy = (user: string): SQL =>
  sql`${servers.uuid} in (select ${servers.uuid} from ${servers} where ${servers.owner_uuid} = ${user} union all select ${serverSubusers.server_uuid} from ${serverSubusers} where ${serverSubusers.user_uuid} = ${user})`

/** Matches the owner's username or email (the lists' `search`). */
export const ownerColumns = (): SQL[] => {
  const { users } = userTables
  return [
    sql`(select ${users.username} from ${users} where ${users.uuid} = ${servers.owner_uuid})`,
    sql`(select ${users.email} from ${users} where ${users.uuid} = ${servers.owner_uuid})`,
  ]
}

/**
 * A page of client `Server` objects for the caller: the servers `where` selects, in `orderBy`
 * order, `search` matching the name or the owner's username or email. Each object is computed for
 * the caller (owner, subuser grant, or neither).
 */
export function clientServerPage(db: Db | Tx, principal: Principal, page: PageParams, where: SQL | undefined, orderBy: SQL[] = []) {
  const me = principal.user.uuid
  return paginate(
    db,
    {
      from: servers,
      where,
      search: [servers.name, ...ownerColumns()],
      orderBy: [...orderBy, asc(servers.created), asc(servers.uuid)],
      load: async (rows) => {
        const grants = rows.length
          ? await db
              .select()
              .from(serverSubusers)
              .where(
                and(
                  eq(serverSubusers.user_uuid, me),
                  inArray(
                    serverSubusers.server_uuid,
                    rows.map((r) => r.uuid),
                  ),
                ),
              )
          : []
        const grantOf = new Map(grants.map((g) => [g.server_uuid, { permissions: g.permissions, ignored_files: g.ignored_files }]))
        const access = (r: ServerRow) => ({
          owner: r.owner_uuid === me,
          subuser: r.owner_uuid === me ? null : (grantOf.get(r.uuid) ?? null),
        })
        return new Map((await toClientServers(db, principal, rows, access)).map((s) => [s.uuid, s]))
      },
      map: (row, loaded) => loaded.get(row.uuid)!,
    },
    page,
  )
}

/**
 * `GET /api/client/servers` (spec 03 §1.6): the servers the caller owns or is a subuser of, or
 * with `other` and the admin permission `servers.read` every server they neither own nor are a
 * subuser of; `search` matches the name or the owner's username or email; oldest first.
 */
export function listClientServers(db: Db | Tx, principal: Principal, page: PageParams, other: boolean) {
  const me = principal.user.uuid
  const where = other && hasAdminPermission(principal, 'servers.read') ? and(ne(servers.owner_uuid, me), not(subuserOf(me))) : heldBy(me)
  return clientServerPage(db, principal, page, where)
}

/**
 * The servers of an account's server group (spec 01 §4.16): those of `order` the caller can reach
 * (owner, subuser, or a reader of every server), in the group's order, then by creation.
 */
export function groupServers(db: Db | Tx, principal: Principal, page: PageParams, order: string[]) {
  if (!order.length) return Promise.resolve({ total: 0, per_page: page.perPage, page: page.page, data: [] })
  const listed = inArray(servers.uuid, order)
  const where = readsEveryServer(principal) ? listed : and(listed, heldBy(principal.user.uuid))
  const byOrder = sql`array_position(array[${sql.join(
    order.map((u) => sql`${u}`),
    sql`, `,
  )}]::uuid[], ${servers.uuid})`
  return clientServerPage(db, principal, page, where, [byOrder])
}

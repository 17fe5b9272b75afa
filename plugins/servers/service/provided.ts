import { eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { Db, PageParams, PluginContext } from 'hatchery'
import allocations from '../../allocations'
import backupConfigurations from '../../backup-configurations'
import nests from '../../nests'
import type { ServersApi } from '../api'
import { AdminServer } from '../model'
import { serverAllocations, servers } from '../tables'
import { listServers, toAdminServers } from './admin-servers'

const claimOf = (allocation: unknown, extra?: SQL) =>
  sql`exists (select 1 from ${serverAllocations} where ${serverAllocations.allocation_uuid} = ${allocation}${extra ? sql` and ${extra}` : sql``})`

/**
 * The servers other plugins show: an egg's and a backup configuration's servers lists, and for the
 * allocations plugin which allocations are assigned (a `server_allocations` row), their notes (its
 * `search`) and the `AdminServer` each is assigned to.
 */
export function provideServerLists(ctx: PluginContext, api: ServersApi): void {
  const listed = (where: (uuid: string) => SQL) => ({
    model: AdminServer,
    list: async (db: Db, uuid: string, page: PageParams) => listServers(db, await api.views(), page, where(uuid)),
  })
  ctx.api(nests).lists.provide(
    'servers',
    listed((egg) => eq(servers.egg_uuid, egg)),
  )
  ctx.api(backupConfigurations).lists.provide(
    'servers',
    listed((bc) => eq(servers.backup_configuration_uuid, bc)),
  )
  ctx.api(allocations).provideAssignments({
    assigned: (allocation) => claimOf(allocation),
    notesMatch: (allocation, pattern) => claimOf(allocation, sql`${serverAllocations.notes} ilike ${pattern}`),
    servers: async (db, uuids) => {
      const claims = await db.select().from(serverAllocations).where(inArray(serverAllocations.allocation_uuid, uuids))
      if (claims.length === 0) return new Map()
      const rows = await db
        .select()
        .from(servers)
        .where(inArray(servers.uuid, [...new Set(claims.map((c) => c.server_uuid))]))
      const answered = new Map((await toAdminServers(db, await api.views(), rows)).map((s) => [s.uuid, s]))
      return new Map(claims.map((c) => [c.allocation_uuid, answered.get(c.server_uuid)]))
    },
    model: AdminServer,
  })
}

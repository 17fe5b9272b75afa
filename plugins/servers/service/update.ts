import { eq } from 'drizzle-orm'
import { BadRequest, transaction, type Actor, type PluginContext, type Tx } from 'hatchery'
import { tables as backupTables } from '../../backup-configurations'
import { tables as nestTables } from '../../nests'
import { getNode } from '../../nodes'
import { lockUser } from '../../users'
import type { ServersApi } from '../api'
import type { UpdateServer } from '../model'
import { servers } from '../tables'
import { getServer, type ServerRow } from './admin-servers'
import { TIME_ZONES } from './create'

async function mustExist(
  tx: Tx,
  table: typeof nestTables.nestEggs | typeof backupTables.backupConfigurations,
  uuid: string,
  relation: string,
) {
  const [found] = await tx.select({ uuid: table.uuid }).from(table).where(eq(table.uuid, uuid))
  if (!found) throw new BadRequest(`invalid relation \`${relation}\` provided`)
}

/** The columns a PATCH body changes (limits and feature limits replace all their values). */
function changesOf(input: UpdateServer): Partial<ServerRow> {
  const { limits, feature_limits: f, ...plain } = input
  return {
    ...plain,
    ...(limits && { ...limits, io_weight: limits.io_weight ?? null }),
    ...(f && { allocation_limit: f.allocations, database_limit: f.databases, backup_limit: f.backups, schedule_limit: f.schedules }),
  }
}

/** `server:update` activity data (spec 02 §8.5): `suspended` is not part of it. */
const updateAudit = (row: ServerRow, input: UpdateServer) => ({
  uuid: row.uuid,
  owner_uuid: row.owner_uuid,
  egg_uuid: row.egg_uuid,
  external_id: row.external_id,
  name: row.name,
  description: row.description,
  limits: input.limits ?? null,
  pinned_cpus: row.pinned_cpus,
  startup: row.startup,
  image: row.image,
  timezone: row.timezone,
  hugepages_passthrough_enabled: row.hugepages_passthrough_enabled,
  kvm_passthrough_enabled: row.kvm_passthrough_enabled,
  feature_limits: input.feature_limits ?? null,
})

/**
 * Changes a server (spec 02 §8.5), the owner's row locked first; then its configuration is pushed
 * to Wings without waiting (a failed push is logged: Wings fetches the document again on boot).
 * Suspending this way makes Wings stop the server.
 */
export async function updateServer(ctx: PluginContext, api: ServersApi, actor: Actor, uuid: string, input: UpdateServer): Promise<void> {
  const current = await getServer(ctx.db, uuid)
  if (input.auto_kill && (input.auto_kill.seconds < 1 || input.auto_kill.seconds > 3600)) {
    throw new BadRequest('auto kill seconds must be between 1 and 3600')
  }
  if (input.timezone && !TIME_ZONES.has(input.timezone)) throw new BadRequest(`timezone: unknown time zone '${input.timezone}'`)
  const row = await transaction(ctx.db, async (tx) => {
    await lockUser(tx, current.owner_uuid)
    if (input.owner_uuid && !(await lockUser(tx, input.owner_uuid))) throw new BadRequest('invalid relation `owner` provided')
    const locked = await getServer(tx, current.uuid, true)
    if (input.egg_uuid) await mustExist(tx, nestTables.nestEggs, input.egg_uuid, 'egg')
    if (input.backup_configuration_uuid)
      await mustExist(tx, backupTables.backupConfigurations, input.backup_configuration_uuid, 'backup_configuration')
    const changes = Object.fromEntries(Object.entries(changesOf(input)).filter(([, v]) => v !== undefined))
    const [updated] = Object.keys(changes).length
      ? await tx.update(servers).set(changes).where(eq(servers.uuid, locked.uuid)).returning()
      : [locked]
    await ctx.activity.admin(tx, actor, 'server:update', updateAudit(updated, input))
    return updated
  })
  void pushConfiguration(ctx, api, row)
}

/** Sends the server's document to its node; failures are logged, never thrown (fire and forget). */
export async function pushConfiguration(ctx: PluginContext, api: ServersApi, server: ServerRow): Promise<void> {
  try {
    const node = await getNode(ctx.db, server.node_uuid)
    await api.wings(node).syncServer(server.uuid, await api.document(ctx.db, server))
  } catch (error) {
    ctx.log.warn('configuration push to wings failed', { server: server.uuid, error: error as Error })
  }
}

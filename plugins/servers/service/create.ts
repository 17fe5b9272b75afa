import { randomUUID } from 'node:crypto'
import { and, eq, inArray } from 'drizzle-orm'
import { BadRequest, transaction, type Actor, type Db, type PluginContext, type Tx } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { tables as backupTables } from '../../backup-configurations'
import { tables as nestTables } from '../../nests'
import { tables as nodeTables, type NodeRow } from '../../nodes'
import { lockUser } from '../../users'
import type { ServersApi } from '../api'
import type { CreateServer } from '../model'
import { serverAllocations, servers, serverVariables } from '../tables'
import type { ServerRow } from './admin-servers'
import { checkVariables } from './variables'

export const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])

/** `uuid_short`: the first 32 bits of the uuid as a signed integer (spec 02 §8.2 step 3). */
export const shortOf = (uuid: string) => Number.parseInt(uuid.slice(0, 8), 16) | 0

async function exists(found: Promise<unknown[]>, relation: string) {
  if ((await found).length === 0) throw new BadRequest(`invalid relation \`${relation}\` provided`)
}

/** The server's columns from the request body (the node and the uuid aside). */
function columnsOf(input: CreateServer) {
  const { limits, feature_limits: f } = input
  return {
    external_id: input.external_id ?? null,
    owner_uuid: input.owner_uuid,
    egg_uuid: input.egg_uuid,
    backup_configuration_uuid: input.backup_configuration_uuid ?? null,
    name: input.name,
    description: input.description ?? null,
    status: input.skip_installer ? null : ('installing' as const),
    cpu: limits.cpu,
    memory: limits.memory,
    memory_overhead: limits.memory_overhead,
    swap: limits.swap,
    disk: limits.disk,
    io_weight: limits.io_weight ?? null,
    pinned_cpus: input.pinned_cpus,
    startup: input.startup,
    image: input.image,
    timezone: input.timezone ?? null,
    hugepages_passthrough_enabled: input.hugepages_passthrough_enabled,
    kvm_passthrough_enabled: input.kvm_passthrough_enabled,
    allocation_limit: f.allocations,
    database_limit: f.databases,
    backup_limit: f.backups,
    schedule_limit: f.schedules,
  }
}

/** `server:create` activity data (spec 02 §8.2), in the reference's key order. */
export const createAudit = (uuid: string, input: CreateServer) => ({
  uuid,
  node_uuid: input.node_uuid,
  owner_uuid: input.owner_uuid,
  egg_uuid: input.egg_uuid,
  allocation_uuid: input.allocation_uuid ?? null,
  allocation_uuids: input.allocation_uuids,
  external_id: input.external_id ?? null,
  start_on_completion: input.start_on_completion,
  skip_installer: input.skip_installer,
  name: input.name,
  description: input.description ?? null,
  limits: { ...input.limits, io_weight: input.limits.io_weight ?? null },
  pinned_cpus: input.pinned_cpus,
  startup: input.startup,
  image: input.image,
  timezone: input.timezone ?? null,
  hugepages_passthrough_enabled: input.hugepages_passthrough_enabled,
  kvm_passthrough_enabled: input.kvm_passthrough_enabled,
  feature_limits: input.feature_limits,
  variables: input.variables,
})

/** A uuid whose short form no server has (3 tries, as the reference). */
async function freshUuid(tx: Tx): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const uuid = randomUUID()
    if ((await tx.$count(servers, eq(servers.uuid_short, shortOf(uuid)))) === 0) return uuid
  }
  throw new BadRequest('could not find a free short server id, try again')
}

/**
 * The server row, its allocation claims and variable values, in one transaction with the owner
 * locked first (the lock order of the users plugin). The allocations must be free allocations of
 * the node (the reference does not check the node); a taken one is 409 through the unique index.
 */
async function insertServer(tx: Tx, input: CreateServer, values: VariableValue[]): Promise<{ row: ServerRow; node: NodeRow }> {
  if (!(await lockUser(tx, input.owner_uuid))) throw new BadRequest('invalid relation `owner` provided')
  const [node] = await tx.select().from(nodeTables.nodes).where(eq(nodeTables.nodes.uuid, input.node_uuid)).for('key share')
  if (!node) throw new BadRequest('invalid relation `node` provided')
  await exists(
    tx.select({ uuid: nestTables.nestEggs.uuid }).from(nestTables.nestEggs).where(eq(nestTables.nestEggs.uuid, input.egg_uuid)),
    'egg',
  )
  if (input.backup_configuration_uuid) {
    const bc = backupTables.backupConfigurations
    await exists(tx.select({ uuid: bc.uuid }).from(bc).where(eq(bc.uuid, input.backup_configuration_uuid)), 'backup_configuration')
  }
  const wanted = [...new Set([...(input.allocation_uuid ? [input.allocation_uuid] : []), ...input.allocation_uuids])]
  const na = allocationTables.nodeAllocations
  const onNode = wanted.length
    ? await tx
        .select({ uuid: na.uuid })
        .from(na)
        .where(and(inArray(na.uuid, wanted), eq(na.node_uuid, node.uuid)))
    : []
  if (onNode.length !== wanted.length) throw new BadRequest('all allocations must belong to the node')

  const uuid = await freshUuid(tx)
  const [row] = await tx
    .insert(servers)
    .values({ uuid, uuid_short: shortOf(uuid), node_uuid: node.uuid, ...columnsOf(input) })
    .returning()
  const claims = wanted.length
    ? await tx
        .insert(serverAllocations)
        .values(wanted.map((allocation_uuid) => ({ server_uuid: uuid, allocation_uuid })))
        .returning()
    : []
  const primary = input.allocation_uuid ? claims.find((c) => c.allocation_uuid === input.allocation_uuid) : undefined
  if (values.length) await tx.insert(serverVariables).values(values.map((v) => ({ ...v, server_uuid: uuid })))
  if (!primary) return { row, node }
  const [withPrimary] = await tx.update(servers).set({ allocation_uuid: primary.uuid }).where(eq(servers.uuid, uuid)).returning()
  return { row: withPrimary, node }
}

export type VariableValue = { variable_uuid: string; value: string }

/**
 * What create and deploy check before anything else (spec 02 §8.2 step 1, §8.3 step 1): the time
 * zone (the reference rejects an unknown one while reading the body), then every egg variable.
 * Answers the variable values to store.
 */
export async function checkServerInput(db: Db, input: Pick<CreateServer, 'timezone' | 'egg_uuid' | 'variables'>): Promise<VariableValue[]> {
  if (input.timezone && !TIME_ZONES.has(input.timezone)) throw new BadRequest(`timezone: unknown time zone '${input.timezone}'`)
  return checkVariables(db, input.egg_uuid, input.variables)
}

/** Creates a server on an explicit node (spec 02 §8.2). */
export async function createServer(ctx: PluginContext, api: ServersApi, actor: Actor, input: CreateServer): Promise<ServerRow> {
  return commitServer(ctx, api, actor, input, await checkServerInput(ctx.db, input))
}

/**
 * The path create and deploy share, once the node, the allocations and the variable `values` are
 * known: the rows are committed first, because Wings fetches the new server's document from
 * `/api/remote` before it answers; then Wings is told. If Wings fails the rows are deleted again
 * (claims and variables with them) and its error is the answer. No transaction is open across the
 * Wings call. `server:create` (with `input.variables`, the supplied ones) is logged once Wings accepted.
 */
export async function commitServer(
  ctx: PluginContext,
  api: ServersApi,
  actor: Actor,
  input: CreateServer,
  values: VariableValue[],
): Promise<ServerRow> {
  const { row, node } = await transaction(ctx.db, (tx) => insertServer(tx, input, values))
  try {
    await api
      .wings(node)
      .createServer({ uuid: row.uuid, start_on_completion: input.start_on_completion, skip_scripts: input.skip_installer })
  } catch (error) {
    await ctx.db.delete(servers).where(eq(servers.uuid, row.uuid))
    throw error
  }
  await transaction(ctx.db, (tx) => ctx.activity.admin(tx, actor, 'server:create', createAudit(row.uuid, input)))
  return row
}

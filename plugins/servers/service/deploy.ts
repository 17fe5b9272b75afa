import { and, eq, inArray } from 'drizzle-orm'
import { BadRequest, Conflict, isUniqueViolation, type Actor, type PluginContext } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { mergedEggConfiguration } from '../../egg-configurations'
import { tables as nestTables } from '../../nests'
import type { NodeRow } from '../../nodes'
import type { ServersApi } from '../api'
import type { CreateServer, DeployServer } from '../model'
import { serverAllocations } from '../tables'
import { WingsUnreachable } from '../wings/transport'
import type { ServerRow } from './admin-servers'
import { checkServerInput, commitServer, type VariableValue } from './create'
import { allocationsInUse, nodeIps, pickAllocations, Unsatisfied, type DeploymentRules, type Picked } from './deploy-allocations'
import { deploymentBlocker, nodeUsage, rankNodes } from './deploy-nodes'

const CLAIM = 'server_allocations_allocation_uuid_unique'
const TAKEN = 'server with allocation(s) or external id already exists'
/** How many times a deploy chooses again after losing an allocation to a concurrent one. */
const CHOICES = 5
/** The rule standing in for none: one free allocation anywhere on the node, as the primary. */
const ANY_PORT = { start_port: 1, end_port: 65535, assign_to_variable: null }

interface Choice {
  node: NodeRow
  picked: Picked | null
}

/** The rules to evaluate per node, or null when the first candidate node takes it as asked. */
async function rulesFor(ctx: PluginContext, body: DeployServer): Promise<DeploymentRules | null> {
  const rules = body.deployment.allocations ?? (await mergedEggConfiguration(ctx.db, body.egg_uuid)).config_allocations?.deployment ?? null
  const noneGiven = !body.allocation_uuid && !body.allocation_uuids?.length
  // Beyond the reference (which leaves such a server portless): nothing asked, one free allocation.
  if (noneGiven && (!rules || (!rules.primary && !rules.additional.length)))
    return { dedicated: rules?.dedicated ?? false, primary: ANY_PORT, additional: [] }
  return rules && (!body.allocation_uuid || !body.allocation_uuids) ? rules : null
}

/** The one node holding every explicit allocation (400 otherwise, as create answers). */
async function nodeOfExplicit(ctx: PluginContext, explicit: string[]): Promise<string | null> {
  if (!explicit.length) return null
  const na = allocationTables.nodeAllocations
  const rows = await ctx.db.select({ node: na.node_uuid }).from(na).where(inArray(na.uuid, explicit))
  const nodes = new Set(rows.map((r) => r.node))
  if (rows.length !== new Set(explicit).size || nodes.size !== 1) throw new BadRequest('all allocations must belong to the node')
  return [...nodes][0]
}

/** Wings' answer on the ports in use, or why the node is skipped (the reference's wording on a timeout). */
async function inUse(ctx: PluginContext, api: ServersApi, node: NodeRow): Promise<string[]> {
  const ips = await nodeIps(ctx.db, node.uuid)
  if (!ips.length) return []
  let used: Record<string, number[]>
  try {
    used = await api.usedPorts(node, ips)
  } catch (error) {
    if (error instanceof WingsUnreachable && error.reason === 'timeout')
      throw new Unsatisfied('timed out asking the node which ports are in use')
    throw new Unsatisfied((error as Error).message)
  }
  return allocationsInUse(ctx.db, node.uuid, used)
}

/** Steps 2–6 of spec 02 §8.3: the node, and what the rules picked on it. */
async function choose(ctx: PluginContext, api: ServersApi, body: DeployServer, rules: DeploymentRules | null, lost: Set<string>) {
  const { deployment, limits } = body
  const wanted = { memory: limits.memory, disk: limits.disk, allow_overallocation: deployment.allow_overallocation }
  const usage = await nodeUsage(ctx.db, deployment.location_uuids, deployment.suspension_penalty ?? 0.5)
  const explicit = [...(body.allocation_uuid ? [body.allocation_uuid] : []), ...(body.allocation_uuids ?? [])]
  const holder = await nodeOfExplicit(ctx, explicit)
  let nodes = rankNodes(usage, wanted, deployment.randomness ?? 0.5)
  let reason: string | null = null
  if (holder) {
    nodes = nodes.filter((n) => n.uuid === holder)
    if (!nodes.length) reason = 'the node of the given allocations is not eligible for deployment'
  }
  let chosen: Choice | null = null
  for (const node of rules ? nodes : nodes.slice(0, 1)) {
    if (!rules) {
      chosen = { node, picked: null }
      break
    }
    try {
      const exclude = [...(await inUse(ctx, api, node)), ...lost, ...explicit]
      chosen = { node, picked: await pickAllocations(ctx.db, node, rules, exclude) }
      break
    } catch (error) {
      if (!(error instanceof Unsatisfied)) throw error
      reason = error.message
    }
  }
  if (!chosen) {
    const why = deploymentBlocker(usage, wanted) ?? reason ?? 'no eligible node found for server deployment'
    throw new BadRequest(`could not deploy server: ${why}`)
  }
  return chosen
}

/** The supplied values plus the ports assigned to variables of the egg (an assigned port wins). */
async function withPorts(ctx: PluginContext, egg: string, values: VariableValue[], ports: Map<string, string>): Promise<VariableValue[]> {
  if (!ports.size) return values
  const v = nestTables.nestEggVariables
  const variables = await ctx.db
    .select({ uuid: v.uuid, env: v.env_variable })
    .from(v)
    .where(and(eq(v.egg_uuid, egg), inArray(v.env_variable, [...ports.keys()])))
  const assigned = new Map(variables.map((x) => [x.uuid, ports.get(x.env)!]))
  return [
    ...values.filter((x) => !assigned.has(x.variable_uuid)),
    ...[...assigned].map(([variable_uuid, value]) => ({ variable_uuid, value })),
  ]
}

/**
 * `POST /api/admin/servers/deploy` (spec 02 §8.3): the body is checked as create checks it, a node
 * and allocations are chosen, then the server is made through create's path (`commitServer`). The
 * unique index on claimed allocations decides between concurrent deploys: the loser chooses again
 * without the allocations it lost (up to 5 times), then answers 409.
 */
export async function deployServer(ctx: PluginContext, api: ServersApi, actor: Actor, body: DeployServer): Promise<ServerRow> {
  const values = await checkServerInput(ctx.db, body)
  const rules = await rulesFor(ctx, body)
  const { deployment: _, ...fields } = body
  const lost = new Set<string>()
  for (let round = 0; round < CHOICES; round++) {
    const { node, picked } = await choose(ctx, api, body, rules, lost)
    const input: CreateServer = {
      ...fields,
      node_uuid: node.uuid,
      allocation_uuid: body.allocation_uuid ?? picked?.primary ?? null,
      allocation_uuids: body.allocation_uuids ?? picked?.additional ?? [],
    }
    try {
      return await commitServer(ctx, api, actor, input, await withPorts(ctx, body.egg_uuid, values, picked?.variables ?? new Map()))
    } catch (error) {
      if (!picked || !isUniqueViolation(error, CLAIM)) throw error
      const mine = [...(picked.primary ? [picked.primary] : []), ...picked.additional]
      const claimed = (
        await ctx.db
          .select({ uuid: serverAllocations.allocation_uuid })
          .from(serverAllocations)
          .where(inArray(serverAllocations.allocation_uuid, mine))
      ).map((r) => r.uuid)
      if (!claimed.length) throw error
      for (const uuid of claimed) lost.add(uuid)
    }
  }
  throw new Conflict(TAKEN)
}

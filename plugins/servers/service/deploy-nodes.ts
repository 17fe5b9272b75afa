import { eq, inArray, sql } from 'drizzle-orm'
import type { Db } from 'hatchery'
import { tables as nodeTables, type NodeRow } from '../../nodes'
import { servers } from '../tables'

/** A node of the selected locations and what its servers use (suspended ones weighted by the penalty). */
export interface NodeUsage {
  node: NodeRow
  used_memory: number
  used_disk: number
}

export interface Wanted {
  memory: number
  disk: number
  allow_overallocation: boolean
}

/**
 * Every node of `locations` with its usage: Σ(memory + memory_overhead) and Σ disk over its
 * servers, a suspended server's counted × `penalty`, rounded as PostgreSQL casts to bigint.
 */
export async function nodeUsage(db: Db, locations: string[], penalty: number): Promise<NodeUsage[]> {
  if (!locations.length) return []
  const { nodes } = nodeTables
  const weight = sql`case when ${servers.suspended} then ${penalty}::float8 else 1.0::float8 end`
  const usage = db
    .select({
      node_uuid: servers.node_uuid,
      used_memory: sql<string>`coalesce(sum((${servers.memory} + ${servers.memory_overhead}) * ${weight}), 0)::bigint`.as('used_memory'),
      used_disk: sql<string>`coalesce(sum(${servers.disk} * ${weight}), 0)::bigint`.as('used_disk'),
    })
    .from(servers)
    .groupBy(servers.node_uuid)
    .as('usage')
  const rows = await db
    .select({ node: nodes, used_memory: usage.used_memory, used_disk: usage.used_disk })
    .from(nodes)
    .leftJoin(usage, eq(usage.node_uuid, nodes.uuid))
    .where(inArray(nodes.location_uuid, locations))
    .orderBy(nodes.created, nodes.uuid)
  return rows.map((r) => ({ node: r.node, used_memory: Number(r.used_memory ?? 0), used_disk: Number(r.used_disk ?? 0) }))
}

/** Takes new servers: deployment enabled and not in maintenance. */
const open = (n: NodeUsage) => n.node.deployment_enabled && !n.node.maintenance_enabled
const memoryFits = (n: NodeUsage, w: Wanted) => w.allow_overallocation || n.node.memory === 0 || n.used_memory + w.memory <= n.node.memory
const diskFits = (n: NodeUsage, w: Wanted) => w.allow_overallocation || n.node.disk === 0 || n.used_disk + w.disk <= n.node.disk

const over = (used: number, wanted: number, limit: number) => (limit === 0 ? 0 : Math.max(used + wanted - limit, 0))
const ratio = (used: number, wanted: number, limit: number) => (limit === 0 ? 0 : (used + wanted) / limit)
const free = (used: number, wanted: number, limit: number) => (limit === 0 ? 1 : 1 - (used + wanted) / limit)

/**
 * The candidate nodes, best first (spec 02 §8.3 step 2): open nodes with room (unless
 * overallocation is allowed; a limit of 0 is unlimited), by total overflow, then by the larger of
 * the memory and disk utilisation after placing the server. With `randomness > 0` a weighted
 * random order (Efraimidis–Spirakis): weight = clamp(min free ratio, 0.0001, 1)^(1/randomness).
 */
export function rankNodes(usage: NodeUsage[], w: Wanted, randomness: number, random = Math.random): NodeRow[] {
  const candidates = usage.filter((n) => open(n) && memoryFits(n, w) && diskFits(n, w))
  const overflow = (n: NodeUsage) => over(n.used_memory, w.memory, n.node.memory) + over(n.used_disk, w.disk, n.node.disk)
  const fill = (n: NodeUsage) => Math.max(ratio(n.used_memory, w.memory, n.node.memory), ratio(n.used_disk, w.disk, n.node.disk))
  candidates.sort((a, b) => overflow(a) - overflow(b) || fill(a) - fill(b))
  if (randomness <= 0) return candidates.map((n) => n.node)
  const keyed = candidates.map((n) => {
    const freeRatio = Math.min(free(n.used_memory, w.memory, n.node.memory), free(n.used_disk, w.disk, n.node.disk))
    const weight = Math.min(Math.max(freeRatio, 0.0001), 1) ** (1 / randomness)
    return { node: n.node, key: random() ** (1 / weight) }
  })
  return keyed.sort((a, b) => b.key - a.key).map((k) => k.node)
}

/** Why no node of the locations can take the server (spec 02 §8.3 step 6), or null when one could. */
export function deploymentBlocker(usage: NodeUsage[], w: Wanted): string | null {
  const deployable = usage.filter(open)
  const memory = deployable.filter((n) => memoryFits(n, w)).length
  const disk = deployable.filter((n) => diskFits(n, w)).length
  if (!usage.length) return 'no nodes exist in the selected location(s)'
  if (!deployable.length) return 'deployment is disabled on every node in the selected location(s)'
  if (deployable.some((n) => memoryFits(n, w) && diskFits(n, w))) return null
  if (!memory && !disk) return 'no node in the selected location(s) has enough unallocated memory or disk'
  if (!memory) return 'no node in the selected location(s) has enough unallocated memory'
  if (!disk) return 'no node in the selected location(s) has enough unallocated disk'
  return 'no single node in the selected location(s) has enough unallocated memory and disk at the same time'
}

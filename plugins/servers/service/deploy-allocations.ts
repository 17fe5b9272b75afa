import { and, between, eq, inArray, isNull, notInArray, or, sql, type SQL } from 'drizzle-orm'
import type { Static } from 'elysia'
import type { Db, Tx } from 'hatchery'
import { tables as allocationTables } from '../../allocations'
import { model as eggConfigurationModel } from '../../egg-configurations'
import type { NodeRow } from '../../nodes'
import { serverAllocations } from '../tables'

/** Deployment rules as the egg configuration or the deploy body state them (spec 02 §7.8). */
export type DeploymentRules = Static<typeof eggConfigurationModel.DeploymentInput>

/** Why a node cannot satisfy the rules: the node is skipped and this may become the 400's reason. */
export class Unsatisfied extends Error {}

export interface Picked {
  primary: string | null
  additional: string[]
  /** Egg variable → port, from `assign_to_variable`. */
  variables: Map<string, string>
}

interface Allocation {
  uuid: string
  ip: string
  port: number
}

const na = allocationTables.nodeAllocations
const sa = serverAllocations
const ip = sql<string>`host(${na.ip})`
const MAX_ATTEMPTS = 100

/** The node's allocations no server holds, outside `exclude`. */
export function unclaimed(db: Db | Tx, node: string, exclude: string[], ...where: (SQL | undefined)[]) {
  return db
    .select({ uuid: na.uuid, ip, port: na.port })
    .from(na)
    .leftJoin(sa, eq(sa.allocation_uuid, na.uuid))
    .where(and(eq(na.node_uuid, node), isNull(sa.uuid), exclude.length ? notInArray(na.uuid, exclude) : undefined, ...where))
}

const pickOne = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)]

/** A random free port in range: on `onIp`, or on a random IP having one (the reference's two queries). */
async function randomFree(db: Db, node: string, start: number, end: number, exclude: string[], onIp: string | null): Promise<Allocation> {
  const inRange = between(na.port, start, end)
  let target = onIp
  if (target === null) {
    const ips = await db
      .selectDistinct({ ip })
      .from(na)
      .leftJoin(sa, eq(sa.allocation_uuid, na.uuid))
      .where(and(eq(na.node_uuid, node), isNull(sa.uuid), exclude.length ? notInArray(na.uuid, exclude) : undefined, inRange))
    target = pickOne(ips)?.ip ?? null
    if (target === null) throw new Unsatisfied('only found 0 available allocations')
  }
  const [found] = await unclaimed(db, node, exclude, inRange, sql`${ip} = ${target}`)
    .orderBy(sql`random()`)
    .limit(1)
  if (!found) throw new Unsatisfied(`only found 0 available allocations${onIp === null ? '' : ' on this IP'}`)
  return found
}

/** A random port in range on a random IP where no allocation is held (nor excluded). */
async function randomDedicated(db: Db, node: string, start: number, end: number, exclude: string[]): Promise<Allocation> {
  const excluded = exclude.length ? sql`${inArray(na.uuid, exclude)}` : sql`false`
  const ips = await db
    .select({ ip })
    .from(na)
    .leftJoin(sa, eq(sa.allocation_uuid, na.uuid))
    .where(eq(na.node_uuid, node))
    .groupBy(ip)
    .having(
      and(
        sql`count(${sa.uuid}) = 0`,
        sql`count(*) filter (where ${excluded}) = 0`,
        sql`sum(case when ${na.port} between ${start} and ${end} then 1 else 0 end) >= 1`,
      ),
    )
  const target = pickOne(ips)?.ip
  const [found] = target
    ? await unclaimed(db, node, [], between(na.port, start, end), sql`${ip} = ${target}`)
        .orderBy(sql`random()`)
        .limit(1)
    : []
  if (!found) throw new Unsatisfied('only found 0 available dedicated allocations')
  return found
}

function derived(mode: DeploymentRules['additional'][number]['mode'], port: number): number {
  switch (mode.type) {
    case 'add_primary':
      return port + mode.value
    case 'subtract_primary':
      return port - mode.value
    case 'multiply_primary':
      return Math.trunc(port * mode.value)
    case 'divide_primary':
      return Math.trunc(port / mode.value)
    default:
      throw new Error(`not a derived mode: ${mode.type}`)
  }
}

/**
 * Evaluates deployment rules on one node (spec 02 §8.3 step 5), never choosing `exclude` (ports
 * Wings reports in use, allocations lost to concurrent deploys): the primary from its range (on a
 * dedicated IP if asked), then each additional one in order; a derived port (± × ÷ the primary's)
 * missing or taken restarts with a new random primary, up to 100 times. Throws `Unsatisfied`.
 */
export async function pickAllocations(db: Db, node: NodeRow, rules: DeploymentRules, exclude: string[]): Promise<Picked> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS && (attempt === 0 || rules.primary); attempt++) {
    const variables = new Map<string, string>()
    const additional: Allocation[] = []
    let primary: Allocation | null = null
    if (rules.primary) {
      const { start_port, end_port, assign_to_variable } = rules.primary
      primary = rules.dedicated
        ? await randomDedicated(db, node.uuid, start_port, end_port, exclude)
        : await randomFree(db, node.uuid, start_port, end_port, exclude, null)
      if (assign_to_variable) variables.set(assign_to_variable, String(primary.port))
    }
    let restart = false
    for (const { mode, assign_to_variable } of rules.additional) {
      let found: Allocation
      if (mode.type === 'random' || mode.type === 'range') {
        const [start, end] = mode.type === 'range' ? [mode.start_port, mode.end_port] : [1, 65535]
        const taken = [...exclude, ...additional.map((a) => a.uuid), ...(primary ? [primary.uuid] : [])]
        found = await randomFree(db, node.uuid, start, end, taken, primary?.ip ?? null)
      } else {
        if (!primary) throw new Unsatisfied(`primary allocation is required for \`${mode.type}\` mode`)
        const port = derived(mode, primary.port)
        const [exact] = await unclaimed(db, node.uuid, exclude, eq(na.port, port), sql`${ip} = ${primary.ip}`)
        if (!exact) {
          restart = true
          break
        }
        if (exact.uuid === primary.uuid || additional.some((a) => a.uuid === exact.uuid))
          throw new Unsatisfied('allocated additional allocation is already in use')
        found = exact
      }
      additional.push(found)
      if (assign_to_variable) variables.set(assign_to_variable, String(found.port))
    }
    if (!restart) return { primary: primary?.uuid ?? null, additional: additional.map((a) => a.uuid), variables }
  }
  throw new Unsatisfied(`could not satisfy all additional allocation rules after ${MAX_ATTEMPTS} attempts`)
}

/** The node's addresses (as Wings names them). */
export async function nodeIps(db: Db, node: string): Promise<string[]> {
  return (await db.selectDistinct({ ip }).from(na).where(eq(na.node_uuid, node))).map((r) => r.ip)
}

/** The node's allocations on the ports Wings reports in use. */
export async function allocationsInUse(db: Db, node: string, used: Record<string, number[]>): Promise<string[]> {
  const taken = Object.entries(used).filter(([, ports]) => ports.length)
  if (!taken.length) return []
  const rows = await db
    .select({ uuid: na.uuid })
    .from(na)
    .where(and(eq(na.node_uuid, node), or(...taken.map(([address, ports]) => and(sql`${ip} = ${address}`, inArray(na.port, ports))))))
  return rows.map((r) => r.uuid)
}

import { isIP } from 'node:net'
import { and, asc, eq, gte, lte, not, or, sql, type SQL } from 'drizzle-orm'
import type { Static } from 'elysia'
import { Conflict, escapeLike, paginate, rowsOf, Validation, type Db, type PageParams, type Tx } from 'hatchery'
import type { NodeRow } from '../nodes'
import { nodeAllocations } from './tables'
import { MAX_PORTS, type AllocationFilter, type CreateAllocations, type Selector } from './model'
import type { AllocationHooks, DoomedAllocation } from './hooks'

type Filter = Static<typeof AllocationFilter>
type SelectorInput = Static<typeof Selector>
const a = nodeAllocations

/** An IPv4 or IPv6 address as the reference's `IpAddr` takes it: no prefix length, no zone id. */
export const isIpAddress = (text: string) => isIP(text) !== 0 && !text.includes('%')

function checkIp(field: string, text: string | undefined): void {
  if (text !== undefined && !isIpAddress(text)) throw new Validation(`${field}: not a valid IP address`)
}

const hostPort = sql`host(${a.ip}) || ':' || ${a.port}`
const aliasPort = sql`${a.ip_alias} || ':' || ${a.port}`

/** What `filter` (a list's query, or the `filter` selector) narrows to, on top of the node. */
function narrowing(hooks: AllocationHooks, f: Filter, notes: boolean): SQL | undefined {
  const search = f.search ? `%${escapeLike(f.search)}%` : undefined
  return and(
    search
      ? or(sql`${hostPort} ilike ${search}`, sql`${aliasPort} ilike ${search}`, notes ? hooks.notesMatch(a.uuid, search) : undefined)
      : undefined,
    f.ip !== undefined ? sql`host(${a.ip}) = host(${f.ip}::inet)` : undefined,
    f.port_from !== undefined ? gte(a.port, f.port_from) : undefined,
    f.port_to !== undefined ? lte(a.port, f.port_to) : undefined,
    f.assigned === undefined ? undefined : f.assigned ? hooks.assigned(a.uuid) : not(hooks.assigned(a.uuid)),
  )
}

const emptyFilter = (f: Filter) =>
  !f.search && f.ip === undefined && f.port_from === undefined && f.port_to === undefined && f.assigned === undefined

/** The node's allocations a selector names; 400 for a filter without criteria or a bad `ip`. */
function selected(hooks: AllocationHooks, node: string, selector: SelectorInput): SQL {
  const ofNode = eq(a.node_uuid, node)
  if (selector.type === 'all') return ofNode
  if (selector.type === 'uuids') return and(ofNode, sql`${a.uuid} = any(${sql.param(selector.uuids)}::uuid[])`)!
  if (emptyFilter(selector.filter))
    throw new Validation(
      'selector.filter: filter must narrow the selection by at least one criterion, use the all selector to target every allocation',
    )
  checkIp('selector.filter.ip', selector.filter.ip)
  return and(ofNode, narrowing(hooks, selector.filter, true))!
}

/** The selector as the activity log records it (the reference serialises every filter key, absent ones as null). */
export function selectorAudit(selector: SelectorInput) {
  if (selector.type !== 'filter') return selector
  const f = selector.filter
  return {
    type: 'filter',
    filter: {
      search: f.search || null,
      ip: f.ip ?? null,
      port_from: f.port_from ?? null,
      port_to: f.port_to ?? null,
      assigned: f.assigned ?? null,
    },
  }
}

const listColumns = { uuid: a.uuid, ip: sql<string>`host(${a.ip})`, ip_alias: a.ip_alias, port: a.port, created: a.created }
type ListRow = { uuid: string; ip: string; ip_alias: string | null; port: number; created: Date }
const toAllocation = (r: ListRow, server: unknown = null) => ({
  uuid: r.uuid,
  server,
  ip: r.ip,
  ip_alias: r.ip_alias,
  port: r.port,
  created: r.created,
})
const byAddress = [asc(a.ip), asc(a.port), asc(a.uuid)]

/** A node's allocations by address then port, with every filter; `server` for assigned ones (through the hooks). */
export function listAllocations(db: Db | Tx, hooks: AllocationHooks, node: string, filter: Filter, page: PageParams) {
  checkIp('ip', filter.ip)
  return paginate(
    db,
    {
      from: (total) => db.select({ ...listColumns, ...total }).from(a),
      where: and(eq(a.node_uuid, node), narrowing(hooks, filter, true)),
      orderBy: byAddress,
      load: (rows) =>
        hooks.servers(
          db,
          rows.map((r) => r.uuid),
        ),
      map: (r, servers) => toAllocation(r, servers.get(r.uuid) ?? null),
    },
    { ...page, search: undefined },
  )
}

/** A node's unassigned allocations; `search` matches `<ip>:<port>` and `<ip_alias>:<port>`. */
export function listAvailable(db: Db | Tx, hooks: AllocationHooks, node: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) => db.select({ ...listColumns, ...total }).from(a),
      where: and(eq(a.node_uuid, node), not(hooks.assigned(a.uuid)), narrowing(hooks, { search: page.search }, false)),
      orderBy: byAddress,
      map: (r) => toAllocation(r),
    },
    { ...page, search: undefined },
  )
}

/** The node's distinct addresses, in address order. */
export async function allocationIps(db: Db | Tx, node: string): Promise<string[]> {
  const rows = await db
    .select({ ip: sql<string>`host(${a.ip})` })
    .from(a)
    .where(eq(a.node_uuid, node))
    .groupBy(sql`host(${a.ip})`)
    .orderBy(sql`min(${a.ip})`)
  return rows.map((r) => r.ip)
}

/** The address as the reference logs it, `<ip>/<prefix>` (its `IpNetwork`), canonical text. */
const auditIp = (ip: string) => sql`host(${ip}::inet) || '/' || masklen(${ip}::inet)`

const RANGE = /^(\d{1,5})-(\d{1,5})$/

/**
 * The ranges checked and bounded: each `"start-end"` within 1..65535, start ≤ end, and with `ports`
 * no more than MAX_PORTS ports named in all (before repeats are dropped). 400 naming the item.
 */
export function parseRanges(ports: number[], ranges: string[]): { starts: number[]; ends: number[] } {
  const starts: number[] = []
  const ends: number[] = []
  const problems: string[] = []
  let total = ports.length
  ranges.forEach((text, i) => {
    const m = RANGE.exec(text)
    const field = `port_ranges[${i}]`
    if (!m) return problems.push(`${field}: expected "start-end" (e.g. "25565-25600"), got ${JSON.stringify(text)}`)
    const [start, end] = [Number(m[1]), Number(m[2])]
    if (start < 1 || end > 65535) return problems.push(`${field}: ports must be between 1 and 65535`)
    if (start > end) return problems.push(`${field}: the start ${start} is above the end ${end}`)
    starts.push(start)
    ends.push(end)
    total += end - start + 1
  })
  if (problems.length) throw new Validation(problems)
  if (total > MAX_PORTS)
    throw new Validation(`ports: at most ${MAX_PORTS} ports per request (ports and port_ranges together), got ${total}`)
  return { starts, ends }
}

/**
 * Creates the node's allocations on `ip` for every port of `ports` (0 dropped) and `port_ranges`,
 * in one statement: repeats and ports the address already has are skipped (`on conflict do
 * nothing`). Returns how many were inserted and the address as the reference logs it
 * (`<ip>/<prefix>`).
 */
export async function createAllocations(tx: Tx, node: string, input: Static<typeof CreateAllocations>) {
  checkIp('ip', input.ip)
  const ports = input.ports ?? []
  const ranges = input.port_ranges ?? []
  if (input.ports === undefined && input.port_ranges === undefined) throw new Validation('ports: required')
  const { starts, ends } = parseRanges(ports, ranges)
  if (ports.length + starts.length === 0) throw new Validation('ports: length is lower than 1')
  const [row] = rowsOf<{ created: number; ip: string }>(
    await tx.execute(sql`
      with wanted(port) as (
        select p from unnest(${sql.param(ports)}::int[]) as p where p <> 0
        union
        select generate_series(s, e) from unnest(${sql.param(starts)}::int[], ${sql.param(ends)}::int[]) as r(s, e)
      ), inserted as (
        insert into node_allocations (node_uuid, ip, ip_alias, port)
        select ${node}::uuid, ${input.ip}::inet, ${input.ip_alias ?? null}::varchar, port from wanted
        -- One order for every request: concurrent overlapping creates wait on each other instead of deadlocking.
        order by port
        on conflict (node_uuid, host(ip), port) do nothing
        returning 1
      )
      select (select count(*) from inserted)::int as created, ${auditIp(input.ip)} as ip`),
  )
  return { created: Number(row.created), ip: row.ip }
}

/**
 * Moves the selected allocations to `ip` (and `ip_alias` when given; null clears it). Of the
 * matched ones only one per port is eligible (the lowest uuid), and it is skipped when another
 * allocation of the node already has `(ip, port)`. Returns `{ updated, skipped, ip }`.
 */
export async function updateAllocations(
  tx: Tx,
  hooks: AllocationHooks,
  node: NodeRow,
  input: { selector: SelectorInput; ip: string; ip_alias?: string | null },
) {
  checkIp('ip', input.ip)
  const where = selected(hooks, node.uuid, input.selector)
  const setAlias = input.ip_alias !== undefined
  const [row] = rowsOf<{ matched: number; updated: number; ip: string }>(
    await tx.execute(sql`
      with matched as (
        select ${a.uuid} as uuid, ${a.port} as port from ${a} where ${where}
      ), winners as (
        select distinct on (port) uuid, port from matched order by port, uuid
      ), eligible as (
        select w.uuid from winners w
        where not exists (
          select 1 from node_allocations existing
          where existing.node_uuid = ${node.uuid}::uuid and host(existing.ip) = host(${input.ip}::inet)
            and existing.port = w.port and existing.uuid <> w.uuid
        )
      ), updated as (
        update node_allocations
        set ip = ${input.ip}::inet,
            ip_alias = case when ${setAlias}::boolean then ${input.ip_alias ?? null}::varchar else node_allocations.ip_alias end
        where node_allocations.uuid in (select uuid from eligible)
        returning 1
      )
      select (select count(*) from matched)::int as matched, (select count(*) from updated)::int as updated,
             ${auditIp(input.ip)} as ip`),
  )
  return { updated: Number(row.updated), skipped: Number(row.matched) - Number(row.updated), ip: row.ip }
}

/**
 * Deletes the selected allocations; without `force` those assigned to a server are skipped, and
 * when every matched one is assigned the answer is 409. The deletion guards see what is about to
 * go (and may refuse by throwing).
 */
export async function deleteAllocations(
  tx: Tx,
  hooks: AllocationHooks,
  node: NodeRow,
  input: { selector: SelectorInput; force?: boolean },
): Promise<{ deleted: number; skipped: number }> {
  const force = input.force ?? false
  const matched: DoomedAllocation[] = await tx
    .select({ uuid: a.uuid, ip: sql<string>`host(${a.ip})`, port: a.port, assigned: sql<boolean>`${hooks.assigned(a.uuid)}` })
    .from(a)
    .where(selected(hooks, node.uuid, input.selector))
    .orderBy(...byAddress)
    // An allocation being assigned meanwhile (its server-allocation row's key lock) is waited for.
    .for('update')
  const doomed = force ? matched : matched.filter((r) => !r.assigned)
  if (matched.length > 0 && doomed.length === 0)
    throw new Conflict('every matched allocation is assigned to a server, force deletion to remove them anyway')
  for (const guard of hooks.deletionGuards) await guard(tx, node, doomed, force)
  if (doomed.length > 0) await tx.delete(a).where(sql`${a.uuid} = any(${sql.param(doomed.map((r) => r.uuid))}::uuid[])`)
  return { deleted: doomed.length, skipped: matched.length - doomed.length }
}

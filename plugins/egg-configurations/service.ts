import { asc, eq, inArray } from 'drizzle-orm'
import type { Static } from 'elysia'
import { BadRequest, loadOr404, paginate, uniqueAs, Validation, type Db, type PageParams, type Tx } from 'hatchery'
import { tables as nestTables } from '../nests'
import { eggConfigurationEggs, eggConfigurations, type ConfigAllocations } from './tables'
import type {
  ConfigAllocationsInput,
  CreateEggConfiguration,
  EggConfiguration,
  MergedEggConfiguration as Merged,
  UpdateEggConfiguration,
} from './model'

export type EggConfigurationRow = typeof eggConfigurations.$inferSelect
export type AdminEggConfiguration = Static<typeof EggConfiguration>
export type MergedEggConfiguration = Static<typeof Merged>

/** The reference words a taken name on create after the mounts route it was copied from. */
export const TAKEN_ON_CREATE = 'egg configuration with name/source/location already exists'
export const TAKEN = 'egg configuration with name already exists'

export const toEggConfiguration = (r: EggConfigurationRow, eggs: string[]): AdminEggConfiguration => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  order: r.order,
  eggs,
  config_allocations: (r.config_allocations ?? null) as AdminEggConfiguration['config_allocations'],
  config_startup: r.config_startup ?? null,
  config_routes: (r.config_routes ?? null) as AdminEggConfiguration['config_routes'],
  created: r.created,
})

/** `egg-configuration:create` / `:update` activity data. */
export const eggConfigurationAudit = (c: AdminEggConfiguration) => ({
  uuid: c.uuid,
  name: c.name,
  description: c.description,
  order: c.order,
  eggs: c.eggs,
  config_allocations: c.config_allocations,
  config_startup: c.config_startup,
  config_routes: c.config_routes,
})

/** The egg uuids of each configuration, in their listed order. */
async function eggsOf(db: Db | Tx, uuids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(uuids.map((u) => [u, []]))
  if (!uuids.length) return out
  const rows = await db
    .select()
    .from(eggConfigurationEggs)
    .where(inArray(eggConfigurationEggs.egg_configuration_uuid, uuids))
    .orderBy(asc(eggConfigurationEggs.position))
  for (const r of rows) out.get(r.egg_configuration_uuid)!.push(r.egg_uuid)
  return out
}

export async function adminEggConfiguration(db: Db | Tx, row: EggConfigurationRow): Promise<AdminEggConfiguration> {
  return toEggConfiguration(row, (await eggsOf(db, [row.uuid])).get(row.uuid)!)
}

/** The configuration a path parameter names: 400 malformed, 404 unknown. */
export const getEggConfiguration = (db: Db | Tx, uuid: string, lock = false) =>
  loadOr404(db, eggConfigurations, eggConfigurations.uuid, uuid, 'egg configuration', { lock })

const ORDER = [asc(eggConfigurations.order), asc(eggConfigurations.created), asc(eggConfigurations.uuid)]

/** Configurations by (`order`, `created`), as the reference lists them; `search` matches the name. */
export async function listEggConfigurations(db: Db | Tx, page: PageParams) {
  const result = await paginate(db, { from: eggConfigurations, search: [eggConfigurations.name], orderBy: ORDER }, page)
  const eggs = await eggsOf(
    db,
    result.data.map((r) => r.uuid),
  )
  return { ...result, data: result.data.map((r) => toEggConfiguration(r, eggs.get(r.uuid)!)) }
}

/**
 * What applies to one egg (spec 02 §7.8): every configuration listing it, in (`order`, `created`)
 * order; for each of the three sections the last one that sets it wins.
 * @example const { config_allocations } = await mergedEggConfiguration(db, egg.uuid)
 */
export async function mergedEggConfiguration(db: Db | Tx, eggUuid: string): Promise<MergedEggConfiguration> {
  return (await mergedEggConfigurations(db, [eggUuid])).get(eggUuid)!
}

/**
 * `mergedEggConfiguration` of several eggs in one statement (a page of servers).
 * @example const configOf = await mergedEggConfigurations(db, eggUuids)
 */
export async function mergedEggConfigurations(db: Db | Tx, eggUuids: string[]): Promise<Map<string, MergedEggConfiguration>> {
  const merged = new Map<string, MergedEggConfiguration>(
    eggUuids.map((u) => [u, { config_allocations: null, config_startup: null, config_routes: null }]),
  )
  if (!eggUuids.length) return merged
  const rows = await db
    .select({ egg: eggConfigurationEggs.egg_uuid, c: eggConfigurations })
    .from(eggConfigurations)
    .innerJoin(eggConfigurationEggs, eq(eggConfigurationEggs.egg_configuration_uuid, eggConfigurations.uuid))
    .where(inArray(eggConfigurationEggs.egg_uuid, eggUuids))
    .orderBy(...ORDER)
  for (const { egg, c } of rows) {
    const into = merged.get(egg)!
    if (c.config_allocations) into.config_allocations = c.config_allocations as MergedEggConfiguration['config_allocations']
    if (c.config_startup) into.config_startup = c.config_startup
    if (c.config_routes) into.config_routes = c.config_routes as MergedEggConfiguration['config_routes']
  }
  return merged
}

/** Dedupes (first mention wins) and checks every egg exists: 400 ``invalid relation `egg` provided`` otherwise. */
async function checkEggs(tx: Tx, eggs: string[]): Promise<string[]> {
  const unique = [...new Set(eggs.map((e) => e.toLowerCase()))]
  if (!unique.length) return unique
  const found = await tx
    .select({ uuid: nestTables.nestEggs.uuid })
    .from(nestTables.nestEggs)
    .where(inArray(nestTables.nestEggs.uuid, unique))
    .for('key share')
  if (found.length !== unique.length) throw new BadRequest('invalid relation `egg` provided')
  return unique
}

async function setEggs(tx: Tx, uuid: string, eggs: string[]): Promise<void> {
  await tx.delete(eggConfigurationEggs).where(eq(eggConfigurationEggs.egg_configuration_uuid, uuid))
  if (eggs.length)
    await tx.insert(eggConfigurationEggs).values(eggs.map((egg_uuid, position) => ({ egg_configuration_uuid: uuid, egg_uuid, position })))
}

const SELF_ASSIGN_DEFAULT = { enabled: false, require_primary_allocation: true, start_port: 49152, end_port: 65535 }

/**
 * Fills the defaults of `config_allocations` (every key present once stored) and checks what a
 * schema cannot: the self-assign range (`start_port < end_port`, the reference's rule) and that no
 * deployment range starts after it ends (it could never be satisfied).
 */
export function normalizeAllocations(input: Static<typeof ConfigAllocationsInput>): ConfigAllocations {
  const user_self_assign = input.user_self_assign ?? SELF_ASSIGN_DEFAULT
  const d = input.deployment ?? { dedicated: false, primary: null, additional: [] }
  const problems: string[] = []
  if (user_self_assign.start_port >= user_self_assign.end_port)
    problems.push('config_allocations.user_self_assign: port ranges must be 1-65535 and start_port < end_port')
  if (d.primary && d.primary.start_port > d.primary.end_port)
    problems.push('config_allocations.deployment.primary: start_port must not be greater than end_port')
  d.additional.forEach((a, i) => {
    if (a.mode.type === 'range' && a.mode.start_port > a.mode.end_port)
      problems.push(`config_allocations.deployment.additional[${i}].mode: start_port must not be greater than end_port`)
  })
  if (problems.length) throw new Validation(problems)
  return {
    user_self_assign: { ...user_self_assign },
    deployment: {
      dedicated: d.dedicated,
      primary: d.primary
        ? { start_port: d.primary.start_port, end_port: d.primary.end_port, assign_to_variable: d.primary.assign_to_variable ?? null }
        : null,
      additional: d.additional.map((a) => ({ mode: a.mode, assign_to_variable: a.assign_to_variable ?? null })),
    },
  }
}

const allocations = (v: Static<typeof ConfigAllocationsInput> | null | undefined) =>
  v === undefined ? undefined : v === null ? null : normalizeAllocations(v)

export async function createEggConfiguration(tx: Tx, input: Static<typeof CreateEggConfiguration>): Promise<AdminEggConfiguration> {
  const config_allocations = allocations(input.config_allocations) ?? null
  const eggs = await checkEggs(tx, input.eggs)
  const [row] = await tx
    .insert(eggConfigurations)
    .values({
      name: input.name,
      description: input.description ?? null,
      order: input.order,
      config_allocations,
      config_startup: input.config_startup ?? null,
      config_routes: input.config_routes ?? null,
    })
    .returning()
    .catch(uniqueAs(TAKEN_ON_CREATE))
  await setEggs(tx, row.uuid, eggs)
  return toEggConfiguration(row, eggs)
}

/** Absent fields stay; null clears `description` and the three sections; `eggs` replaces the list. */
export async function updateEggConfiguration(
  tx: Tx,
  uuid: string,
  input: Static<typeof UpdateEggConfiguration>,
): Promise<AdminEggConfiguration> {
  const current = await getEggConfiguration(tx, uuid, true)
  const config_allocations = allocations(input.config_allocations)
  const eggs = input.eggs === undefined ? undefined : await checkEggs(tx, input.eggs)
  const changes = {
    name: input.name,
    description: input.description,
    order: input.order,
    config_allocations,
    config_startup: input.config_startup,
    config_routes: input.config_routes,
  }
  let row = current
  if (Object.values(changes).some((v) => v !== undefined))
    [row] = await tx.update(eggConfigurations).set(changes).where(eq(eggConfigurations.uuid, current.uuid)).returning() // a taken name: 409 from uniqueMessages
  if (eggs) await setEggs(tx, row.uuid, eggs)
  return adminEggConfiguration(tx, row)
}

export async function deleteEggConfiguration(tx: Tx, uuid: string): Promise<EggConfigurationRow> {
  const row = await getEggConfiguration(tx, uuid, true)
  await tx.delete(eggConfigurations).where(eq(eggConfigurations.uuid, row.uuid))
  return row
}

/** A copy under a new name: description, order, eggs and the three sections. */
export async function duplicateEggConfiguration(
  tx: Tx,
  uuid: string,
  name: string,
): Promise<{ source: EggConfigurationRow; copy: AdminEggConfiguration }> {
  const source = await getEggConfiguration(tx, uuid)
  const { uuid: _, created: __, ...fields } = source
  const [row] = await tx
    .insert(eggConfigurations)
    .values({ ...fields, name })
    .returning()
  const eggs = (await eggsOf(tx, [source.uuid])).get(source.uuid)!
  await setEggs(tx, row.uuid, eggs)
  return { source, copy: toEggConfiguration(row, eggs) }
}

import { and, asc, eq, getTableColumns, inArray, ne } from 'drizzle-orm'
import type { Static } from 'elysia'
import {
  BadRequest,
  Conflict,
  HttpError,
  loadOr404,
  NotFound,
  paginate,
  pgError,
  transaction,
  Validation,
  type Db,
  type PageParams,
  type Tx,
} from 'hatchery'
import { nestEggMounts, nestEggs, nestEggVariables, nests, type ConfigFile, type OrderedPairs } from '../tables'
import type { AdminNestEgg, CreateEgg, UpdateEgg } from '../model'
import type { EggDeletionGuard, RepositoryEggSource } from '../hooks'

export type EggRow = typeof nestEggs.$inferSelect
export type AdminEgg = Static<typeof AdminNestEgg>
type NewEgg = typeof nestEggs.$inferInsert

/** An ordered map kept as `[key, value]` pairs, answered as an object in the same order. */
export const pairsToObject = (pairs: OrderedPairs): Record<string, string> => Object.fromEntries(pairs)

export function toAdminEgg(r: EggRow, repositoryEgg: Record<string, unknown> | null = null): AdminEgg {
  return {
    uuid: r.uuid,
    egg_repository_egg: repositoryEgg,
    name: r.name,
    description: r.description,
    author: r.author,
    config_files: r.config_files,
    config_startup: r.config_startup,
    config_stop: r.config_stop,
    config_script: r.config_script,
    startup_commands: pairsToObject(r.startup_commands),
    force_outgoing_ip: r.force_outgoing_ip,
    separate_port: r.separate_port,
    features: r.features,
    docker_images: pairsToObject(r.docker_images),
    file_denylist: r.file_denylist,
    created: r.created,
  } as AdminEgg
}

/** `nest:egg.create` / `nest:egg.update` activity data. */
export const eggAudit = (r: EggRow) => ({
  uuid: r.uuid,
  nest_uuid: r.nest_uuid,
  egg_repository_egg_uuid: r.egg_repository_egg_uuid,
  author: r.author,
  name: r.name,
  description: r.description,
  config_files: r.config_files,
  config_startup: r.config_startup,
  config_stop: r.config_stop,
  config_script: r.config_script,
  startup_commands: pairsToObject(r.startup_commands),
  force_outgoing_ip: r.force_outgoing_ip,
  separate_port: r.separate_port,
  features: r.features,
  docker_images: pairsToObject(r.docker_images),
  file_denylist: r.file_denylist,
})

/** `nest:egg.delete` activity data. */
export const eggDeleteAudit = (r: EggRow) => ({ uuid: r.uuid, nest_uuid: r.nest_uuid, author: r.author, name: r.name })

/** The egg a path parameter names, which must belong to the nest: 400 malformed, 404 unknown or elsewhere. */
export const getEgg = (db: Db | Tx, nestUuid: string, uuid: string, lock = false) =>
  loadOr404(db, nestEggs, nestEggs.uuid, uuid, 'egg', { where: eq(nestEggs.nest_uuid, nestUuid), lock })

/** The `egg_repository_egg` objects of a set of eggs (none until a source is provided). */
export async function repositoryEggsOf(db: Db | Tx, source: RepositoryEggSource | null, rows: EggRow[]) {
  const uuids = [...new Set(rows.map((r) => r.egg_repository_egg_uuid).filter((u): u is string => !!u))]
  if (!source || uuids.length === 0) return new Map<string, Record<string, unknown>>()
  return source.describe(db, uuids)
}

/** One egg as answered. */
export async function adminEgg(db: Db | Tx, source: RepositoryEggSource | null, row: EggRow): Promise<AdminEgg> {
  const repo = await repositoryEggsOf(db, source, [row])
  return toAdminEgg(row, (row.egg_repository_egg_uuid && repo.get(row.egg_repository_egg_uuid)) || null)
}

const answer = (repo: Map<string, Record<string, unknown>>, r: EggRow) =>
  toAdminEgg(r, (r.egg_repository_egg_uuid && repo.get(r.egg_repository_egg_uuid)) || null)

/** A nest's eggs by creation; `search` matches the name. */
export function listEggs(db: Db | Tx, source: RepositoryEggSource | null, nestUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: nestEggs,
      where: eq(nestEggs.nest_uuid, nestUuid),
      search: [nestEggs.name],
      orderBy: [asc(nestEggs.created), asc(nestEggs.uuid)],
      load: (rows) => repositoryEggsOf(db, source, rows),
      map: (r, repo) => answer(repo, r),
    },
    page,
  )
}

/** Every egg grouped by nest (nests without eggs left out), both by creation. */
export async function eggsByNest(db: Db, source: RepositoryEggSource | null) {
  const rows = await db
    .select({ nest: getTableColumns(nests), egg: getTableColumns(nestEggs) })
    .from(nestEggs)
    .innerJoin(nests, eq(nests.uuid, nestEggs.nest_uuid))
    .orderBy(asc(nests.created), asc(nests.uuid), asc(nestEggs.created), asc(nestEggs.uuid))
  const repo = await repositoryEggsOf(
    db,
    source,
    rows.map((r) => r.egg),
  )
  const groups: { nest: (typeof rows)[number]['nest']; eggs: AdminEgg[] }[] = []
  for (const { nest, egg } of rows) {
    if (groups.at(-1)?.nest.uuid !== nest.uuid) groups.push({ nest, eggs: [] })
    groups.at(-1)!.eggs.push(answer(repo, egg))
  }
  return groups
}

type EggInput = Partial<Static<typeof CreateEgg>>

/** An ordered map from the body: its entries in order, values unique (`duplicate <what>: <value>`). */
function orderedPairs(map: Record<string, string>, field: string, what: string, problems: string[]): OrderedPairs {
  const pairs = Object.entries(map)
  const seen = new Set<string>()
  for (const [, value] of pairs) {
    if (seen.has(value)) problems.push(`${field}: duplicate ${what}: ${value}`)
    seen.add(value)
  }
  return pairs
}

const configFiles = (files: NonNullable<EggInput['config_files']>): ConfigFile[] =>
  files.map((f) => ({
    file: f.file,
    create_new: f.create_new ?? true,
    parser: f.parser,
    replace: f.replace.map((r) => ({
      match: r.match,
      insert_new: r.insert_new ?? false,
      update_existing: r.update_existing ?? true,
      if_value: r.if_value ?? null,
      replace_with: r.replace_with ?? null,
    })),
  }))

/**
 * The columns an egg body sets (only the fields present), after the model's rules: at least one
 * startup command, startup commands and docker images unique, `config_startup.done` as a list,
 * `config_script.content` (or `script`) present.
 */
export function eggColumns(input: EggInput): Partial<NewEgg> {
  const problems: string[] = []
  const out: Partial<NewEgg> = {}
  for (const key of ['author', 'name', 'description', 'force_outgoing_ip', 'separate_port', 'features', 'file_denylist'] as const) {
    if (input[key] !== undefined) (out as Record<string, unknown>)[key] = input[key]
  }
  if (input.egg_repository_egg_uuid !== undefined) out.egg_repository_egg_uuid = input.egg_repository_egg_uuid?.toLowerCase() ?? null
  if (input.config_files) out.config_files = configFiles(input.config_files)
  if (input.config_startup) {
    const done = input.config_startup.done
    out.config_startup = {
      done: done === undefined ? [] : typeof done === 'string' ? [done] : done,
      strip_ansi: input.config_startup.strip_ansi ?? false,
    }
  }
  if (input.config_stop) out.config_stop = { type: input.config_stop.type, value: input.config_stop.value ?? null }
  if (input.config_script) {
    const s = input.config_script
    if (!('content' in s) && !('script' in s)) problems.push('config_script: missing field `content`')
    const content = 'content' in s ? s.content : s.script
    out.config_script = { container: s.container, entrypoint: s.entrypoint, content: typeof content === 'string' ? content : '' }
  }
  if (input.startup_commands) {
    out.startup_commands = orderedPairs(input.startup_commands, 'startup_commands', 'startup command', problems)
    if (out.startup_commands.length === 0) problems.push('startup_commands: at least one startup command is required')
  }
  if (input.docker_images) out.docker_images = orderedPairs(input.docker_images, 'docker_images', 'docker image', problems)
  if (problems.length) throw new Validation(problems)
  return out
}

/** A non-null repository egg must exist (only null is accepted until egg repositories exist). */
export async function checkRepositoryEgg(tx: Tx, source: RepositoryEggSource | null, uuid: string | null | undefined): Promise<void> {
  if (!uuid) return
  if (!source || !(await source.exists(tx, uuid.toLowerCase()))) throw new BadRequest('invalid relation `egg_repository_egg` provided')
}

/** Creates an egg in a nest from a validated body (409 `egg with name already exists` from uniqueMessages). */
export async function createEgg(
  tx: Tx,
  source: RepositoryEggSource | null,
  nestUuid: string,
  input: Static<typeof CreateEgg>,
): Promise<EggRow> {
  const columns = eggColumns(input)
  await checkRepositoryEgg(tx, source, input.egg_repository_egg_uuid)
  const [row] = await tx
    .insert(nestEggs)
    .values({ ...(columns as NewEgg), nest_uuid: nestUuid })
    .returning()
  return row
}

/** Absent fields stay; null clears `description` and `egg_repository_egg_uuid`. */
export async function updateEgg(tx: Tx, source: RepositoryEggSource | null, egg: EggRow, input: Static<typeof UpdateEgg>): Promise<EggRow> {
  const columns = eggColumns(input)
  await checkRepositoryEgg(tx, source, input.egg_repository_egg_uuid)
  if (Object.keys(columns).length === 0) return egg
  const [row] = await tx.update(nestEggs).set(columns).where(eq(nestEggs.uuid, egg.uuid)).returning()
  return row
}

/** Deletes one egg after every guard agreed; its variables and mount links cascade. */
export async function deleteEggRow(tx: Tx, egg: EggRow, guards: Iterable<EggDeletionGuard>): Promise<void> {
  for (const guard of guards) await guard(tx, egg)
  await tx.delete(nestEggs).where(eq(nestEggs.uuid, egg.uuid))
}

/**
 * Deletes the listed eggs of a nest, each in its own savepoint: an egg a guard refuses (or a server
 * still references) is skipped; uuids of other nests are ignored. Returns the deleted eggs.
 */
export async function deleteEggs(tx: Tx, nestUuid: string, uuids: string[], guards: Iterable<EggDeletionGuard>): Promise<EggRow[]> {
  const wanted = [...new Set(uuids.map((u) => u.toLowerCase()))]
  if (wanted.length === 0) return []
  const eggs = await tx
    .select()
    .from(nestEggs)
    .where(and(eq(nestEggs.nest_uuid, nestUuid), inArray(nestEggs.uuid, wanted)))
    .orderBy(asc(nestEggs.created))
    .for('update')
  const deleted: EggRow[] = []
  for (const egg of eggs) {
    try {
      await transaction(tx, (sp) => deleteEggRow(sp, egg, guards))
      deleted.push(egg)
    } catch (e) {
      if ((e instanceof HttpError && e.status === 409) || pgError(e)?.code === '23503') continue
      throw e
    }
  }
  return deleted
}

async function destinationNest(tx: Tx, nestUuid: string, destination: string, missing: string) {
  const dest = destination.toLowerCase()
  const [row] = await tx.select({ uuid: nests.uuid }).from(nests).where(eq(nests.uuid, dest)).for('key share')
  if (!row) throw new NotFound(missing)
  if (row.uuid === nestUuid) throw new Conflict('cannot move egg to the same nest')
  return row.uuid
}

/**
 * Moves eggs of a nest to another nest (uuids of other nests ignored). A name taken in the
 * destination is 409 `egg with name already exists` and moves nothing. Returns the moved eggs.
 */
export async function moveEggs(tx: Tx, nestUuid: string, uuids: string[], destination: string): Promise<EggRow[]> {
  const dest = await destinationNest(tx, nestUuid, destination, 'destination nest not found')
  const wanted = [...new Set(uuids.map((u) => u.toLowerCase()))]
  if (wanted.length === 0) return []
  return tx
    .update(nestEggs)
    .set({ nest_uuid: dest })
    .where(and(eq(nestEggs.nest_uuid, nestUuid), inArray(nestEggs.uuid, wanted)))
    .returning()
}

/**
 * A copy of an egg under a new name in a target nest (404 `target nest not found`): every field but
 * the repository link, its variables and its mount links.
 */
export async function duplicateEgg(tx: Tx, egg: EggRow, input: { name: string; nest_uuid: string }): Promise<EggRow> {
  const [target] = await tx.select({ uuid: nests.uuid }).from(nests).where(eq(nests.uuid, input.nest_uuid.toLowerCase())).for('key share')
  if (!target) throw new NotFound('target nest not found')
  const { uuid: _u, created: _c, egg_repository_egg_uuid: _r, ...fields } = egg
  const [copy] = await tx
    .insert(nestEggs)
    .values({ ...fields, nest_uuid: target.uuid, name: input.name })
    .returning()
  const variables = await tx.select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, egg.uuid))
  if (variables.length) {
    await tx.insert(nestEggVariables).values(variables.map(({ uuid: _v, created: _vc, ...v }) => ({ ...v, egg_uuid: copy.uuid })))
  }
  const mounts = await tx.select().from(nestEggMounts).where(eq(nestEggMounts.egg_uuid, egg.uuid))
  if (mounts.length) await tx.insert(nestEggMounts).values(mounts.map((m) => ({ egg_uuid: copy.uuid, mount_uuid: m.mount_uuid })))
  return copy
}

/** Moves one egg to another nest (404 `destination nest not found`, 409 same nest or a taken name). */
export async function moveEgg(tx: Tx, egg: EggRow, destination: string): Promise<string> {
  const dest = await destinationNest(tx, egg.nest_uuid, destination, 'destination nest not found')
  await tx
    .update(nestEggs)
    .set({ nest_uuid: dest })
    .where(and(eq(nestEggs.uuid, egg.uuid), ne(nestEggs.nest_uuid, dest)))
  return dest
}

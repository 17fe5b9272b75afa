import { and, eq, sql } from 'drizzle-orm'
import {
  actorOf,
  BadRequest,
  fetchOutbound,
  HttpError,
  OutboundError,
  transaction,
  uniqueAs,
  type Db,
  type PluginContext,
  type Tx,
} from 'hatchery'
import { nestEggs, nestEggVariables } from './tables'
import { EGG_MAX_BYTES, exportEgg, parseEgg, planVariableUpdate, readEggDocument, type ParsedEgg } from './format'
import { eggAudit, getEgg, type EggRow } from './service/eggs'
import { listVariables } from './service/variables'

export type { EggRow }

const TAKEN = 'egg with name already exists'

/** The `nest:egg.create` data of an import: the create keys without `egg_repository_egg_uuid`. */
export function importAudit(r: EggRow) {
  const { egg_repository_egg_uuid: _repo, ...data } = eggAudit(r)
  return data
}

/**
 * Creates an egg and all its variables in `nest` (one transaction is the caller's), linked to
 * `repositoryEggUuid` when it comes from an egg repository. Variables get
 * their creation time one after the other (`clock_timestamp()`), so equal orders keep the
 * document's order. 409 `egg with name already exists`.
 * @example const egg = await transaction(db, (tx) => importEgg(tx, nest.uuid, parseEgg(readEggDocument(text))))
 */
export async function importEgg(tx: Tx, nestUuid: string, parsed: ParsedEgg, repositoryEggUuid: string | null = null): Promise<EggRow> {
  const [egg] = await tx
    .insert(nestEggs)
    .values({ ...parsed.egg, nest_uuid: nestUuid, egg_repository_egg_uuid: repositoryEggUuid })
    .returning()
    .catch(uniqueAs(TAKEN))
  if (parsed.variables.length) {
    await tx.insert(nestEggVariables).values(parsed.variables.map((v) => ({ ...v, egg_uuid: egg.uuid, created: sql`clock_timestamp()` })))
  }
  return egg
}

/**
 * Update-import (spec 02 §7.5) of a locked egg row: the egg's fields overwritten from the
 * document, variables upserted by `env_variable` (see `planVariableUpdate`). Answers the row
 * after the update. 409 `egg with name already exists`.
 */
export async function updateEggFromDocument(tx: Tx, egg: EggRow, parsed: ParsedEgg): Promise<EggRow> {
  const [after] = await tx.update(nestEggs).set(parsed.egg).where(eq(nestEggs.uuid, egg.uuid)).returning().catch(uniqueAs(TAKEN))
  const plan = planVariableUpdate(await listVariables(tx, egg.uuid), parsed.variables)
  for (const { uuid, set } of plan.update) await tx.update(nestEggVariables).set(set).where(eq(nestEggVariables.uuid, uuid))
  for (const { uuid, order } of plan.renumber) {
    await tx
      .update(nestEggVariables)
      .set({ order })
      .where(and(eq(nestEggVariables.uuid, uuid), eq(nestEggVariables.egg_uuid, egg.uuid)))
  }
  if (plan.insert.length) {
    await tx.insert(nestEggVariables).values(plan.insert.map((v) => ({ ...v, egg_uuid: egg.uuid, created: sql`clock_timestamp()` })))
  }
  return after
}

/** The export document of an egg (spec 02 §7.6). */
export async function exportEggDocument(db: Db | Tx, egg: EggRow) {
  return exportEgg(egg, await listVariables(db, egg.uuid))
}

/** Why fetching or reading an egg URL failed (its message is the per-URL error the routes answer). */
export class EggFetchError extends Error {}

/**
 * Fetches an egg file through the kernel's outbound guard (private addresses and plain http only
 * when `allowPrivate`, i.e. `outbound.allow_private_addresses`), at most 1 MiB, and reads it.
 * Fetch failures are `EggFetchError` (`server responded with status 404`, `egg is too large`, …);
 * a document that is no egg is the importer's 400.
 */
export async function fetchEggDocument(url: string, allowPrivate: boolean, timeoutMs = 15_000): Promise<unknown> {
  let bytes: Uint8Array
  try {
    const res = await fetchOutbound(
      url,
      { headers: { accept: 'application/json, application/yaml, text/yaml;q=0.9, */*;q=0.5' } },
      { allowPrivate, maxBytes: EGG_MAX_BYTES, timeoutMs },
    )
    if (res.status < 200 || res.status > 299) throw new EggFetchError(`server responded with status ${res.status}`)
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch (e) {
    if (e instanceof EggFetchError) throw e
    if (e instanceof OutboundError) throw new EggFetchError(e.reason === 'size' ? 'egg is too large' : e.message)
    throw new EggFetchError(`request failed: ${(e as Error).message}`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new BadRequest('invalid egg: not valid UTF-8')
  }
  return readEggDocument(text)
}

/** The message an import failure of one URL is reported with, or null when it must abort the request. */
export function importFailure(e: unknown): string | null {
  if (e instanceof EggFetchError) return e.message
  if (e instanceof HttpError && (e.status === 400 || e.status === 409)) return e.messages.join('; ')
  return null
}

/** Reads a document and imports it: the steps of every import, for routes, the CLI and tests. */
export const parseEggText = (text: string): ParsedEgg => parseEgg(readEggDocument(text))

/**
 * Update-imports one egg of a nest in its own transaction, with its `nest:egg.update` activity
 * (`extra` added to its data). `document` sees the locked egg row and answers what to import,
 * or null to leave the egg as it is (then this answers false).
 */
export async function updateFrom(
  ctx: PluginContext,
  nestUuid: string,
  eggUuid: string,
  document: (tx: Tx, egg: EggRow) => ParsedEgg | null | Promise<ParsedEgg | null>,
  actor: ReturnType<typeof actorOf>,
  extra: Record<string, string> = {},
): Promise<boolean> {
  return transaction(ctx.db, async (tx) => {
    const before = await getEgg(tx, nestUuid, eggUuid, true)
    const parsed = await document(tx, before)
    if (!parsed) return false
    await updateEggFromDocument(tx, before, parsed)
    await ctx.activity.admin(tx, actor, 'nest:egg.update', { ...eggAudit(before), ...extra })
    return true
  })
}

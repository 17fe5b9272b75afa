import { asc, eq } from 'drizzle-orm'
import type { Static } from 'elysia'
import { Conflict, loadOr404, paginate, pgError, type Db, type PageParams, type Tx } from 'hatchery'
import { nestEggs, nests } from '../tables'
import type { CreateNest, Nest, UpdateNest } from '../model'
import type { EggDeletionGuard } from '../hooks'
import { deleteEggRow, type EggRow } from './eggs'

export type NestRow = typeof nests.$inferSelect
export type AdminNest = Static<typeof Nest>

export const toAdminNest = (r: NestRow): AdminNest => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  author: r.author,
  created: r.created,
})

/** `nest:create` / `nest:update` activity data. */
export const nestAudit = (r: NestRow) => ({ uuid: r.uuid, author: r.author, name: r.name, description: r.description })

/** The nest a path parameter names: 400 malformed, 404 unknown. */
export const getNest = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, nests, nests.uuid, uuid, 'nest', { lock })

/** Nests by creation; `search` matches the name. */
export function listNests(db: Db | Tx, page: PageParams) {
  return paginate(db, { from: nests, search: [nests.name], orderBy: [asc(nests.created), asc(nests.uuid)], map: toAdminNest }, page)
}

export async function createNest(tx: Tx, input: Static<typeof CreateNest>): Promise<NestRow> {
  const [row] = await tx
    .insert(nests)
    .values({ author: input.author, name: input.name, description: input.description ?? null })
    .returning() // a taken name: 409 from uniqueMessages
  return row
}

/** Absent fields stay; null clears the description. */
export async function updateNest(tx: Tx, uuid: string, input: Static<typeof UpdateNest>): Promise<NestRow> {
  const current = await getNest(tx, uuid, true)
  if (Object.values(input).every((v) => v === undefined)) return current
  const [row] = await tx.update(nests).set(input).where(eq(nests.uuid, current.uuid)).returning()
  return row
}

/**
 * Deletes a nest. With eggs: 409 `nest has eggs, cannot delete`, unless `deleteEggs`, which deletes
 * them first in the caller's transaction (all or none: a guarded egg, or one a server still
 * references, is 409 `nest has eggs that are still in use, cannot delete` and nothing is deleted).
 */
export async function deleteNest(
  tx: Tx,
  uuid: string,
  deleteEggs: boolean,
  guards: Iterable<EggDeletionGuard>,
  onEggDeleted: (egg: EggRow) => Promise<void>,
): Promise<NestRow> {
  const row = await getNest(tx, uuid, true)
  const eggs = await tx.select().from(nestEggs).where(eq(nestEggs.nest_uuid, row.uuid)).orderBy(asc(nestEggs.created)).for('update')
  if (eggs.length > 0 && !deleteEggs) throw new Conflict('nest has eggs, cannot delete')
  try {
    for (const egg of eggs) {
      await deleteEggRow(tx, egg, guards)
      await onEggDeleted(egg)
    }
  } catch (e) {
    if (e instanceof Conflict || pgError(e)?.code === '23503') throw new Conflict('nest has eggs that are still in use, cannot delete')
    throw e
  }
  await tx.delete(nests).where(eq(nests.uuid, row.uuid))
  return row
}

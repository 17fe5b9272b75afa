import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Static } from 'elysia'
import { NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import type { RepositoryEggSource } from '../../nests'
import { eggRepositories, eggRepositoryEggs } from '../tables'
import type { EggRepositoryEgg, ExportedEggDoc } from '../model'
import { toEggRepository } from './repositories'

export type RepositoryEggRow = typeof eggRepositoryEggs.$inferSelect

export const toRepositoryEgg = (r: RepositoryEggRow): Static<typeof EggRepositoryEgg> => ({
  uuid: r.uuid,
  path: r.path,
  readme: r.readme,
  exported_egg: r.exported_egg as ExportedEggDoc,
  updated: r.updated,
})

/** A repository's eggs by name then path; `search` matches the path or the egg's name. */
export const listRepositoryEggs = (db: Db | Tx, repositoryUuid: string, page: PageParams) =>
  paginate(
    db,
    {
      from: eggRepositoryEggs,
      where: eq(eggRepositoryEggs.egg_repository_uuid, repositoryUuid),
      search: [eggRepositoryEggs.path, eggRepositoryEggs.name],
      orderBy: [asc(eggRepositoryEggs.name), asc(eggRepositoryEggs.path), asc(eggRepositoryEggs.uuid)],
      map: toRepositoryEgg,
    },
    page,
  )

/** An egg of this repository: 400 `invalid egg uuid`, 404 `egg repository egg not found`. */
export async function getRepositoryEgg(db: Db | Tx, repositoryUuid: string, uuid: string): Promise<RepositoryEggRow> {
  const id = parseUuid(uuid, 'egg')
  const [row] = await db
    .select()
    .from(eggRepositoryEggs)
    .where(and(eq(eggRepositoryEggs.egg_repository_uuid, repositoryUuid), eq(eggRepositoryEggs.uuid, id)))
    .limit(1)
  if (!row) throw new NotFound('egg repository egg not found')
  return row
}

/** The nests plugin's view of repository eggs: what `egg_repository_egg_uuid` may name and how it is shown. */
export const repositoryEggSource: RepositoryEggSource = {
  async exists(tx, uuid) {
    return (await tx.$count(eggRepositoryEggs, eq(eggRepositoryEggs.uuid, uuid))) > 0
  },
  async describe(db, uuids) {
    if (!uuids.length) return new Map()
    const rows = await db
      .select({ egg: eggRepositoryEggs, repository: eggRepositories })
      .from(eggRepositoryEggs)
      .innerJoin(eggRepositories, eq(eggRepositories.uuid, eggRepositoryEggs.egg_repository_uuid))
      .where(inArray(eggRepositoryEggs.uuid, uuids))
    return new Map(rows.map((r) => [r.egg.uuid, { ...toRepositoryEgg(r.egg), egg_repository: toEggRepository(r.repository) }]))
  },
  async document(db, uuid) {
    const [row] = await db.select({ doc: eggRepositoryEggs.exported_egg }).from(eggRepositoryEggs).where(eq(eggRepositoryEggs.uuid, uuid))
    return row?.doc ?? null
  },
}

import { randomUUID } from 'node:crypto'
import { and, eq, notInArray, sql } from 'drizzle-orm'
import { BadGateway, LimitExceeded, transaction, type Db, type Secrets } from 'hatchery'
import { eggRepositories, eggRepositoryEggs } from '../tables'
import { readRepository, RepositoryError } from './git'
import { findEggs } from './found'
import { getRepository, repositoryAuth, type RepositoryRow } from './repositories'
import { repositorySource } from './source'

export interface SyncOptions {
  secrets: Secrets
  /** `egg_repositories.allow_local` */
  allowLocal: boolean
  /** `outbound.allow_private_addresses` */
  allowPrivate: boolean
  /** Budget of the clone (default 120 s). */
  timeoutMs?: number
}

const CHUNK = 200

/**
 * Syncs a repository (spec 02 §7.8): reads it at HEAD (see `readRepository`), then in one
 * transaction replaces its eggs with what was found: eggs whose file is gone are deleted (eggs
 * installed from them stay, unlinked), the others upserted by path (a repository egg keeps its
 * uuid, and its `updated` moves only when its document or README changed), and `last_synced` set.
 * Answers how many eggs were found. A repository the panel refuses to reach (a local one without
 * the setting, a private address, plain http) is a 417; one that cannot be read a 502.
 */
export async function syncRepository(db: Db, repo: RepositoryRow, o: SyncOptions): Promise<number> {
  const source = repositorySource(repo.git_repository, o.allowLocal)
  if (typeof source === 'string') throw new LimitExceeded(source)
  let files
  try {
    files = await readRepository(source, { allowPrivate: o.allowPrivate, auth: repositoryAuth(o.secrets, repo), timeoutMs: o.timeoutMs })
  } catch (e) {
    if (!(e instanceof RepositoryError)) throw e
    throw e.kind === 'policy' ? new LimitExceeded(e.message) : new BadGateway(e.message)
  }
  const found = findEggs(files)
  await transaction(db, async (tx) => {
    // Locked, so two syncs of one repository run one after the other.
    await getRepository(tx, repo.uuid, true)
    const known = new Map(
      (
        await tx
          .select({ uuid: eggRepositoryEggs.uuid, path: eggRepositoryEggs.path })
          .from(eggRepositoryEggs)
          .where(eq(eggRepositoryEggs.egg_repository_uuid, repo.uuid))
      ).map((r) => [r.path, r.uuid]),
    )
    const paths = found.map((f) => f.path)
    await tx
      .delete(eggRepositoryEggs)
      .where(
        and(eq(eggRepositoryEggs.egg_repository_uuid, repo.uuid), paths.length ? notInArray(eggRepositoryEggs.path, paths) : undefined),
      )
    for (let at = 0; at < found.length; at += CHUNK) {
      const rows = found.slice(at, at + CHUNK).map((f) => {
        const uuid = known.get(f.path) ?? randomUUID()
        return { uuid, egg_repository_uuid: repo.uuid, path: f.path, name: f.name, readme: f.readme, exported_egg: f.exported(uuid) }
      })
      await tx
        .insert(eggRepositoryEggs)
        .values(rows)
        .onConflictDoUpdate({
          target: [eggRepositoryEggs.egg_repository_uuid, eggRepositoryEggs.path],
          set: {
            name: sql`excluded.name`,
            readme: sql`excluded.readme`,
            exported_egg: sql`excluded.exported_egg`,
            updated: sql`case when ${eggRepositoryEggs.exported_egg}::text is distinct from excluded.exported_egg::text
              or ${eggRepositoryEggs.readme} is distinct from excluded.readme then now() else ${eggRepositoryEggs.updated} end`,
          },
        })
    }
    await tx
      .update(eggRepositories)
      .set({ last_synced: sql`now()` })
      .where(eq(eggRepositories.uuid, repo.uuid))
  })
  return found.length
}

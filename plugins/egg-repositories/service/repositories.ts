import { asc, eq } from 'drizzle-orm'
import type { Static } from 'elysia'
import { loadOr404, paginate, Validation, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { eggRepositories, type StoredCredentials } from '../tables'
import { CENSORED, type CreateEggRepository, type EggRepository, type UpdateEggRepository } from '../model'
import { repositorySource } from './source'

export type RepositoryRow = typeof eggRepositories.$inferSelect
export type AdminEggRepository = Static<typeof EggRepository>
type CredentialsInput = NonNullable<Static<typeof UpdateEggRepository>['credentials']>

export const TAKEN = 'egg repository with name/git repository already exists'

export const toEggRepository = (r: RepositoryRow): AdminEggRepository => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  git_repository: r.git_repository,
  credentials:
    r.credentials.type === 'password' ? { type: 'password', username: r.credentials.username, password: CENSORED } : { type: 'none' },
  last_synced: r.last_synced,
  created: r.created,
})

/** `egg-repository:create` / `:update` activity data (never the credentials). */
export const repositoryAudit = (r: RepositoryRow) => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  git_repository: r.git_repository,
})

export const listRepositories = (db: Db | Tx, page: PageParams) =>
  paginate(
    db,
    {
      from: eggRepositories,
      search: [eggRepositories.name],
      orderBy: [asc(eggRepositories.created), asc(eggRepositories.uuid)],
      map: toEggRepository,
    },
    page,
  )

/** The repository a path parameter names: 400 `invalid egg repository uuid`, 404 `egg repository not found`. */
export const getRepository = (db: Db | Tx, uuid: string, lock = false) =>
  loadOr404(db, eggRepositories, eggRepositories.uuid, uuid, 'egg repository', { lock })

/** What a create or update needs besides the body. */
export interface WriteContext {
  secrets: Secrets
  /** The setting `egg_repositories.allow_local`. */
  allowLocal: boolean
}

function checkRepository(value: string, allowLocal: boolean): void {
  const source = repositorySource(value, allowLocal)
  if (typeof source === 'string') throw new Validation([`git_repository: ${source}`])
}

/**
 * Checks and encrypts credentials for `gitRepository`. On a PATCH (`previous`), a password of `""`
 * keeps the stored one. A password never goes with a plain-http URL; `private_key` needs ssh,
 * which the panel does not clone.
 */
function sealCredentials(secrets: Secrets, c: CredentialsInput, gitRepository: string, previous?: StoredCredentials): StoredCredentials {
  if (c.type === 'none') return c
  if (c.type === 'private_key') {
    throw new Validation(['credentials: private key credentials can only be used with ssh repositories, which this panel does not clone'])
  }
  checkPasswordScheme(gitRepository)
  if (c.password !== CENSORED) return { type: 'password', username: c.username, password: secrets.encrypt(c.password) }
  if (previous?.type !== 'password') throw new Validation(['credentials.password: expected string length greater or equal to 1'])
  return { type: 'password', username: c.username, password: previous.password }
}

function checkPasswordScheme(gitRepository: string): void {
  if (gitRepository.startsWith('http:')) {
    throw new Validation(['credentials: password credentials cannot be sent over plain http, use an https repository url'])
  }
}

export async function createRepository(tx: Tx, w: WriteContext, body: Static<typeof CreateEggRepository>): Promise<RepositoryRow> {
  checkRepository(body.git_repository, w.allowLocal)
  const credentials = sealCredentials(w.secrets, body.credentials ?? { type: 'none' }, body.git_repository)
  const [row] = await tx
    .insert(eggRepositories)
    .values({ name: body.name, description: body.description ?? null, git_repository: body.git_repository, credentials })
    .returning()
  return row
}

/** Absent fields stay; null clears `description`. Answers the row after the update. */
export async function updateRepository(
  tx: Tx,
  w: WriteContext,
  uuid: string,
  body: Static<typeof UpdateEggRepository>,
): Promise<RepositoryRow> {
  const before = await getRepository(tx, uuid, true)
  if (body.git_repository !== undefined) checkRepository(body.git_repository, w.allowLocal)
  const gitRepository = body.git_repository ?? before.git_repository
  const set: Partial<RepositoryRow> = {}
  if (body.name !== undefined) set.name = body.name
  if (body.description !== undefined) set.description = body.description
  if (body.git_repository !== undefined) set.git_repository = body.git_repository
  if (body.credentials) set.credentials = sealCredentials(w.secrets, body.credentials, gitRepository, before.credentials)
  else if (before.credentials.type === 'password') checkPasswordScheme(gitRepository)
  if (!Object.keys(set).length) return before
  const [after] = await tx.update(eggRepositories).set(set).where(eq(eggRepositories.uuid, before.uuid)).returning()
  return after
}

/** Deletes a repository and its eggs; eggs installed from it stay, unlinked. */
export async function deleteRepository(tx: Tx, uuid: string): Promise<RepositoryRow> {
  const row = await getRepository(tx, uuid, true)
  await tx.delete(eggRepositories).where(eq(eggRepositories.uuid, row.uuid))
  return row
}

/** The stored password, decrypted, for the clone. */
export const repositoryAuth = (secrets: Secrets, r: RepositoryRow) =>
  r.credentials.type === 'password' ? { username: r.credentials.username, password: secrets.decrypt(r.credentials.password) } : undefined

import { posix, resolve } from 'node:path'
import { asc, eq } from 'drizzle-orm'
import type { MountDeletionGuard } from './hooks'
import type { Static } from 'elysia'
import { loadOr404, paginate, uniqueAs, Validation, type Db, type PageParams, type Tx } from 'hatchery'
import { mounts } from './tables'
import type { CreateMount, Mount, UpdateMount } from './model'

export type MountRow = typeof mounts.$inferSelect
export type AdminMount = Static<typeof Mount>

export const toAdminMount = (r: MountRow): AdminMount => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  source: r.source,
  target: r.target,
  read_only: r.read_only,
  user_mountable: r.user_mountable,
  created: r.created,
})

/** `mount:create` / `mount:update` activity data. */
export const mountAudit = (r: MountRow) => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  source: r.source,
  target: r.target,
  read_only: r.read_only,
  user_mountable: r.user_mountable,
})

/** The mount a path parameter names: 400 malformed, 404 unknown. */
export const getMount = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, mounts, mounts.uuid, uuid, 'mount', { lock })

/** Mounts by creation; `search` matches the name. */
export function listMounts(db: Db | Tx, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) => db.select({ mount: mounts, ...total }).from(mounts),
      search: [mounts.name],
      orderBy: [asc(mounts.created), asc(mounts.uuid)],
      map: (r) => toAdminMount(r.mount),
    },
    page,
  )
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Why `path` is not an acceptable mount path, or null. Both ends: absolute, no `.`/`..` segment, not
 * the root, no control characters. The source (a folder on the node's host, which may be the panel's
 * host) also may not be the panel's data folder, inside it or above it.
 */
export function mountPathProblem(path: string, dataDir?: string): string | null {
  if (CONTROL.test(path)) return 'may not contain control characters'
  if (!path.startsWith('/')) return 'must be an absolute path'
  const segments = path.split('/').filter(Boolean)
  if (segments.some((s) => s === '.' || s === '..')) return 'may not contain `.` or `..` segments'
  if (segments.length === 0) return 'may not be `/`'
  if (dataDir) {
    const normal = posix.normalize(path).replace(/\/+$/, '')
    const data = resolve(dataDir).replace(/\/+$/, '')
    if (normal === data || normal.startsWith(`${data}/`) || data.startsWith(`${normal}/`))
      return "may not be the panel's data folder, inside it or above it"
  }
  return null
}

function checkPaths(input: { source?: string; target?: string }, dataDir: string): void {
  const problems: string[] = []
  if (input.source !== undefined) {
    const p = mountPathProblem(input.source, dataDir)
    if (p) problems.push(`source: ${p}`)
  }
  if (input.target !== undefined) {
    const p = mountPathProblem(input.target)
    if (p) problems.push(`target: ${p}`)
  }
  if (problems.length) throw new Validation(problems)
}

export async function createMount(tx: Tx, dataDir: string, input: Static<typeof CreateMount>): Promise<MountRow> {
  checkPaths(input, dataDir)
  const [row] = await tx
    .insert(mounts)
    .values({ ...input, description: input.description ?? null })
    .returning() // a taken name or source/target pair: 409 from uniqueMessages
  return row
}

/** Absent fields stay; null clears the description. */
export async function updateMount(tx: Tx, dataDir: string, uuid: string, input: Static<typeof UpdateMount>): Promise<MountRow> {
  const current = await getMount(tx, uuid, true)
  checkPaths(input, dataDir)
  if (Object.values(input).every((v) => v === undefined)) return current
  const [row] = await tx.update(mounts).set(input).where(eq(mounts.uuid, current.uuid)).returning() // a taken name or source/target pair: 409 from uniqueMessages
  return row
}

/** Deletes a mount; the node, egg and server links of other plugins cascade (the reference checks no usage). */
export async function deleteMount(tx: Tx, uuid: string, guards: Iterable<MountDeletionGuard> = []): Promise<MountRow> {
  const row = await getMount(tx, uuid, true)
  for (const guard of guards) await guard(tx, row)
  await tx.delete(mounts).where(eq(mounts.uuid, row.uuid))
  return row
}

/** A copy under a new name, source and target (description and flags copied). */
export async function duplicateMount(
  tx: Tx,
  dataDir: string,
  uuid: string,
  input: { name: string; source: string; target: string },
): Promise<{ source: MountRow; copy: MountRow }> {
  const source = await getMount(tx, uuid)
  checkPaths(input, dataDir)
  const [copy] = await tx
    .insert(mounts)
    .values({ ...input, description: source.description, read_only: source.read_only, user_mountable: source.user_mountable })
    .returning()
    .catch(uniqueAs('mount with name, source or target already exists'))
  return { source, copy }
}

import {
  BadRequest,
  Conflict,
  LimitExceeded,
  transaction,
  type ActivityLogs,
  type Actor,
  type Db,
  type Page,
  type PageParams,
} from 'hatchery'
import { parseAssetName, uploadName } from './names'
import type { Storage, StorageEntry } from './storage'

/** Assets are the storage's keys under `assets/`, public at `<base url>/assets/<name>`. */
export const ASSETS_PREFIX = 'assets'
/** Entries a search looks at before it stops (as the reference). */
export const SEARCH_SCAN_LIMIT = 10_000
/** Files one upload request may carry. */
export const MAX_FILES_PER_UPLOAD = 1000

const keyOf = (name: string) => (name ? `${ASSETS_PREFIX}/${name}` : ASSETS_PREFIX)
const nameOf = (key: string) => key.slice(ASSETS_PREFIX.length + 1)
const baseName = (key: string) => key.slice(key.lastIndexOf('/') + 1)
const EPOCH = new Date(0)

/** `StorageAsset` of the wire: directories have size 0 and `created` at the epoch, as in the reference. */
export interface Asset {
  name: string
  url: string
  size: number
  is_directory: boolean
  created: Date
}

const toAsset = (storage: Storage, e: StorageEntry): Asset => ({
  name: nameOf(e.key),
  url: storage.url(e.key),
  size: e.size,
  is_directory: e.directory,
  created: e.modified ?? EPOCH,
})

/** One page of a directory: its directories first, then its files, each by name. A missing directory is empty. */
export async function listAssets(storage: Storage, directory: string, page: PageParams): Promise<Page<Asset>> {
  const all = await storage.list(keyOf(directory))
  return {
    total: all.length,
    per_page: page.perPage,
    page: page.page,
    data: all.slice(page.offset, page.offset + page.perPage).map((e) => toAsset(storage, e)),
  }
}

/** Files and directories beneath `directory` whose own name contains `search` (case-insensitive). */
export async function searchAssets(storage: Storage, directory: string, search: string, limit: number): Promise<Asset[]> {
  const needle = search.trim().toLowerCase()
  if (!needle) throw new BadRequest('search: must not be blank')
  const dirs: StorageEntry[] = []
  const files: StorageEntry[] = []
  for await (const e of storage.walk(keyOf(directory), SEARCH_SCAN_LIMIT)) {
    if (baseName(e.key).toLowerCase().includes(needle)) (e.directory ? dirs : files).push(e)
  }
  const byName = (a: StorageEntry, b: StorageEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  return [...dirs.sort(byName), ...files.sort(byName)].slice(0, limit).map((e) => toAsset(storage, e))
}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/

/**
 * Stores the files of one upload in `directory`, replacing files of the same name, and logs
 * `asset:upload` for each. Every name is checked before anything is written: a part without
 * a file name is 417 `file name not found`, a bad name 400, a directory in the way 409.
 */
export async function uploadAssets(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  storage: Storage,
  directory: string,
  parts: Iterable<File | string>,
): Promise<Asset[]> {
  const files: { name: string; file: File }[] = []
  for (const part of parts) {
    if (typeof part === 'string') throw new LimitExceeded('file name not found')
    files.push({ name: uploadName(directory, part.name ?? ''), file: part })
  }
  if (files.length > MAX_FILES_PER_UPLOAD) throw new BadRequest(`too many files: at most ${MAX_FILES_PER_UPLOAD} per request`)
  for (const { name } of files) {
    const reason = await storage.blocked(keyOf(name))
    if (reason) throw new Conflict(reason.startsWith(`${ASSETS_PREFIX}/`) ? reason.slice(ASSETS_PREFIX.length + 1) : reason)
  }
  const stored: Asset[] = []
  try {
    for (const { name, file } of files) {
      const type = file.type.split(';', 1)[0].trim().toLowerCase()
      const size = await storage.write(keyOf(name), file, { contentType: MEDIA_TYPE.test(type) ? type : 'application/octet-stream' })
      stored.push({ name, url: storage.url(keyOf(name)), size, is_directory: false, created: new Date() })
    }
  } finally {
    // Files written before a failure stay written: the log says so.
    if (stored.length) {
      await transaction(db, async (tx) => {
        for (const a of stored) await log.admin(tx, actor, 'asset:upload', { name: a.name, size: a.size })
      })
    }
  }
  return stored
}

/**
 * Deletes files by name (directories are not deleted; they vanish with their last file) and logs
 * `assets:delete` with the names asked for. Every name is checked first (400 `invalid file name`);
 * names that are no file are not counted in `deleted`.
 */
export async function deleteAssets(db: Db, log: ActivityLogs, actor: Actor, storage: Storage, names: string[]): Promise<number> {
  const unique = [...new Set(names.map((n) => parseAssetName(n)))]
  let deleted = 0
  let failure: unknown
  try {
    for (let i = 0; i < unique.length; i += 5) {
      const done = await Promise.all(unique.slice(i, i + 5).map((n) => storage.delete(keyOf(n))))
      deleted += done.filter(Boolean).length
    }
  } catch (e) {
    failure = e
  }
  // A storage failure part way still logs what may have gone.
  if (deleted > 0 || !failure) await transaction(db, (tx) => log.admin(tx, actor, 'assets:delete', { names }))
  if (failure) throw failure
  return deleted
}

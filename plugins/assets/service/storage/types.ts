import { BadRequest, HttpError } from 'hatchery'
import { isRelativePath } from '../names'

/** A file or a directory of a storage. Keys are relative `a/b/c` paths. */
export interface StorageEntry {
  key: string
  directory: boolean
  /** Bytes; 0 for a directory. */
  size: number
  /** Last write; null for a directory. */
  modified: Date | null
}

/**
 * Where the panel keeps files that are served publicly (assets) or kept for later (backups): a
 * directory of the host, or an S3-compatible bucket, chosen by the `storage_driver` setting.
 * Keys are relative paths of valid segments (see `isSegment`); a bad key is refused, never
 * resolved outside the storage.
 * @example
 * const storage = await ctx.api(assets).storage()
 * await storage.write('backups/x.tar.gz', Bun.file(tmp), { contentType: 'application/gzip' })
 */
export interface Storage {
  readonly driver: 'filesystem' | 's3'
  /** Writes (replacing) the file at `key`; returns its size. 409 when a directory is in the way. */
  write(key: string, data: Blob | Uint8Array | string, options?: { contentType?: string }): Promise<number>
  /** The file's contents, or null when there is none. */
  read(key: string): Promise<Blob | null>
  /** The file at `key`, or null when there is none (a directory is none). */
  stat(key: string): Promise<StorageEntry | null>
  /** Deletes the file at `key`; false when there was none. */
  delete(key: string): Promise<boolean>
  /** Why `key` cannot be written (a directory in its place, a file where a directory must be), or null. */
  blocked(key: string): Promise<string | null>
  /** The directories, then the files, directly under `directory` ('' = the root), each sorted by key. */
  list(directory: string): Promise<StorageEntry[]>
  /** Every entry beneath `directory`, in no particular order, stopping after `limit` entries. */
  walk(directory: string, limit: number): AsyncGenerator<StorageEntry>
  /** Public URL of a key (the base URL joined with the percent-encoded key). */
  url(key: string): string
}

/** The storage itself failed (unreachable, refused our credentials, no such bucket): 502. */
export class StorageError extends HttpError {
  constructor(reason: string) {
    super(502, `storage error: ${reason}`)
  }
}

/** Keys are at most 32 segments deep (assets use 17: the prefix aside, 16 directories and the file). */
export function assertKey(key: string): string {
  if (!isRelativePath(key, 32)) throw new BadRequest('invalid storage key')
  return key
}

/** `base` + `/` + the key with each segment percent-encoded. */
export function joinUrl(base: string, key: string): string {
  return `${base.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`
}

export const byKey = (a: StorageEntry, b: StorageEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

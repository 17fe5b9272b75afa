import { lstat, mkdir, readdir, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, sep } from 'node:path'
import { Conflict, randomAlnum } from 'hatchery'
import { assertKey, byKey, joinUrl, type Storage, type StorageEntry } from './types'

/** Partial uploads live here (same file system, outside every key: `.tmp` is never a first segment). */
const TMP = '.tmp'

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code

/**
 * Files under a directory of the host. A write lands in a temporary file first and is renamed
 * into place, so a reader never sees half a file. Symbolic links are neither listed nor
 * followed out of the root (every resolved path is checked to stay inside it).
 */
export class FilesystemStorage implements Storage {
  readonly driver = 'filesystem' as const

  constructor(
    readonly root: string,
    private readonly baseUrl: string,
  ) {}

  private path(key: string): string {
    const parts = assertKey(key).split('/')
    if (parts[0] === TMP) throw new Conflict(`${TMP} is reserved`)
    return join(this.root, ...parts)
  }

  /** The real path of `path` when it exists inside the root; null otherwise. */
  private async inside(path: string): Promise<string | null> {
    try {
      const [root, real] = await Promise.all([realpath(this.root), realpath(path)])
      return real === root || real.startsWith(root + sep) ? real : null
    } catch (e) {
      if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') return null
      throw e
    }
  }

  async blocked(key: string): Promise<string | null> {
    const parts = assertKey(key).split('/')
    if (parts[0] === TMP) return `${TMP} is reserved`
    for (let i = 1; i <= parts.length; i++) {
      const info = await lstat(join(this.root, ...parts.slice(0, i))).catch((e) => (code(e) === 'ENOENT' ? null : Promise.reject(e)))
      if (!info) return null
      const name = parts.slice(0, i).join('/')
      if (i < parts.length && !info.isDirectory()) return `${name} is not a directory`
      if (i === parts.length && !info.isFile()) return `${name} is not a file`
    }
    return null
  }

  async write(key: string, data: Blob | Uint8Array | string): Promise<number> {
    const target = this.path(key)
    const reason = await this.blocked(key)
    if (reason) throw new Conflict(reason)
    await mkdir(join(this.root, TMP), { recursive: true })
    const tmp = join(this.root, TMP, `${randomAlnum(16)}.part`)
    const size = await Bun.write(tmp, data)
    try {
      // Twice: a delete emptying the parent directory may remove it between mkdir and rename.
      for (let attempt = 0; ; attempt++) {
        try {
          await mkdir(dirname(target), { recursive: true })
          if (!(await this.inside(dirname(target)))) throw new Conflict(`${key} is outside the storage`)
          await rename(tmp, target)
          return size
        } catch (e) {
          if (code(e) === 'ENOENT' && attempt === 0) continue
          if (code(e) === 'EISDIR' || code(e) === 'ENOTDIR' || code(e) === 'EEXIST' || code(e) === 'ENOTEMPTY')
            throw new Conflict(`${key}: a file or directory is in the way`)
          throw e
        }
      }
    } finally {
      await unlink(tmp).catch(() => {})
    }
  }

  /** The regular file at `key` (not a link), in a directory that resolves inside the root. */
  private async file(key: string): Promise<{ path: string; entry: StorageEntry } | null> {
    const wanted = this.path(key)
    const parent = await this.inside(dirname(wanted))
    if (!parent) return null
    const path = join(parent, basename(wanted))
    const info = await lstat(path).catch((e) => (code(e) === 'ENOENT' || code(e) === 'ENOTDIR' ? null : Promise.reject(e)))
    return info?.isFile() ? { path, entry: { key, directory: false, size: info.size, modified: info.mtime } } : null
  }

  async stat(key: string): Promise<StorageEntry | null> {
    return (await this.file(key))?.entry ?? null
  }

  async read(key: string): Promise<Blob | null> {
    const found = await this.file(key)
    return found ? Bun.file(found.path) : null
  }

  async delete(key: string): Promise<boolean> {
    const found = await this.file(key)
    if (!found) return false
    try {
      await unlink(found.path)
    } catch (e) {
      if (code(e) === 'ENOENT') return false
      throw e
    }
    // Directories exist only to hold files: drop the ones this delete emptied.
    for (let dir = dirname(found.path); dir.startsWith(this.root + sep); dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        break
    }
    return true
  }

  async list(directory: string): Promise<StorageEntry[]> {
    const dir = directory ? await this.inside(this.path(directory)) : await this.inside(this.root)
    if (!dir) return []
    const names = await readdir(dir, { withFileTypes: true }).catch((e) => (code(e) === 'ENOTDIR' ? [] : Promise.reject(e)))
    const prefix = directory ? `${directory}/` : ''
    const dirs: StorageEntry[] = []
    const files: StorageEntry[] = []
    for (const d of names) {
      if (!directory && d.name === TMP) continue
      if (d.isDirectory()) dirs.push({ key: prefix + d.name, directory: true, size: 0, modified: null })
      else if (d.isFile()) {
        const info = await stat(join(dir, d.name)).catch(() => null)
        if (info) files.push({ key: prefix + d.name, directory: false, size: info.size, modified: info.mtime })
      }
    }
    return [...dirs.sort(byKey), ...files.sort(byKey)]
  }

  async *walk(directory: string, limit: number): AsyncGenerator<StorageEntry> {
    let seen = 0
    const pending = [directory]
    while (pending.length) {
      for (const entry of await this.list(pending.shift()!)) {
        if (++seen > limit) return
        if (entry.directory) pending.push(entry.key)
        yield entry
      }
    }
  }

  url(key: string): string {
    return joinUrl(this.baseUrl, key)
  }
}

/**
 * A server's file tree, on disk: a temporary folder per server (removed when the process exits or
 * `dispose()` is called). Paths are relative to the server root, `..` clamped at the root like
 * Wings' canonicalisation, and a symlink is never followed out of the root. Every method is
 * synchronous so handlers and backups read and write the same tree without interleaving.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join as joinFs, sep } from 'node:path'

export interface Entry {
  directory: boolean
  /** Read from disk when asked (empty for a directory). */
  readonly data: Uint8Array
  created: Date
  modified: Date
  symlink?: boolean
  /** A link that leads nowhere, or out of the root: never read or written through. */
  dangling?: boolean
  /** Permission bits (`0o644`). */
  mode?: number
}

/** `DirectoryEntry` of spec 04 §1.5 (current generation). */
export interface DirectoryEntry {
  name: string
  mode: string
  mode_bits: string
  size: number
  size_physical: number
  editable: boolean
  inner_editable: boolean
  directory: boolean
  file: boolean
  symlink: boolean
  virtual: boolean
  mime: string
  created: string
  modified: string
}

const MIME: Record<string, string> = {
  txt: 'text/plain',
  log: 'text/plain',
  properties: 'text/plain',
  yml: 'application/yaml',
  yaml: 'application/yaml',
  json: 'application/json',
  toml: 'application/toml',
  sh: 'application/x-sh',
  jar: 'application/java-archive',
  zip: 'application/zip',
  gz: 'application/gzip',
}

/** `a/./b/../c/` → `a/c`; `../../x` → `x`; backslashes are separators too. */
export function normalize(path: string): string {
  const parts: string[] = []
  for (const part of path.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}

/** `name` under `root`; an absolute `name` replaces the root (Rust's `Path::join`, as Wings joins). */
const join = (root: string, name: string) => normalize(/^[/\\]/.test(name) ? name : `${root}/${name}`)
const parentOf = (path: string) => path.split('/').slice(0, -1).join('/')

const roots = new Set<string>()
process.on('exit', () => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

const rwx = (bits: number) => (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-')

export class FileTree {
  /** The server root on disk. */
  readonly root: string

  constructor() {
    this.root = realpathSync(mkdtempSync(joinFs(tmpdir(), 'wings-double-')))
    roots.add(this.root)
  }

  /** Removes the folder (a deleted server). */
  dispose() {
    rmSync(this.root, { recursive: true, force: true })
    roots.delete(this.root)
  }

  clear() {
    rmSync(this.root, { recursive: true, force: true })
    mkdirSync(this.root, { recursive: true })
  }

  /** The absolute path of `path`, links resolved; a symlink leading out of the root is refused (Wings: 404). */
  absolute(path: string): string {
    const at = joinFs(this.root, normalize(path))
    let probe = at
    while (!existsSync(probe) && probe !== this.root) {
      // A dangling link would be written through, wherever it points.
      if (lstatSync(probe, { throwIfNoEntry: false })?.isSymbolicLink()) throw new TreeError(404, 'path not found')
      probe = joinFs(probe, '..')
    }
    this.inside(realpathSync(probe))
    return at
  }

  private inside(real: string) {
    if (real !== this.root && !real.startsWith(this.root + sep)) throw new TreeError(404, 'path not found')
  }

  /** Where the entry `path` itself is (its folder checked, the last segment not followed). */
  private locate(path: string): string {
    const at = normalize(path)
    if (at === '') return this.root
    return joinFs(this.absolute(parentOf(at)), at.split('/').pop()!)
  }

  private stat(path: string): Stats | undefined {
    try {
      return lstatSync(this.locate(path))
    } catch {
      return undefined
    }
  }

  get(path: string): Entry | undefined {
    const at = normalize(path)
    const stats = this.stat(at)
    if (!stats) return undefined
    let target = stats
    let dangling = false
    if (stats.isSymbolicLink()) {
      try {
        target = statSync(this.absolute(at))
      } catch {
        dangling = true
      }
    }
    const directory = target.isDirectory()
    const read = () => {
      try {
        return directory || target.isSymbolicLink() ? new Uint8Array() : new Uint8Array(readFileSync(this.absolute(at)))
      } catch {
        return new Uint8Array()
      }
    }
    return {
      directory,
      get data() {
        return read()
      },
      created: target.birthtime.getTime() ? target.birthtime : target.mtime,
      modified: target.mtime,
      symlink: stats.isSymbolicLink(),
      dangling,
      mode: target.mode & 0o777,
    }
  }

  /** Every entry below the root (the root excluded), paths relative, parents before children. */
  get entries(): Map<string, Entry> {
    const out = new Map<string, Entry>()
    const walk = (dir: string) => {
      for (const { name } of this.list(dir)) {
        const path = join(dir, name)
        const entry = this.get(path)!
        out.set(path, entry)
        if (entry.directory && !entry.symlink) walk(path)
      }
    }
    walk('')
    return out
  }

  /** Total bytes of every file (the `disk_bytes` Wings reports). */
  get size(): number {
    return this.sizeUnder('')
  }

  mkdirs(path: string) {
    const parts = normalize(path).split('/').filter(Boolean)
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join('/')
      const existing = this.get(at)
      if (existing && !existing.directory) throw new TreeError(417, 'parent is a file')
      if (!existing) mkdirSync(this.absolute(at))
    }
  }

  write(path: string, data: Uint8Array) {
    const at = normalize(path)
    const existing = this.get(at)
    if (at === '' || existing?.directory) throw new TreeError(417, 'file is not a file')
    this.mkdirs(parentOf(at))
    writeFileSync(this.absolute(at), data)
  }

  /** Children of a directory, directories first, each group by name. */
  list(path: string): { name: string; entry: Entry }[] {
    const at = normalize(path)
    if (!this.get(at)?.directory) return []
    const children = readdirSync(this.absolute(at)).flatMap((name) => {
      const entry = this.get(join(at, name))
      return entry ? [{ name, entry }] : []
    })
    return children.sort(
      (a, b) => Number(b.entry.directory) - Number(a.entry.directory) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    )
  }

  /** Removes a file or a directory with everything under it; false when nothing was there. */
  remove(path: string): boolean {
    const at = normalize(path)
    if (at === '' || !this.stat(at)) return false
    rmSync(this.locate(at), { recursive: true, force: true })
    return true
  }

  rename(from: string, to: string): boolean {
    const src = normalize(from)
    const dst = normalize(to)
    if (src === '' || dst === '' || !this.stat(src) || this.stat(dst)) return false
    if (dst.startsWith(`${src}/`)) return false
    this.mkdirs(parentOf(dst))
    renameSync(this.locate(src), this.locate(dst))
    return true
  }

  /** Copies a file or a directory (recursively) to `to`, replacing what is there. */
  copy(from: string, to: string) {
    const src = normalize(from)
    const dst = normalize(to)
    if (!this.stat(src)) throw new TreeError(404, 'file not found')
    if (dst === '' || dst === src || dst.startsWith(`${src}/`)) throw new TreeError(417, 'cannot copy into itself')
    this.mkdirs(parentOf(dst))
    cpSync(this.locate(src), this.locate(dst), { recursive: true, force: true, verbatimSymlinks: true })
  }

  /** A symbolic link at `link` pointing to `target` (kept as given, relative to the link's folder). */
  symlink(link: string, target: string) {
    const at = normalize(link)
    if (at === '' || this.stat(at)) throw new TreeError(409, 'destination already exists')
    this.mkdirs(parentOf(at))
    symlinkSync(target, this.locate(at))
  }

  chmod(path: string, mode: number, recursive = false) {
    const at = normalize(path)
    const entry = this.get(at)
    if (!entry) throw new TreeError(404, 'file not found')
    if (!entry.symlink) chmodSync(this.absolute(at), mode)
    if (recursive && entry.directory && !entry.symlink) for (const { name } of this.list(at)) this.chmod(join(at, name), mode, true)
  }

  describe(name: string, entry: Entry): DirectoryEntry {
    const size = entry.directory ? this.sizeUnder(name) : entry.data.byteLength
    const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : ''
    const bits = entry.mode ?? (entry.directory ? 0o755 : 0o644)
    return {
      name: name.split('/').pop()!,
      mode: (entry.directory ? 'd' : entry.symlink ? 'l' : '-') + rwx(bits >> 6) + rwx(bits >> 3) + rwx(bits),
      mode_bits: bits.toString(8).padStart(3, '0'),
      size,
      size_physical: size,
      editable: !entry.directory,
      inner_editable: !entry.directory,
      directory: entry.directory,
      file: !entry.directory,
      symlink: entry.symlink ?? false,
      virtual: false,
      mime: entry.directory
        ? 'inode/directory'
        : entry.symlink
          ? 'inode/symlink'
          : (MIME[extension] ?? (extension ? 'application/octet-stream' : 'text/plain')),
      created: entry.created.toISOString(),
      modified: entry.modified.toISOString(),
    }
  }

  /** Bytes of the files under `path` (links not followed). */
  sizeUnder(path: string): number {
    let total = 0
    for (const { name, entry } of this.list(path)) {
      if (entry.symlink) continue
      total += entry.directory ? this.sizeUnder(join(path, name)) : (this.stat(join(path, name))?.size ?? 0)
    }
    return total
  }
}

export { join as joinPath, parentOf }

export class TreeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

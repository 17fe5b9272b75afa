/**
 * A server's virtual file tree: paths relative to the server root, `..` clamped at the root like
 * Wings' canonicalisation. Directories are explicit entries so empty ones survive; the root always exists.
 */
export interface Entry {
  directory: boolean
  data: Uint8Array
  created: Date
  modified: Date
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

/** `a/./b/../c/` → `a/c`; `../../x` → `x`. */
export function normalize(path: string): string {
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}

const join = (root: string, name: string) => normalize(`${root}/${name}`)
const parentOf = (path: string) => path.split('/').slice(0, -1).join('/')

export class FileTree {
  readonly entries = new Map<string, Entry>()

  constructor() {
    this.clear()
  }

  clear() {
    this.entries.clear()
    const now = new Date()
    this.entries.set('', { directory: true, data: new Uint8Array(), created: now, modified: now })
  }

  get(path: string): Entry | undefined {
    return this.entries.get(normalize(path))
  }

  /** Total bytes of every file (the `disk_bytes` Wings reports). */
  get size(): number {
    let total = 0
    for (const entry of this.entries.values()) total += entry.data.byteLength
    return total
  }

  mkdirs(path: string) {
    const parts = normalize(path).split('/').filter(Boolean)
    for (let i = 1; i <= parts.length; i++) {
      const at = parts.slice(0, i).join('/')
      const existing = this.entries.get(at)
      if (existing && !existing.directory) throw new TreeError(417, 'parent is a file')
      if (!existing) {
        const now = new Date()
        this.entries.set(at, { directory: true, data: new Uint8Array(), created: now, modified: now })
      }
    }
  }

  write(path: string, data: Uint8Array) {
    const at = normalize(path)
    const existing = this.entries.get(at)
    if (at === '' || existing?.directory) throw new TreeError(417, 'file is not a file')
    this.mkdirs(parentOf(at))
    const now = new Date()
    this.entries.set(at, { directory: false, data, created: existing?.created ?? now, modified: now })
  }

  /** Children of a directory, directories first, each group by name. */
  list(path: string): { name: string; entry: Entry }[] {
    const at = normalize(path)
    const prefix = at === '' ? '' : `${at}/`
    const children: { name: string; entry: Entry }[] = []
    for (const [key, entry] of this.entries) {
      if (key === at || !key.startsWith(prefix)) continue
      const name = key.slice(prefix.length)
      if (!name.includes('/')) children.push({ name, entry })
    }
    return children.sort(
      (a, b) => Number(b.entry.directory) - Number(a.entry.directory) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    )
  }

  /** Removes a file or a directory with everything under it; false when nothing was there. */
  remove(path: string): boolean {
    const at = normalize(path)
    if (at === '' || !this.entries.has(at)) return false
    for (const key of [...this.entries.keys()]) if (key === at || key.startsWith(`${at}/`)) this.entries.delete(key)
    return true
  }

  rename(from: string, to: string): boolean {
    const src = normalize(from)
    const dst = normalize(to)
    if (src === '' || dst === '' || !this.entries.has(src) || this.entries.has(dst)) return false
    this.mkdirs(parentOf(dst))
    for (const [key, entry] of [...this.entries]) {
      if (key !== src && !key.startsWith(`${src}/`)) continue
      this.entries.delete(key)
      this.entries.set(dst + key.slice(src.length), entry)
    }
    return true
  }

  describe(name: string, entry: Entry): DirectoryEntry {
    const size = entry.directory ? this.sizeUnder(name) : entry.data.byteLength
    const extension = name.includes('.') ? name.split('.').pop()!.toLowerCase() : ''
    return {
      name: name.split('/').pop()!,
      mode: entry.directory ? 'drwxr-xr-x' : '-rw-r--r--',
      mode_bits: entry.directory ? '755' : '644',
      size,
      size_physical: size,
      editable: !entry.directory,
      inner_editable: !entry.directory,
      directory: entry.directory,
      file: !entry.directory,
      symlink: false,
      virtual: false,
      mime: entry.directory ? 'inode/directory' : (MIME[extension] ?? (extension ? 'application/octet-stream' : 'text/plain')),
      created: entry.created.toISOString(),
      modified: entry.modified.toISOString(),
    }
  }

  private sizeUnder(path: string): number {
    let total = 0
    for (const [key, entry] of this.entries) if (key.startsWith(`${path}/`)) total += entry.data.byteLength
    return total
  }
}

export { join as joinPath }

export class TreeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

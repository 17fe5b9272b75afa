import { BadRequest, NotFound } from 'hatchery'

/** Longest path a client may send (Linux's `PATH_MAX`): longer is a 400 before anything else. */
export const MAX_PATH = 4096

/**
 * A client's path as the server sees it, relative to the root without a leading `/`: backslashes
 * are separators, empty and `.` segments go, `..` climbs (`a/../x` → `x`, `//x` → `x`, `./x` →
 * `x`). Climbing above the root is a 400, as is a path longer than `MAX_PATH`. The panel checks and
 * sends this form, so Wings and the hidden-path check see the same path.
 * @example clientPath('a/./b/../c\\d') // 'a/c/d'
 */
export function clientPath(raw: string, field = 'path'): string {
  if (raw.length > MAX_PATH) throw new BadRequest(`${field}: longer than ${MAX_PATH} characters`)
  const parts: string[] = []
  for (const part of raw.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (parts.length === 0) throw new BadRequest(`${field}: leaves the server root`)
      parts.pop()
    } else parts.push(part)
  }
  return parts.join('/')
}

/** `entry` under `root` (both raw): an absolute entry replaces the root (spec 03 §5.4.1), then normalised. */
export function underRoot(root: string, entry: string, field = 'files'): string {
  return /^[/\\]/.test(entry) ? clientPath(entry, field) : clientPath(`${root}/${entry}`, field)
}

/** The form Wings gets for a checked path: absolute, so Wings joins nothing to it. */
export const forWings = (path: string) => `/${path}`

interface Rule {
  negate: boolean
  anchored: boolean
  glob: Bun.Glob
}

/**
 * A subuser's `ignored_files` (spec 03 §5.4.1): gitignore-style globs from the root. A pattern
 * without an inner `/` matches a name at any depth, one with a `/` (or a leading one) is anchored
 * at the root, a trailing `/` is dropped (folder and file alike are hidden: the panel cannot tell
 * them apart without asking Wings), `!pattern` re-includes; the last matching rule wins. A path is
 * hidden when it or any folder above it is: nothing inside a hidden folder can be reached by
 * naming it. The root (`""`) is never hidden. Owners and admins get an empty list.
 * @example new Hidden(['secrets/']).has('a/../secrets/key') // true after clientPath
 */
export class Hidden {
  private readonly rules: Rule[]

  constructor(readonly patterns: string[]) {
    this.rules = patterns.flatMap((line) => {
      let text = line.trim()
      if (!text || text.startsWith('#')) return []
      const negate = text.startsWith('!')
      if (negate) text = text.slice(1)
      text = text.replace(/\/+$/, '')
      const anchored = text.includes('/')
      text = text.replace(/^\/+/, '')
      if (!text) return []
      return [{ negate, anchored, glob: new Bun.Glob(text) }]
    })
  }

  get empty(): boolean {
    return this.rules.length === 0
  }

  private matches(path: string): boolean {
    let hidden = false
    const name = path.slice(path.lastIndexOf('/') + 1)
    for (const rule of this.rules) if (rule.glob.match(rule.anchored ? path : name)) hidden = !rule.negate
    return hidden
  }

  /** Is the normalised `path` (from `clientPath`) hidden? */
  has(path: string): boolean {
    if (this.empty || path === '') return false
    const parts = path.split('/')
    for (let i = 1; i <= parts.length; i++) if (this.matches(parts.slice(0, i).join('/'))) return true
    return false
  }

  /** The client's `raw` path normalised (`clientPath`), or 404 `message` when hidden. */
  visible(raw: string, field: string, message: string): string {
    const path = clientPath(raw, field)
    this.refuse(path, message)
    return path
  }

  /** 404 `message` when the normalised `path` is hidden. */
  refuse(path: string, message: string): void {
    if (this.has(path)) throw new NotFound(message)
  }
}

import type { ClientServerAccess } from '../../servers'

/** The path with `.`, `..`, empty segments and a leading `/` resolved away (never above the root). */
export function normalizePath(path: string): string {
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return parts.join('/')
}

/** Whether a subuser's `ignored_files` globs (spec 03 §5.4.1) hide `path` or a folder above it. */
export function hiddenFrom(access: ClientServerAccess, path: string): boolean {
  const globs = access.subuser?.ignored_files ?? []
  if (!globs.length) return false
  const parts = normalizePath(path).split('/')
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'))
  return globs.some((glob) => {
    const g = new Bun.Glob(normalizePath(glob) || glob)
    return prefixes.some((p) => g.match(p) || g.match(`${p}/`))
  })
}

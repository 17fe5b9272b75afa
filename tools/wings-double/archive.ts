/**
 * Real tar.gz archives of a server's tree (Bun.Archive), for compress/decompress; backups, restores
 * and transfers extract through `extractInto` too.
 * @example
 * const bytes = await archiveTree(server.files, 'world', ['level.dat', 'region'])
 * await extractInto(server.files, 'restored', bytes)
 */
import type { FileTree } from './files'
import { joinPath, normalize } from './files'

/**
 * A tar.gz of `paths` under `root` (everything under `root` when omitted): entry names relative to
 * `root`, directories walked, links not followed. A path that is not there is a `TreeError` 404
 * from the tree's own checks (the caller decides what that means).
 */
export async function archiveTree(tree: FileTree, root: string, paths?: string[]): Promise<Uint8Array> {
  const base = normalize(root)
  const files: Record<string, Uint8Array> = {}
  const add = (relative: string) => {
    const entry = tree.get(joinPath(base, relative))
    if (!entry || entry.symlink) return
    if (!entry.directory) files[normalize(relative)] = entry.data
    else for (const { name } of tree.list(joinPath(base, relative))) add(joinPath(relative, name))
  }
  for (const path of paths ?? tree.list(base).map((child) => child.name)) add(path)
  return await new Bun.Archive(files, { compress: 'gzip' }).bytes()
}

/**
 * Writes every regular file of a tar or tar.gz into `root` of the tree (names normalised, so
 * `../` cannot leave the root), stopping after `limit` files (a transfer failing midway); returns
 * how many files were written.
 */
export async function extractInto(tree: FileTree, root: string, bytes: Uint8Array, limit = Infinity): Promise<number> {
  const entries = await new Bun.Archive(bytes).files()
  let written = 0
  for (const [name, file] of entries) {
    if (written >= limit) break
    const path = joinPath(root, name)
    if (path === normalize(root)) continue
    tree.write(path, new Uint8Array(await file.arrayBuffer()))
    written++
  }
  return written
}

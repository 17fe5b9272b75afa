import { posix } from 'node:path'
import { exportParsed, parseEgg, readEggDocument } from '../../nests'
import type { RepositoryFiles } from './git'

/** An egg file a sync found: its path, its nearest README and the egg as the export format has it. */
export interface FoundEgg {
  path: string
  name: string
  readme: string | null
  /** Makes the exported document with the repository egg's uuid in it. */
  exported(uuid: string): Record<string, unknown>
}

const EGG_FILE = /\.(json|ya?ml)$/i
const utf8 = new TextDecoder('utf-8', { fatal: true })

function text(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes)
  } catch {
    return null
  }
}

/**
 * The eggs among a repository's files: every `*.json`, `*.yml`, `*.yaml` file any import route
 * would accept (Pterodactyl, Pelican or Calagopus, JSON or YAML); other files (a workflow, a
 * `package.json`, an egg the importer refuses) are skipped, as the reference skips them. Each egg
 * gets the README nearest above it (its own folder first, then each parent up to the root).
 */
export function findEggs(files: RepositoryFiles): FoundEgg[] {
  const readmes = new Map<string, string>()
  for (const path of [...files.keys()].sort()) {
    const name = posix.basename(path)
    const dir = posix.dirname(path)
    if (!name.toLowerCase().includes('readme') || readmes.has(dir)) continue
    const content = text(files.get(path)!)
    if (content !== null) readmes.set(dir, content)
  }
  const nearestReadme = (path: string): string | null => {
    for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
      const found = readmes.get(dir)
      if (found !== undefined) return found
      if (dir === '.' || dir === '/') return null
    }
  }
  const eggs: FoundEgg[] = []
  for (const [path, bytes] of files) {
    const ext = EGG_FILE.exec(path)?.[1]?.toLowerCase()
    if (!ext) continue
    const content = text(bytes)
    if (content === null) continue
    try {
      const parsed = parseEgg(readEggDocument(content, ext === 'json' ? 'json' : 'yaml'))
      eggs.push({ path, name: parsed.egg.name, readme: nearestReadme(path), exported: (uuid) => exportParsed(parsed, uuid) })
    } catch {
      // Not an egg (or one the importer refuses): a repository holds other files too.
    }
  }
  return eggs.sort((a, b) => (a.path < b.path ? -1 : 1))
}

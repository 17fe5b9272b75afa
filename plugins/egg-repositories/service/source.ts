import { isAbsolute, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where a repository's files come from: a remote the panel clones, or a local repository it reads in place. */
export type RepositorySource = { kind: 'remote'; url: string } | { kind: 'local'; path: string }

const INVALID = 'Invalid git repository'

/**
 * Reads `git_repository` (spec 02 §7.8): an `https://` or `http://` URL with a host, or, as a
 * Hatchery extension, a local repository (an absolute path or a `file://` URL) when `allowLocal`
 * (the setting `egg_repositories.allow_local`). Answers the source or the reason it is refused.
 * ssh and scp-style URLs are refused: the panel's git client speaks http(s) only.
 * @example repositorySource('https://github.com/pelican-eggs/minecraft.git', false) // { kind: 'remote', url: … }
 */
export function repositorySource(value: string, allowLocal: boolean): RepositorySource | string {
  const local = localPath(value)
  if (local !== null) {
    if (!allowLocal) return `${INVALID}: local repositories are not allowed (setting egg_repositories.allow_local)`
    return local === '' ? `${INVALID}: not an absolute path` : { kind: 'local', path: local }
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return /^[^/:@\s]+@[^:\s]+:/.test(value) ? `${INVALID}: ssh repositories are not supported, use an https url` : `${INVALID}: not a URL`
  }
  if (url.protocol === 'ssh:' || url.protocol === 'git+ssh:') return `${INVALID}: ssh repositories are not supported, use an https url`
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${INVALID}: only http and https urls are supported`
  if (!url.hostname) return `${INVALID}: missing host`
  if (url.username || url.password) return `${INVALID}: put credentials in \`credentials\`, not in the url`
  return { kind: 'remote', url: url.href }
}

/** The absolute path a local reference names, '' for a relative one, null when it is no local reference. */
function localPath(value: string): string | null {
  if (value.startsWith('file:')) {
    try {
      return normalize(fileURLToPath(value))
    } catch {
      return ''
    }
  }
  if (value.startsWith('/')) return isAbsolute(value) ? normalize(value) : ''
  if (value.startsWith('.')) return ''
  return null
}

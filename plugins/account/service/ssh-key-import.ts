import { LimitExceeded, readRawBody } from 'hatchery'
import { KeyError, parseKeyBlob, parsePublicKeyLine, type ParsedKey } from './ssh-key-parse'
import type { ImportCandidate } from './ssh-keys'

export type Provider = 'github' | 'gitlab' | 'launchpad'

/** Base URLs of the providers' APIs (setting `account.ssh_key_import_urls`). */
export const DEFAULT_IMPORT_URLS: Record<Provider, string> = {
  github: 'https://api.github.com',
  gitlab: 'https://gitlab.com',
  launchpad: 'https://api.launchpad.net',
}

const MAX_NAME = 31
const FETCH_TIMEOUT_MS = 10_000
const MAX_RESPONSE_BYTES = 1024 * 1024

/** `head` + as much of `flexible` as fits + `tail`, within the 31 characters a name may have. */
function fit(head: string, flexible: string, tail: string): string {
  return head + flexible.slice(0, Math.max(0, MAX_NAME - head.length - tail.length)) + tail
}

const isoDate = (value: unknown, now: Date) => {
  const date = typeof value === 'string' ? new Date(value) : now
  return (Number.isNaN(date.getTime()) ? now : date).toISOString().slice(0, 10)
}

function parseOrNull(parse: () => ParsedKey): ParsedKey | null {
  try {
    return parse()
  } catch (e) {
    if (e instanceof KeyError) return null
    throw e
  }
}

const urlOf = (provider: Provider, base: string, username: string) => {
  const root = base.replace(/\/+$/, '')
  const u = encodeURIComponent(username)
  if (provider === 'github') return `${root}/users/${u}/keys`
  if (provider === 'gitlab') return `${root}/api/v4/users/${u}/keys`
  return `${root}/1.0/~${u}/sshkeys`
}

/**
 * Candidates from a provider's answer, in its order; unparsable or refused keys are skipped.
 * Names (spec 01 §4.10): GitHub `gh-<user≤17>-<YYYY-MM-DD>` (the key's creation date, today when
 * the API does not say), GitLab `gl-<user≤27>-<title after its last @, cut to fit>`, Launchpad
 * `lp-<user≤25>-<NN>` (1-based position).
 */
export function candidatesOf(provider: Provider, username: string, payload: unknown, now = new Date()): ImportCandidate[] | null {
  const out: ImportCandidate[] = []
  if (provider === 'launchpad') {
    const entries = (payload as { entries?: unknown })?.entries
    if (!Array.isArray(entries)) return null
    entries.forEach((entry, i) => {
      const text = (entry as { keytext?: unknown })?.keytext
      if (typeof text !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return
      const key = parseOrNull(() => parseKeyBlob(Buffer.from(text, 'base64')))
      const index = String(i + 1).padStart(2, '0')
      if (key) out.push({ key, name: (suffix) => fit('lp-', username.slice(0, 25), `-${index}${suffix}`) })
    })
    return out
  }
  if (!Array.isArray(payload)) return null
  for (const entry of payload as Record<string, unknown>[]) {
    if (typeof entry?.key !== 'string') continue
    const line = entry.key
    const key = parseOrNull(() => parsePublicKeyLine(line))
    if (!key) continue
    if (provider === 'github') {
      const date = isoDate(entry.created_at, now)
      out.push({ key, name: (suffix) => fit('gh-', username.slice(0, 17), `-${date}${suffix}`) })
    } else {
      const user = username.slice(0, 27)
      const title = typeof entry.title === 'string' ? entry.title : ''
      const label = `${user}-${title.slice(title.lastIndexOf('@') + 1).slice(0, 27 - user.length)}`
      out.push({ key, name: (suffix) => fit('gl-', label, suffix) })
    }
  }
  return out
}

/**
 * Fetches a user's public keys from GitHub, GitLab or Launchpad. Any failure to get a usable
 * answer (network, timeout, a status other than 2xx, an unexpected body) is a 417
 * `unable to fetch ssh keys from <provider>`.
 */
export async function fetchProviderKeys(
  provider: Provider,
  username: string,
  baseUrl: string,
  now = new Date(),
): Promise<ImportCandidate[]> {
  const failed = () => new LimitExceeded(`unable to fetch ssh keys from ${provider}`)
  let payload: unknown
  try {
    const res = await fetch(urlOf(provider, baseUrl, username), {
      headers: { accept: 'application/json', 'user-agent': 'Hatchery panel (ssh key import)' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    })
    if (!res.ok) {
      await res.body?.cancel().catch(() => {})
      throw failed()
    }
    payload = JSON.parse(Buffer.from(await readRawBody(res, MAX_RESPONSE_BYTES)).toString('utf8'))
  } catch {
    throw failed()
  }
  const candidates = candidatesOf(provider, username, payload, now)
  if (!candidates) throw failed()
  return candidates
}

import fs from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpClient } from 'isomorphic-git'
import { fetchOutbound, OutboundError } from 'hatchery'
import type { RepositorySource } from './source'

/** Largest egg or README file read (as the reference: 1 MiB). */
export const FILE_MAX_BYTES = 1024 * 1024
/** Files a repository may offer (eggs and READMEs); a repository with more is refused, not half-read. */
export const MAX_FILES = 5000
const EGG_FILE = /\.(json|ya?ml)$/i

/**
 * Why reading a repository failed. `policy`: the panel refused it (a private address, plain http,
 * a local repository not allowed); `remote`: the remote or the local repository failed (unreachable,
 * 401/404, not a git repository, too large).
 */
export class RepositoryError extends Error {
  constructor(
    readonly kind: 'policy' | 'remote',
    message: string,
  ) {
    super(message)
  }
}

export interface ReadOptions {
  /** `outbound.allow_private_addresses`: lets a remote be private, loopback or plain http. */
  allowPrivate: boolean
  /** Basic credentials sent to the remote. */
  auth?: { username: string; password: string }
  /** Budget for the whole clone (default 120 s). */
  timeoutMs?: number
  /** Largest answer of one request of the clone (default 256 MiB). */
  maxBytes?: number
}

type Git = typeof import('isomorphic-git')
let loaded: Promise<Git> | undefined
/** isomorphic-git, loaded by the first sync: ~11 MiB of a panel's resident memory that most panels never use. */
const loadGit = () => (loaded ??= import('isomorphic-git'))

/** The repository's files at HEAD that a sync looks at: egg candidates and READMEs, by path. */
export type RepositoryFiles = Map<string, Uint8Array>

/**
 * Reads a repository at HEAD: a remote is cloned shallowly (one commit, no checkout) into a
 * temporary folder through the kernel's `fetchOutbound` (every request checked like any outbound
 * URL, the whole clone bounded by `timeoutMs`), a local one is read in place. Answers the `*.json`,
 * `*.yml`, `*.yaml` and README files of at most 1 MiB (symbolic links are skipped).
 */
export async function readRepository(source: RepositorySource, opts: ReadOptions): Promise<RepositoryFiles> {
  const lib = await loadGit()
  const git = lib.default
  if (source.kind === 'local') return readTree(lib, await localRepository(git, source.path))
  const dir = await mkdtemp(join(tmpdir(), 'hatchery-egg-repo-'))
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 120_000)
  try {
    await git.clone({
      fs,
      http: outboundHttp(opts, signal),
      dir,
      url: source.url,
      depth: 1,
      singleBranch: true,
      noCheckout: true,
      noTags: true,
      headers: opts.auth ? { authorization: basic(opts.auth) } : {},
    })
    return await readTree(lib, { gitdir: join(dir, '.git') })
  } catch (e) {
    throw asRepositoryError(lib, e, signal)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const basic = (a: { username: string; password: string }) => `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`

async function localRepository(git: Git['default'], path: string): Promise<{ dir?: string; gitdir: string }> {
  const dotGit = join(path, '.git')
  const gitdir = (await stat(dotGit).catch(() => null))?.isDirectory() ? dotGit : path
  try {
    await git.resolveRef({ fs, gitdir, ref: 'HEAD' })
  } catch {
    throw new RepositoryError('remote', `${path} is not a git repository with commits`)
  }
  return { gitdir }
}

async function readTree({ default: git, TREE }: Git, repo: { gitdir: string }): Promise<RepositoryFiles> {
  const files: RepositoryFiles = new Map()
  try {
    await git.walk({
      fs,
      ...repo,
      trees: [TREE({ ref: 'HEAD' })],
      map: async (path, [entry]) => {
        if (!entry || path === '.') return true
        const type = await entry.type()
        if (type === 'tree') return true
        const name = path.slice(path.lastIndexOf('/') + 1)
        if (type !== 'blob' || (await entry.mode()) === 0o120000) return null
        if (!EGG_FILE.test(name) && !name.toLowerCase().includes('readme')) return null
        if (files.size >= MAX_FILES) throw new RepositoryError('remote', `the repository has more than ${MAX_FILES} egg and README files`)
        const content = await entry.content()
        if (content && content.byteLength <= FILE_MAX_BYTES) files.set(path, content)
        return null
      },
    })
  } catch (e) {
    if (e instanceof RepositoryError) throw e
    throw new RepositoryError('remote', `cannot read the repository: ${(e as Error).message}`)
  }
  return files
}

/** isomorphic-git's HTTP client, every request through `fetchOutbound` within the clone's budget. */
function outboundHttp(opts: ReadOptions, signal: AbortSignal): HttpClient {
  return {
    async request({ url, method = 'GET', headers = {}, body }) {
      const chunks: Uint8Array[] = []
      if (body) for await (const chunk of body) chunks.push(chunk)
      const res = await fetchOutbound(
        url,
        { method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined },
        { allowPrivate: opts.allowPrivate, maxBytes: opts.maxBytes ?? 256 * 1024 * 1024, timeoutMs: opts.timeoutMs ?? 120_000, signal },
      )
      const bytes = new Uint8Array(await res.arrayBuffer())
      return {
        url,
        method,
        statusCode: res.status,
        statusMessage: res.statusText,
        headers: Object.fromEntries(res.headers),
        body: (async function* () {
          yield bytes
        })(),
      }
    },
  }
}

function asRepositoryError({ Errors }: Git, e: unknown, signal: AbortSignal): RepositoryError {
  if (e instanceof RepositoryError) return e
  if (e instanceof OutboundError) {
    const policy = e.reason === 'address' || e.reason === 'scheme' || e.reason === 'url'
    return new RepositoryError(policy ? 'policy' : 'remote', `cannot reach the repository: ${e.message}`)
  }
  if (signal.aborted) return new RepositoryError('remote', 'cannot reach the repository: timed out')
  if (e instanceof Errors.HttpError) {
    const status = (e.data as { statusCode?: number }).statusCode
    if (status === 401 || status === 403) return new RepositoryError('remote', 'the repository refused the credentials')
    return new RepositoryError('remote', `the repository answered status ${status}`)
  }
  return new RepositoryError('remote', `the repository cannot be cloned: ${(e as Error).message}`)
}

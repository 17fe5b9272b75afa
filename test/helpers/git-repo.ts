import fs from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import git from 'isomorphic-git'

const AUTHOR = { name: 'Test', email: 'test@example.com' }

/**
 * A git repository in a temporary folder, written with isomorphic-git (no git binary needed):
 * `commit(files)` writes the files (a `null` content deletes one) and commits them all.
 */
export async function tempRepository() {
  const dir = await mkdtemp(join(tmpdir(), 'hatchery-test-repo-'))
  await git.init({ fs, dir, defaultBranch: 'main' })
  let n = 0
  return {
    dir,
    async commit(files: Record<string, string | null>): Promise<string> {
      for (const [path, content] of Object.entries(files)) {
        const file = join(dir, path)
        if (content === null) {
          await rm(file, { force: true })
          await git.remove({ fs, dir, filepath: path })
          continue
        }
        await mkdir(dirname(file), { recursive: true })
        await writeFile(file, content)
        await git.add({ fs, dir, filepath: path })
      }
      return git.commit({ fs, dir, message: `commit ${++n}`, author: AUTHOR })
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/**
 * Serves a repository over git's smart HTTP protocol (read only) on a free port, through the
 * machine's `git upload-pack`: what a forge such as GitHub answers to a clone. With `auth`, every
 * request needs that Basic `user:password` (401 otherwise).
 */
export function serveRepository(dir: string, auth?: { username: string; password: string }) {
  const expected = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : null
  const requests: string[] = []
  const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url)
      requests.push(`${req.method} ${url.pathname}${url.search}`)
      if (expected && req.headers.get('authorization') !== expected) {
        return new Response('auth', { status: 401, headers: { 'www-authenticate': 'Basic realm="git"' } })
      }
      if (!url.pathname.startsWith('/repo.git/')) return new Response('no such repository', { status: 404 })
      if (req.method === 'GET' && url.pathname.endsWith('/info/refs') && url.searchParams.get('service') === 'git-upload-pack') {
        const p = Bun.spawn(['git', 'upload-pack', '--stateless-rpc', '--advertise-refs', dir], { stdout: 'pipe' })
        const refs = new Uint8Array(await new Response(p.stdout).arrayBuffer())
        const head = new TextEncoder().encode(pkt('# service=git-upload-pack\n') + '0000')
        return new Response(Buffer.concat([head, refs]), { headers: { 'content-type': 'application/x-git-upload-pack-advertisement' } })
      }
      if (req.method === 'POST' && url.pathname.endsWith('/git-upload-pack')) {
        const p = Bun.spawn(['git', 'upload-pack', '--stateless-rpc', dir], {
          stdin: new Uint8Array(await req.arrayBuffer()),
          stdout: 'pipe',
        })
        return new Response(await new Response(p.stdout).arrayBuffer(), {
          headers: { 'content-type': 'application/x-git-upload-pack-result' },
        })
      }
      return new Response('not found', { status: 404 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/repo.git`, requests, stop: () => server.stop(true) }
}

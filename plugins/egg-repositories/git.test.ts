import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { serveRepository, tempRepository } from '../../test/helpers/git-repo'
import { readRepository, RepositoryError } from './service/git'
import { findEggs } from './service/found'
import { repositorySource } from './service/source'

const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../test/fixtures/eggs', name), 'utf8')
const decode = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined)

describe('repositorySource', () => {
  test('https and http URLs are remotes; ssh, scp-style, credentials in the URL and other schemes are refused', () => {
    expect(repositorySource('https://github.com/pelican-eggs/minecraft.git', false)).toEqual({
      kind: 'remote',
      url: 'https://github.com/pelican-eggs/minecraft.git',
    })
    expect(repositorySource('http://git.lan/eggs', false)).toEqual({ kind: 'remote', url: 'http://git.lan/eggs' })
    expect(repositorySource('ssh://git@github.com/a/b.git', true)).toContain('ssh repositories are not supported')
    expect(repositorySource('git@github.com:a/b.git', true)).toContain('ssh repositories are not supported')
    expect(repositorySource('https://u:p@github.com/a/b.git', false)).toContain('not in the url')
    expect(repositorySource('ftp://x/y', false)).toContain('only http and https')
    expect(repositorySource('eggs', false)).toContain('not a URL')
  })

  test('a local path or file:// URL only when allowed, and only absolute', () => {
    expect(repositorySource('/srv/eggs', false)).toContain('local repositories are not allowed')
    expect(repositorySource('file:///srv/eggs', false)).toContain('local repositories are not allowed')
    expect(repositorySource('/srv/eggs/../eggs2', true)).toEqual({ kind: 'local', path: '/srv/eggs2' })
    expect(repositorySource('file:///srv/eggs', true)).toEqual({ kind: 'local', path: '/srv/eggs' })
    expect(repositorySource('./eggs', true)).toContain('not an absolute path')
  })
})

describe('readRepository and findEggs', () => {
  let repo: Awaited<ReturnType<typeof tempRepository>>
  beforeAll(async () => {
    repo = await tempRepository()
    await repo.commit({
      'README.md': '# root readme',
      'java/paper/egg-paper.yaml': fixture('plcn3-paper.yaml'),
      'java/paper/README.md': '# paper',
      'java/purpur/egg-purpur.json': fixture('plcn1-purpur.json'),
      'steam/gmod/egg-garrys-mod.yaml': fixture('plcn3-garrys-mod.yaml'),
      '.github/workflows/lint.yml': 'on: push\njobs: {}\n',
      'package.json': '{"name":"not-an-egg"}',
      'broken.json': '{"name": ',
      'big.json': JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
      'notes.txt': 'ignored',
    })
  })
  afterAll(() => repo.remove())

  test('a local repository is read at HEAD: egg candidates and READMEs of at most 1 MiB', async () => {
    await Bun.write(join(repo.dir, 'java/uncommitted.json'), fixture('plcn3-fabric.json'))
    const files = await readRepository({ kind: 'local', path: repo.dir }, { allowPrivate: false })
    expect([...files.keys()].sort()).toEqual([
      '.github/workflows/lint.yml',
      'README.md',
      'broken.json',
      'java/paper/README.md',
      'java/paper/egg-paper.yaml',
      'java/purpur/egg-purpur.json',
      'package.json',
      'steam/gmod/egg-garrys-mod.yaml',
    ])
    const eggs = findEggs(files)
    expect(eggs.map((e) => [e.path, e.name, e.readme])).toEqual([
      ['java/paper/egg-paper.yaml', 'Paper', '# paper'],
      ['java/purpur/egg-purpur.json', 'Purpur', '# root readme'],
      ['steam/gmod/egg-garrys-mod.yaml', 'Garrys Mod', '# root readme'],
    ])
    const doc = eggs[0].exported('11111111-1111-4111-8111-111111111111') as any
    expect(doc.uuid).toBe('11111111-1111-4111-8111-111111111111')
    // The file's image order, not alphabetical: clients take the first image as the default.
    expect(Object.keys(doc.docker_images).slice(0, 3)).toEqual(['Java 21', 'Java 17', 'Java 16'])
  })

  test('a folder that is no repository is a remote error', async () => {
    const e = await readRepository({ kind: 'local', path: '/proc' }, { allowPrivate: false }).catch((e) => e)
    expect(e).toBeInstanceOf(RepositoryError)
    expect(e.kind).toBe('remote')
    expect(e.message).toContain('is not a git repository')
  })

  test('a remote is cloned over smart HTTP through the outbound guard', async () => {
    const server = serveRepository(repo.dir)
    try {
      const files = await readRepository({ kind: 'remote', url: server.url }, { allowPrivate: true })
      expect(decode(files.get('java/paper/README.md'))).toBe('# paper')
      expect(findEggs(files)).toHaveLength(3)
      expect(server.requests[0]).toBe('GET /repo.git/info/refs?service=git-upload-pack')
      // The guard refuses a loopback remote (and plain http) unless private addresses are allowed.
      const refused = await readRepository({ kind: 'remote', url: server.url }, { allowPrivate: false }).catch((e) => e)
      expect([refused.kind, refused.message]).toEqual(['policy', expect.stringContaining('http: URLs are not allowed')])
      const missing = await readRepository(
        { kind: 'remote', url: server.url.replace('repo.git', 'nope.git') },
        { allowPrivate: true },
      ).catch((e) => e)
      expect([missing.kind, missing.message]).toEqual(['remote', 'the repository answered status 404'])
    } finally {
      server.stop()
    }
  })

  test('credentials go as Basic authorization; wrong ones are refused', async () => {
    const server = serveRepository(repo.dir, { username: 'bot', password: 's3cret' })
    try {
      const files = await readRepository(
        { kind: 'remote', url: server.url },
        { allowPrivate: true, auth: { username: 'bot', password: 's3cret' } },
      )
      expect(findEggs(files)).toHaveLength(3)
      const wrong = await readRepository(
        { kind: 'remote', url: server.url },
        { allowPrivate: true, auth: { username: 'bot', password: 'nope' } },
      ).catch((e) => e)
      expect([wrong.kind, wrong.message]).toEqual(['remote', 'the repository refused the credentials'])
      const none = await readRepository({ kind: 'remote', url: server.url }, { allowPrivate: true }).catch((e) => e)
      expect(none.message).toBe('the repository refused the credentials')
    } finally {
      server.stop()
    }
  })

  test('a remote that does not answer fails within the budget', async () => {
    const silent = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Promise<Response>(() => {}) })
    try {
      const started = Date.now()
      const e = await readRepository(
        { kind: 'remote', url: `http://127.0.0.1:${silent.port}/x.git` },
        { allowPrivate: true, timeoutMs: 500 },
      ).catch((e) => e)
      expect(e.kind).toBe('remote')
      expect(e.message).toContain('timed out')
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      silent.stop(true)
    }
  })
})

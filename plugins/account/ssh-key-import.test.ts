import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { activitiesOf, useTestApp, makeApiKey } from 'hatchery/testing'
import { DEFAULT_IMPORT_URLS } from './service/ssh-key-import'
import { session, sshKey } from './test-helpers'

const IMPORT = '/api/client/account/ssh-keys/import'

/** What the double answers per provider and username. */
const github: Record<string, unknown> = {}
const gitlab: Record<string, unknown> = {}
const launchpad: Record<string, unknown> = {}

// A stand-in for api.github.com, gitlab.com and api.launchpad.net, speaking their JSON.
const double = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(req) {
    const path = decodeURIComponent(new URL(req.url).pathname)
    const match =
      /^\/users\/([^/]+)\/keys$/.exec(path)?.slice(1).concat('github') ??
      /^\/api\/v4\/users\/([^/]+)\/keys$/.exec(path)?.slice(1).concat('gitlab') ??
      /^\/1\.0\/~([^/]+)\/sshkeys$/.exec(path)?.slice(1).concat('launchpad')
    if (!match) return new Response('no such route', { status: 404 })
    const [user, provider] = match
    const table = { github, gitlab, launchpad }[provider as 'github']
    if (!(user in table)) return Response.json({ message: 'Not Found' }, { status: 404 })
    const body = table[user]
    return typeof body === 'string' ? new Response(body, { headers: { 'content-type': 'application/json' } }) : Response.json(body)
  },
})
const base = `http://127.0.0.1:${double.port}`

const keytext = (line: string) => line.split(' ')[1]

describe('POST /api/client/account/ssh-keys/import', () => {
  const t = useTestApp()

  beforeAll(async () => {
    await t.kernel.settings.update({ 'account.ssh_key_import_urls': { github: base, gitlab: `${base}/`, launchpad: base } })
  })
  afterEach(async () => {
    await t.kernel.settings.reset(['user.max_ssh_key_count'])
  })
  afterAll(() => double.stop(true))

  test('the default provider URLs are the public APIs', () => {
    expect(DEFAULT_IMPORT_URLS).toEqual({
      github: 'https://api.github.com',
      gitlab: 'https://gitlab.com',
      launchpad: 'https://api.launchpad.net',
    })
  })

  test('GitHub: adds every new key, named gh-<user>-<creation date>; unparsable and duplicate keys are skipped', async () => {
    const { user, cookie } = await session(t)
    const [a, b, c] = [sshKey(), sshKey('ecdsa-p256'), sshKey('rsa-2048')]
    github['octocat'] = [
      { id: 1, key: a.line, created_at: '2024-03-05T10:00:00Z' },
      { id: 2, key: 'ssh-rsa garbage' },
      { id: 3, key: sshKey('rsa-1024').line, created_at: '2024-03-06T10:00:00Z' },
      { id: 4, key: b.line, created_at: '2023-12-31T23:00:00Z' },
      { id: 5, key: a.line, created_at: '2024-03-07T10:00:00Z' },
      { id: 6, key: c.line, created_at: '2024-03-05T18:00:00Z' },
    ]
    const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'github', username: 'octocat' } })
    expect(res.status).toBe(200)
    expect(res.body.ssh_keys.map((k: any) => [k.name, k.fingerprint])).toEqual([
      ['gh-octocat-2024-03-05', a.fingerprint],
      ['gh-octocat-2023-12-31', b.fingerprint],
      // Same day as the first: the name gets a suffix instead of the key being lost.
      ['gh-octocat-2024-03-05-2', c.fingerprint],
    ])
    const [entry] = await activitiesOf(t, user.uuid, 'ssh-key:import')
    expect(entry.data).toEqual({
      provider: 'github',
      username: 'octocat',
      ssh_keys: res.body.ssh_keys.map((k: any) => ({ uuid: k.uuid, fingerprint: k.fingerprint })),
    })

    // Importing again adds nothing: every key is already there.
    const again = await t.request('POST', IMPORT, { cookie, body: { provider: 'github', username: 'octocat' } })
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ ssh_keys: [] })
    expect((await t.request('GET', '/api/client/account/ssh-keys', { cookie })).body.ssh_keys.total).toBe(3)
  })

  test('GitLab: names gl-<user>-<title after its last @>, cut to 31 characters', async () => {
    const { cookie } = await session(t)
    const [a, b] = [sshKey(), sshKey()]
    gitlab['some.user'] = [
      { id: 1, title: 'me@workstation', key: a.line, created_at: '2024-01-01T00:00:00Z' },
      { id: 2, title: 'a very long key title that goes on', key: b.line, created_at: '2024-01-01T00:00:00Z' },
    ]
    const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'gitlab', username: 'some.user' } })
    expect(res.status).toBe(200)
    expect(res.body.ssh_keys.map((k: any) => k.name)).toEqual(['gl-some.user-workstation', 'gl-some.user-a very long key tit'.slice(0, 31)])
    expect(res.body.ssh_keys.every((k: any) => k.name.length <= 31)).toBe(true)
  })

  test('Launchpad: reads the key blobs of the collection, named lp-<user>-<NN>', async () => {
    const { cookie } = await session(t)
    const [a, b] = [sshKey(), sshKey('rsa-2048')]
    launchpad['lpuser'] = {
      total_size: 3,
      start: 0,
      entries: [
        { keytype: 'ED25519', keytext: keytext(a.line), comment: 'a' },
        { keytype: 'RSA', keytext: 'AAAA', comment: 'broken' },
        { keytype: 'RSA', keytext: keytext(b.line), comment: 'b' },
      ],
    }
    const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'launchpad', username: 'lpuser' } })
    expect(res.status).toBe(200)
    expect(res.body.ssh_keys.map((k: any) => [k.name, k.fingerprint])).toEqual([
      ['lp-lpuser-01', a.fingerprint],
      ['lp-lpuser-03', b.fingerprint],
    ])
  })

  test('adds at most max − current keys; 417 when there is no room', async () => {
    const { cookie } = await session(t)
    await t.kernel.settings.update({ 'user.max_ssh_key_count': 3 })
    expect(
      (await t.request('POST', '/api/client/account/ssh-keys', { cookie, body: { name: 'existing', public_key: sshKey().line } })).status,
    ).toBe(200)
    github['many'] = [sshKey(), sshKey(), sshKey(), sshKey()].map((k, i) => ({
      id: i,
      key: k.line,
      created_at: `2024-01-0${i + 1}T00:00:00Z`,
    }))
    const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'github', username: 'many' } })
    expect(res.status).toBe(200)
    expect(res.body.ssh_keys.map((k: any) => k.name)).toEqual(['gh-many-2024-01-01', 'gh-many-2024-01-02'])
    const full = await t.request('POST', IMPORT, { cookie, body: { provider: 'github', username: 'many' } })
    expect(full.status).toBe(417)
    expect(full.body).toEqual({ errors: ['maximum number of ssh keys reached'] })
  })

  test('417 when the provider cannot be reached or does not answer a key list', async () => {
    const { cookie } = await session(t)
    github['broken'] = 'this is not json'
    launchpad['odd'] = [{ keytext: 'AAAA' }]
    for (const [provider, username] of [
      ['github', 'nobody-here'],
      ['github', 'broken'],
      ['gitlab', 'nobody-here'],
      ['launchpad', 'odd'],
    ]) {
      const res = await t.request('POST', IMPORT, { cookie, body: { provider, username } })
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: [`unable to fetch ssh keys from ${provider}`] })
    }
    // A port nothing listens on: a transport failure.
    const closed = Bun.serve({ port: 0, fetch: () => new Response() })
    const port = closed.port
    closed.stop(true)
    await t.kernel.settings.update({ 'account.ssh_key_import_urls': { github: base, gitlab: base, launchpad: `http://127.0.0.1:${port}` } })
    try {
      const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'launchpad', username: 'lpuser' } })
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: ['unable to fetch ssh keys from launchpad'] })
    } finally {
      await t.kernel.settings.update({ 'account.ssh_key_import_urls': { github: base, gitlab: base, launchpad: base } })
    }
  })

  test('400 for an unknown provider or a username that is not one', async () => {
    const { cookie } = await session(t)
    const provider = await t.request('POST', IMPORT, { cookie, body: { provider: 'bitbucket', username: 'octocat' } })
    expect(provider.status).toBe(400)
    expect(provider.body.errors[0]).toStartWith('provider: ')
    for (const username of ['ab', 'x'.repeat(32), '../../admin', '.hidden', 'a b c']) {
      const res = await t.request('POST', IMPORT, { cookie, body: { provider: 'github', username } })
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toStartWith('username: ')
    }
  })

  test('401 without credentials, 403 for an API key without ssh-keys.create', async () => {
    const { cookie } = await session(t)
    expect((await t.request('POST', IMPORT, { body: { provider: 'github', username: 'octocat' } })).status).toBe(401)
    const { key } = await makeApiKey(t, cookie, { user_permissions: ['ssh-keys.read'] })
    expect((await t.request('POST', IMPORT, { token: key, body: { provider: 'github', username: 'octocat' } })).status).toBe(403)
  })
})

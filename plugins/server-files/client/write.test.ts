import { describe, expect, test } from 'bun:test'
import { filesKit, SPELLINGS } from './test-kit'
import { useTestApp } from 'hatchery/testing'
import { BACKGROUND_DELAY_MS } from '../../../tools/wings-double/server-files'

const t = useTestApp()
const k = filesKit(t)
const { files, seed, hider, tree } = k
const owner = () => ({ cookie: k.owner.cookie })
const text = (uuid: string, path: string) => {
  const entry = tree(uuid).get(path)
  return entry ? new TextDecoder().decode(entry.data) : undefined
}

describe('PUT /api/client/servers/{server}/files/rename', () => {
  test('renames; pairs touching a hidden path are dropped; logged with what was kept', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a.txt': 'a', 'b.txt': 'b', 'secrets/s': 's' })
    const sub = await hider(uuid)
    const res = await files(
      uuid,
      'PUT',
      'rename',
      { cookie: sub.cookie },
      {
        root: '/',
        files: [
          { from: 'a.txt', to: 'c.txt' },
          { from: 'b.txt', to: 'x/../secrets/b.txt' },
          { from: '/secrets/s', to: 'stolen' },
          { from: 'secrets\\s', to: 'stolen2' },
        ],
      },
    )
    expect([res.status, res.body]).toEqual([200, { renamed: 1 }])
    expect([text(uuid, 'c.txt'), text(uuid, 'b.txt'), text(uuid, 'secrets/s'), text(uuid, 'stolen')]).toEqual(['a', 'b', 's', undefined])
    expect(await k.events(uuid)).toContainEqual(['server:file.rename', { directory: '/', files: [{ from: 'a.txt', to: 'c.txt' }] }])
    const up = await files(uuid, 'PUT', 'rename', owner(), { root: '', files: [{ from: 'c.txt', to: '../../c.txt' }] })
    expect(up.status).toBe(400)
    expect((await files(uuid, 'PUT', 'rename', owner(), { root: '', files: [] })).status).toBe(400)
    await k.expectGuarded(uuid, [['PUT', '/files/rename', { root: '', files: [{ from: 'a', to: 'b' }] }, 'files.update']])
  })
})

describe('POST /api/client/servers/{server}/files/copy and copy-many', () => {
  test('copy answers the entry; Wings’ 404 and 409 pass through; hidden is 404; logged', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a.txt': 'a', 'secrets/s': 's' })
    const res = await files(uuid, 'POST', 'copy', owner(), { path: 'a.txt', destination: 'b.txt', foreground: true })
    expect(res.status).toBe(200)
    expect(res.body.entry).toMatchObject({ name: 'b.txt', file: true })
    expect(text(uuid, 'b.txt')).toBe('a')
    const clash = await files(uuid, 'POST', 'copy', owner(), { path: 'a.txt', destination: 'b.txt', foreground: true })
    expect([clash.status, clash.body]).toEqual([409, { errors: ['file already exists'] }])
    const missing = await files(uuid, 'POST', 'copy', owner(), { path: 'none.txt', foreground: true })
    expect([missing.status, missing.body]).toEqual([404, { errors: ['file not found'] }])
    expect(await k.events(uuid)).toContainEqual(['server:file.copy', { path: 'a.txt', name: 'b.txt' }])
    const sub = await hider(uuid)
    for (const path of SPELLINGS('s')) expect((await files(uuid, 'POST', 'copy', { cookie: sub.cookie }, { path })).status).toBe(404)
    for (const destination of ['secrets/a.txt', 'x/../secrets/a.txt', '/secrets/a.txt']) {
      const into = await files(uuid, 'POST', 'copy', { cookie: sub.cookie }, { path: 'a.txt', destination, foreground: true })
      expect([destination, into.status]).toEqual([destination, 404])
    }
    expect((await files(uuid, 'POST', 'copy', owner(), { path: 'a.txt', destination: '../a.txt' })).status).toBe(400)
    expect(text(uuid, 'secrets/a.txt')).toBeUndefined()
  })

  test('copy-many copies and drops hidden pairs; 10 000 entries is 400 at once; background is 202 and cancellable once', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a.txt': 'a', 'secrets/s': 's' })
    const sub = await hider(uuid)
    const res = await files(
      uuid,
      'POST',
      'copy-many',
      { cookie: sub.cookie },
      {
        root: '',
        files: [
          { from: 'a.txt', to: 'a2.txt' },
          { from: './secrets/s', to: 's2' },
        ],
        foreground: true,
      },
    )
    expect([res.status, res.body]).toEqual([200, { copied: 1, skipped: [] }])
    expect(text(uuid, 's2')).toBeUndefined()
    const started = Date.now()
    const huge = await files(uuid, 'POST', 'copy-many', owner(), {
      root: '',
      files: Array.from({ length: 10_000 }, (_, i) => ({ from: 'a.txt', to: `c${i}` })),
    })
    expect(huge.status).toBe(400)
    expect(Date.now() - started).toBeLessThan(3_000)
    const background = await files(uuid, 'POST', 'copy-many', owner(), { root: '', files: [{ from: 'a.txt', to: 'later.txt' }] })
    expect(background.status).toBe(202)
    expect(background.body).toEqual({ identifier: expect.any(String), skipped: [] })
    const cancel = await files(uuid, 'DELETE', `operations/${background.body.identifier}`, owner())
    expect([cancel.status, cancel.body]).toEqual([200, {}])
    expect(await k.events(uuid)).toContainEqual(['server:file.operation.cancel', { identifier: background.body.identifier }])
    expect((await files(uuid, 'DELETE', `operations/${background.body.identifier}`, owner())).status).toBe(404)
    expect((await files(uuid, 'DELETE', 'operations/not-a-uuid', owner())).status).toBe(400)
    await Bun.sleep(BACKGROUND_DELAY_MS + 100)
    expect(text(uuid, 'later.txt')).toBeUndefined()
    await k.expectGuarded(uuid, [
      ['POST', '/files/copy', { path: 'a' }, 'files.create'],
      ['POST', '/files/copy-many', { root: '', files: [{ from: 'a', to: 'b' }] }, 'files.create'],
      ['DELETE', `/files/operations/${background.body.identifier}`, undefined, 'files.update'],
    ])
  })
})

describe('POST …/files/delete, PUT …/files/chmod, POST …/files/create-directory, …/create-symlink', () => {
  test('delete and chmod drop hidden names; create-directory and create-symlink refuse hidden places', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a.txt': 'a', 'secrets/s': 's', 'd/x': 'x' })
    const sub = await hider(uuid)
    const gone = await files(uuid, 'POST', 'delete', { cookie: sub.cookie }, { root: 'd', files: ['x', '../secrets', '/secrets/s'] })
    expect([gone.status, gone.body]).toEqual([200, { deleted: 1 }])
    expect(text(uuid, 'secrets/s')).toBe('s')
    expect(await k.events(uuid)).toContainEqual(['server:file.delete', { directory: 'd', files: ['x'] }])
    const chmod = await files(
      uuid,
      'PUT',
      'chmod',
      { cookie: sub.cookie },
      {
        root: '',
        files: [
          { file: 'a.txt', mode: '600' },
          { file: 'secrets', mode: '777' },
        ],
      },
    )
    expect([chmod.status, chmod.body]).toEqual([200, { updated: 1 }])
    expect(tree(uuid).get('a.txt')!.mode).toBe(0o600)
    expect(tree(uuid).get('secrets')!.mode).toBe(0o755)
    const badMode = await files(uuid, 'PUT', 'chmod', owner(), { root: '', files: [{ file: 'a.txt', mode: '999' }] })
    expect(badMode.status).toBe(400)
    expect((await files(uuid, 'POST', 'create-directory', owner(), { root: '/', name: 'new/deep' })).status).toBe(200)
    expect(tree(uuid).get('new/deep')?.directory).toBe(true)
    for (const [root, name] of [
      ['secrets', 'x'],
      ['', 'secrets/x'],
      ['d', '../secrets/y'],
    ]) {
      const res = await files(uuid, 'POST', 'create-directory', { cookie: sub.cookie }, { root, name })
      expect([root, name, res.status, res.body]).toEqual([root, name, 404, { errors: ['root directory not found'] }])
    }
    expect((await files(uuid, 'POST', 'create-directory', owner(), { root: '', name: '../x' })).status).toBe(400)
    const link = await files(uuid, 'POST', 'create-symlink', owner(), { root: '', link: 'l', target: 'a.txt' })
    expect([link.status, link.body]).toEqual([200, {}])
    expect(tree(uuid).get('l')!.symlink).toBe(true)
    expect(await k.events(uuid)).toContainEqual(['server:file.create-symlink', { directory: '', link: 'l', target: 'a.txt' }])
    const toHidden = await files(uuid, 'POST', 'create-symlink', { cookie: sub.cookie }, { root: 'd', link: 'peek', target: '../secrets' })
    expect([toHidden.status, toHidden.body]).toEqual([404, { errors: ['target not found'] }])
    const atHidden = await files(uuid, 'POST', 'create-symlink', { cookie: sub.cookie }, { root: '', link: 'secrets/l', target: '/a.txt' })
    expect([atHidden.status, atHidden.body]).toEqual([404, { errors: ['destination not found'] }])
    const out = await files(uuid, 'POST', 'create-symlink', owner(), { root: '', link: 'out', target: '../../etc/passwd' })
    expect(out.status).toBe(400)
    await k.expectGuarded(uuid, [
      ['POST', '/files/delete', { root: '', files: ['a'] }, 'files.delete'],
      ['PUT', '/files/chmod', { root: '', files: [{ file: 'a', mode: '644' }] }, 'files.update'],
      ['POST', '/files/create-directory', { root: '', name: 'a' }, 'files.create'],
      ['POST', '/files/create-symlink', { root: '', link: 'a', target: 'b' }, 'files.create'],
    ])
  })
})

describe('POST …/files/compress and …/decompress', () => {
  test('a real tar.gz without the hidden files, extracted back; logged; hidden roots 404', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'server.properties': 'motd=x', 'secrets/s': 's' })
    const sub = await hider(uuid)
    const made = await files(
      uuid,
      'POST',
      'compress',
      { cookie: sub.cookie },
      { root: '', files: ['server.properties', 'secrets', './secrets/s'], name: 'b.tar.gz', foreground: true },
    )
    expect(made.status).toBe(200)
    expect(made.body.entry).toMatchObject({ name: 'b.tar.gz' })
    const inside = await new Bun.Archive(tree(uuid).get('b.tar.gz')!.data).files()
    expect([...inside.keys()]).toEqual(['server.properties'])
    expect(await k.events(uuid)).toContainEqual(['server:file.compress', { directory: '', name: 'b.tar.gz', files: ['server.properties'] }])
    expect((await files(uuid, 'POST', 'compress', { cookie: sub.cookie }, { root: '', files: ['secrets'] })).status).toBe(400)
    expect((await files(uuid, 'POST', 'compress', { cookie: sub.cookie }, { root: 'secrets', files: ['s'] })).status).toBe(404)
    expect((await files(uuid, 'POST', 'compress', owner(), { root: '', files: ['none'], foreground: true })).status).toBe(404)
    const notDir = await files(uuid, 'POST', 'compress', owner(), { root: 'server.properties', files: ['x'], foreground: true })
    expect([notDir.status, notDir.body]).toEqual([417, { errors: ['root is not a directory'] }])
    const dir = await files(uuid, 'POST', 'create-directory', owner(), { root: '', name: 'out' })
    expect(dir.status).toBe(200)
    const back = await files(uuid, 'POST', 'decompress', owner(), { root: 'out', file: '../b.tar.gz', foreground: true })
    expect([back.status, back.body]).toEqual([200, {}])
    expect(text(uuid, 'out/server.properties')).toBe('motd=x')
    expect(await k.events(uuid)).toContainEqual(['server:file.decompress', { directory: 'out', file: '../b.tar.gz' }])
    const hiddenFile = await files(uuid, 'POST', 'decompress', { cookie: sub.cookie }, { root: '', file: 'secrets/../secrets/s' })
    expect([hiddenFile.status, hiddenFile.body]).toEqual([404, { errors: ['file not found'] }])
    const bg = await files(uuid, 'POST', 'decompress', owner(), { root: 'out', file: '/b.tar.gz' })
    expect(bg.status).toBe(202)
    await k.expectGuarded(uuid, [
      ['POST', '/files/compress', { root: '', files: ['a'] }, 'files.archive'],
      ['POST', '/files/decompress', { root: '', file: 'a' }, 'files.archive'],
    ])
  })
})

describe('POST …/files/copy-remote', () => {
  test('copies to another server of the caller; both log; same server 417; another owner’s server 404', async () => {
    const [a, b] = [await k.server(), await k.server()]
    await seed(a, { 'cfg/a.yml': 'a: 1' })
    const res = await files(a, 'POST', 'copy-remote', owner(), {
      root: 'cfg',
      files: [{ from: 'a.yml', to: 'a.yml' }],
      destination: '/',
      destination_server: b,
      foreground: true,
    })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(text(b, 'a.yml')).toBe('a: 1')
    expect(await k.events(a)).toContainEqual([
      'server:file.copy-remote',
      { directory: 'cfg', files: [{ from: 'a.yml', to: 'a.yml' }], destination_server: b, destination_path: '/' },
    ])
    expect((await k.events(b)).map(([e]) => e)).toContain('server:file.copy-remote')
    const same = await files(a, 'POST', 'copy-remote', owner(), {
      root: '',
      files: [{ from: 'x', to: 'x' }],
      destination: '/',
      destination_server: a,
    })
    expect([same.status, same.body]).toEqual([417, { errors: ['cannot remote copy files to the same server'] }])
    const stranger = await files(a, 'POST', 'copy-remote', owner(), {
      root: '',
      files: [{ from: 'x', to: 'x' }],
      destination: '/',
      destination_server: '00000000',
    })
    expect([stranger.status, stranger.body]).toEqual([404, { errors: ['destination server not found'] }])
  })
})

describe('POST …/files/copy-remote (hidden paths)', () => {
  test('a subuser of both servers: hidden root, destination or file on either side is 404; the destination needs files.create', async () => {
    const [a, b] = [await k.server(), await k.server()]
    await seed(a, { 'secrets/s': 's', 'open/o': 'o' })
    const sub = await hider(a)
    const onB = (permissions: string[]) =>
      t.request('POST', `/api/client/servers/${b}/subusers`, {
        cookie: k.owner.cookie,
        body: { email: sub.email, permissions, ignored_files: ['private/'] },
      })
    expect((await onB(['files.read'])).status).toBe(200)
    const copy = (body: Record<string, unknown>) =>
      files(
        a,
        'POST',
        'copy-remote',
        { cookie: sub.cookie },
        { root: '', files: [{ from: 'open/o', to: 'o' }], destination: '/', destination_server: b, foreground: true, ...body },
      )
    const denied = await copy({})
    expect([denied.status, denied.body]).toEqual([403, { errors: ['you do not have permission to perform this action: files.create'] }])
    const updated = await t.request('PATCH', `/api/client/servers/${b}/subusers/${sub.uuid}`, {
      cookie: k.owner.cookie,
      body: { permissions: ['files.create'], ignored_files: ['private/'] },
    })
    expect(updated.status).toBe(200)
    expect((await copy({ root: './secrets', files: [{ from: 's', to: 's' }] })).body).toEqual({ errors: ['root directory not found'] })
    expect((await copy({ destination: 'x/../private' })).body).toEqual({ errors: ['destination directory not found'] })
    expect((await copy({ files: [{ from: 'open/../secrets/s', to: 's' }] })).body).toEqual({ errors: ['file not found'] })
    expect((await copy({ files: [{ from: 'open/o', to: 'private/o' }] })).body).toEqual({ errors: ['file not found'] })
    const ok = await copy({})
    expect([ok.status, ok.body]).toEqual([200, {}])
    expect(text(b, 'o')).toBe('o')
  })
})

describe('POST …/files/pull and …/pull/query', () => {
  test('refuses other schemes and private, loopback, link-local, metadata and CGNAT addresses before Wings is asked', async () => {
    const uuid = await k.server()
    const before = k.at.wings.requests.length
    for (const url of [
      'ftp://example.com/a',
      'file:///etc/passwd',
      'http://127.0.0.1/a',
      'http://localhost:8080/a',
      'http://10.1.2.3/a',
      'http://192.168.1.1/a',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/a',
      'http://[::1]/a',
      'http://[::ffff:127.0.0.1]/a',
      'http://[fd00:ec2::254]/a',
      'http://0.0.0.0/a',
      'https://user:pw@example.com/a',
      'not a url',
    ]) {
      const res = await files(uuid, 'POST', 'pull', owner(), { root: '', url })
      expect([url, res.status]).toEqual([url, 400])
      expect((await files(uuid, 'POST', 'pull/query', owner(), { url })).status).toBe(400)
    }
    expect(k.at.wings.requests.slice(before).some((r) => r.path.includes('/pull'))).toBe(false)
  })

  test('with private addresses allowed: Wings downloads the file; logged; the rate limit answers 429', async () => {
    const uuid = await k.server()
    const origin = Bun.serve({
      port: 0,
      fetch: () => new Response('jar bytes', { headers: { 'content-disposition': 'attachment; filename="mod.jar"' } }),
    })
    await t.kernel.settings.update({ 'outbound.allow_private_addresses': true })
    try {
      const url = `http://127.0.0.1:${origin.port}/mod.jar`
      const query = await files(uuid, 'POST', 'pull/query', owner(), { url })
      expect(query.body.query_result).toMatchObject({ file_name: 'mod.jar', file_size: 9 })
      const res = await files(uuid, 'POST', 'pull', owner(), { root: 'mods', url, foreground: true })
      expect(res.status).toBe(404)
      expect((await files(uuid, 'POST', 'create-directory', owner(), { root: '', name: 'mods' })).status).toBe(200)
      const ok = await files(uuid, 'POST', 'pull', owner(), { root: 'mods', url, foreground: true })
      expect([ok.status, ok.body]).toEqual([200, {}])
      expect(text(uuid, 'mods/mod.jar')).toBe('jar bytes')
      expect(await k.events(uuid)).toContainEqual(['server:file.pull', { directory: 'mods', url }])
      const sub = await hider(uuid)
      expect((await files(uuid, 'POST', 'pull', { cookie: sub.cookie }, { root: 'secrets', url })).status).toBe(404)
      const statuses: number[] = []
      for (let i = 0; i < 5; i++)
        statuses.push((await files(uuid, 'POST', 'pull', owner(), { root: 'mods', url, name: `m${i}.jar`, foreground: true })).status)
      expect(statuses).toContain(429)
    } finally {
      await t.kernel.settings.update({ 'outbound.allow_private_addresses': false })
      origin.stop(true)
    }
    await k.expectGuarded(uuid, [
      ['POST', '/files/pull', { root: '', url: 'https://example.com/a' }, 'files.create'],
      ['POST', '/files/pull/query', { url: 'https://example.com/a' }, 'files.create'],
      [
        'POST',
        '/files/copy-remote',
        { root: '', files: [{ from: 'a', to: 'b' }], destination: '/', destination_server: uuid },
        'files.read-content',
      ],
    ])
  })
})

import { describe, expect, test } from 'bun:test'
import { compactVerify } from 'jose'
import { expectModel, useTestApp } from 'hatchery/testing'
import { t as T } from 'elysia'
import { DirectoryEntry } from '../model'
import { filesKit, SPELLINGS } from './test-kit'

const t = useTestApp()
const k = filesKit(t)
const { files, seed, hider } = k
const owner = () => ({ cookie: k.owner.cookie })
const q = encodeURIComponent
/** The claims of a token whose signature checks with `key` (jose's jwtVerify refuses the wire's `nbf: null`). */
const jwtVerify = async (token: string, key: Uint8Array) => ({
  payload: JSON.parse(new TextDecoder().decode((await compactVerify(token, key)).payload)) as Record<string, any>,
})

describe('GET /api/client/servers/{server}/files/list', () => {
  test('directories first, sorted and paged by Wings; the page object; guarded', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'b.txt': 'bb', 'a.txt': 'aaaa', 'plugins/x.jar': 'x', 'c.txt': '' })
    const res = await files(uuid, 'GET', 'list?directory=/&sort=size_desc&per_page=2&page=1', owner())
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      is_filesystem_primary: true,
      is_filesystem_writable: true,
      entries: { total: 4, per_page: 2, page: 1 },
    })
    expect(res.body.entries.data.map((e: any) => e.name)).toEqual(['plugins', 'a.txt'])
    for (const e of res.body.entries.data) expectModel(DirectoryEntry, e)
    const second = await files(uuid, 'GET', 'list?sort=name_asc&per_page=2&page=2', owner())
    expect(second.body.entries.data.map((e: any) => e.name)).toEqual(['b.txt', 'c.txt'])
    await k.expectGuarded(uuid, [['GET', '/files/list', undefined, 'files.read']])
  })

  test('bad input: a path above the root and an unknown sort are 400; a missing directory is Wings’ 404', async () => {
    const uuid = await k.server()
    expect((await files(uuid, 'GET', `list?directory=${q('../etc')}`, owner())).status).toBe(400)
    expect((await files(uuid, 'GET', `list?directory=${q('a/../../x')}`, owner())).status).toBe(400)
    expect((await files(uuid, 'GET', 'list?sort=random', owner())).status).toBe(400)
    expect((await files(uuid, 'GET', 'list?per_page=101', owner())).status).toBe(400)
    const missing = await files(uuid, 'GET', 'list?directory=nope', owner())
    expect([missing.status, missing.body]).toEqual([404, { errors: ['path not found'] }])
  })

  test('a subuser never sees a hidden folder: not listed, and every spelling of it is 404', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'secrets/key.txt': 'k', 'a/secrets/deep.txt': 'd', 'open.txt': 'o' })
    const sub = await hider(uuid)
    const root = await files(uuid, 'GET', 'list', { cookie: sub.cookie })
    expect(root.body.entries.data.map((e: any) => e.name)).toEqual(['a', 'open.txt'])
    for (const dir of ['secrets', '/secrets', '//secrets', './secrets', 'a/../secrets', 'secrets/', 'a/secrets', 'open.txt/../secrets']) {
      const res = await files(uuid, 'GET', `list?directory=${q(dir)}`, { cookie: sub.cookie })
      expect([dir, res.status, res.body]).toEqual([dir, 404, { errors: ['directory not found'] }])
    }
    expect((await files(uuid, 'GET', 'list?directory=secrets', owner())).body.entries.total).toBe(1)
  })
})

describe('GET /api/client/servers/{server}/files/contents', () => {
  test('the raw bytes; logged; 413 over the view size; hidden is 404', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'server.properties': 'motd=hi\n', 'secrets/pw': 'p' })
    const res = await files(uuid, 'GET', 'contents?file=server.properties', owner())
    expect([res.status, res.body]).toEqual([200, 'motd=hi\n'])
    expect(await k.events(uuid)).toContainEqual(['server:file.read-content', { file: 'server.properties' }])
    const sub = await hider(uuid)
    for (const path of SPELLINGS('pw')) {
      const hidden = await files(uuid, 'GET', `contents?file=${q(path)}`, { cookie: sub.cookie })
      expect([path, hidden.status, hidden.body]).toEqual([path, 404, { errors: ['file not found'] }])
    }
    await t.kernel.settings.update({ 'server.max_file_manager_view_size': 3 })
    try {
      const big = await files(uuid, 'GET', 'contents?file=server.properties', owner())
      expect([big.status, big.body]).toEqual([413, { errors: ['file size exceeds limit'] }])
    } finally {
      await t.kernel.settings.update({ 'server.max_file_manager_view_size': 10485760 })
    }
    expect((await files(uuid, 'GET', 'contents?file=missing', owner())).status).toBe(404)
    await k.expectGuarded(uuid, [['GET', '/files/contents?file=a', undefined, 'files.read-content']])
  })
})

describe('POST /api/client/servers/{server}/files/write', () => {
  test('writes the body; logged; a body over the view size is 413 at once; hidden is 404; the root is 400', async () => {
    const uuid = await k.server()
    const res = await files(uuid, 'POST', `write?file=${q('/config//a/./b.yml')}`, owner(), 'x: 1')
    expect([res.status, res.body]).toEqual([200, {}])
    expect(new TextDecoder().decode(k.tree(uuid).get('config/a/b.yml')!.data)).toBe('x: 1')
    expect(await k.events(uuid)).toContainEqual(['server:file.write', { file: '/config//a/./b.yml', revision_id: null }])
    await t.kernel.settings.update({ 'server.max_file_manager_view_size': 8 })
    try {
      const started = Date.now()
      const big = await files(uuid, 'POST', 'write?file=big.bin', owner(), 'x'.repeat(9))
      expect([big.status, big.body]).toEqual([413, { errors: ['file size exceeds limit'] }])
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(k.tree(uuid).get('big.bin')).toBeUndefined()
    } finally {
      await t.kernel.settings.update({ 'server.max_file_manager_view_size': 10485760 })
    }
    const sub = await hider(uuid)
    for (const path of SPELLINGS('new.txt')) {
      const hidden = await files(uuid, 'POST', `write?file=${q(path)}`, { cookie: sub.cookie }, 'x')
      expect([path, hidden.status]).toEqual([path, 404])
    }
    expect(k.tree(uuid).get('secrets')).toBeUndefined()
    expect((await files(uuid, 'POST', 'write?file=/', owner(), 'x')).status).toBe(400)
    expect((await files(uuid, 'POST', `write?file=${q('../../etc/passwd')}`, owner(), 'x')).status).toBe(400)
    await k.expectGuarded(uuid, [['POST', '/files/write?file=a', 'x', 'files.create']])
  })
})

describe('GET /api/client/servers/{server}/files/fingerprint', () => {
  test('the checksum of the file; hidden or missing is 404; an unknown algorithm is 400', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a.txt': 'abc', 'secrets/b': 'b' })
    const res = await files(uuid, 'GET', 'fingerprint?file=a.txt&algorithm=sha256', owner())
    expect(res.body).toEqual({ fingerprint: new Bun.CryptoHasher('sha256').update('abc').digest('hex') })
    const sub = await hider(uuid)
    expect((await files(uuid, 'GET', `fingerprint?file=${q('x/../secrets/b')}&algorithm=md5`, { cookie: sub.cookie })).status).toBe(404)
    expect((await files(uuid, 'GET', 'fingerprint?file=none&algorithm=md5', owner())).status).toBe(404)
    expect((await files(uuid, 'GET', 'fingerprint?file=a.txt&algorithm=rot13', owner())).status).toBe(400)
  })
})

describe('GET /api/client/servers/{server}/files/download and /upload', () => {
  test('one-shot URLs signed with the node token; several files use /download/files; hidden is 404; logged', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'a/x.txt': 'x', 'secrets/y': 'y' })
    const key = new TextEncoder().encode(k.at.wings.config.token as string)
    const one = await files(uuid, 'GET', 'download?root=a&files=x.txt', owner())
    expect(one.status).toBe(200)
    const url = new URL(one.body.url)
    expect([url.origin, url.pathname, url.searchParams.get('archive_format')]).toEqual([k.at.wings.url, '/download/file', 'tar_gz'])
    const { payload } = await jwtVerify(url.searchParams.get('token')!, key)
    expect(payload).toMatchObject({
      scope: 'file-download',
      iss: 'panel',
      sub: null,
      aud: [],
      nbf: null,
      jti: k.owner.uuid,
      file_path: '/a/x.txt',
      server_uuid: uuid,
    })
    expect(payload.exp - payload.iat).toBe(900)
    expect(typeof payload.unique_id).toBe('string')
    const many = await files(uuid, 'GET', 'download?root=a&files=x.txt&files=../b&archive_format=zip', owner())
    const manyUrl = new URL(many.body.url)
    expect(manyUrl.pathname).toBe('/download/files')
    expect((await jwtVerify(manyUrl.searchParams.get('token')!, key)).payload).toMatchObject({
      file_path: '/a',
      file_paths: ['/a/x.txt', '/b'],
    })
    expect(await k.events(uuid)).toContainEqual(['server:file.download', { directory: 'a', files: ['x.txt'] }])
    const sub = await hider(uuid)
    for (const [root, file] of [
      ['', 'secrets'],
      ['secrets', 'y'],
      ['a', '../secrets/y'],
      ['', '/secrets/y'],
      ['a', '/secrets'],
    ]) {
      const res = await files(uuid, 'GET', `download?root=${q(root)}&files=${q(file)}`, { cookie: sub.cookie })
      expect([root, file, res.status]).toEqual([root, file, 404])
    }
    expect((await files(uuid, 'GET', 'download?root=a', owner())).status).toBe(400)
    const up = await files(uuid, 'GET', 'upload', { cookie: sub.cookie })
    const upUrl = new URL(up.body.url)
    expect(upUrl.pathname).toBe('/upload/file')
    expect((await jwtVerify(upUrl.searchParams.get('token')!, key)).payload).toMatchObject({
      scope: 'file-upload',
      server_uuid: uuid,
      user_uuid: sub.uuid,
      ignored_files: ['secrets/'],
    })
    await k.expectGuarded(uuid, [
      ['GET', '/files/download?files=a', undefined, 'files.read-content'],
      ['GET', '/files/upload', undefined, 'files.create'],
    ])
  })
})

describe('POST /api/client/servers/{server}/files/search and GET …/largest-directories', () => {
  test('results come from Wings; a subuser’s hidden globs are excluded; a hidden root is 404', async () => {
    const uuid = await k.server()
    await seed(uuid, { 'logs/latest.log': 'needle', 'secrets/needle.txt': 'needle', 'big/a.bin': 'x'.repeat(50) })
    const found = await files(uuid, 'POST', 'search', owner(), {
      root: '',
      content_filter: { query: 'needle', max_search_size: 1000, include_unmatched: false, case_insensitive: false },
    })
    expect(found.status).toBe(200)
    expect(found.body.entries.map((e: any) => e.name).sort()).toEqual(['logs/latest.log', 'secrets/needle.txt'])
    const sub = await hider(uuid)
    const theirs = await files(
      uuid,
      'POST',
      'search',
      { cookie: sub.cookie },
      { root: '/', path_filter: { include: ['*needle*'], exclude: [], case_insensitive: true } },
    )
    expect(theirs.body.entries).toEqual([])
    for (const root of ['secrets', './secrets', 'logs/../secrets'])
      expect((await files(uuid, 'POST', 'search', { cookie: sub.cookie }, { root })).status).toBe(404)
    expect((await files(uuid, 'POST', 'search', owner(), { root: '', size_filter: { min: -1, max: 2 } })).status).toBe(400)
    const largest = await files(uuid, 'GET', 'largest-directories', { cookie: sub.cookie })
    expect(largest.body.largest_directories.map((e: any) => e.name)).toEqual(['big', 'logs'])
    expect((await files(uuid, 'GET', 'largest-directories?directory=secrets', { cookie: sub.cookie })).status).toBe(404)
    expectModel(T.Object({ largest_directories: T.Array(DirectoryEntry) }), largest.body)
    await k.expectGuarded(uuid, [
      ['POST', '/files/search', { root: '' }, 'files.read'],
      ['GET', '/files/largest-directories', undefined, 'files.read'],
    ])
  })
})

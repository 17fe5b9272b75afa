import { beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  SETUP_TIMEOUT,
  adminCaller,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { StorageAsset } from './model'
import { currentStorage } from './service/storage'
import { file, upload } from './test-helpers'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
const root = () => join(t.config.dataDir, 'storage', 'assets')

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
  reader = await roleCaller(t, admin, ['assets.read'])
}, SETUP_TIMEOUT)

const list = (query = '', cookie = admin.cookie) => t.request('GET', `/api/admin/assets${query}`, { cookie })
const search = (body: unknown, cookie = admin.cookie) => t.request('POST', '/api/admin/assets/search', { cookie, body })
const remove = (names: unknown, cookie = admin.cookie) => t.request('POST', '/api/admin/assets/delete', { cookie, body: { names } })

test('every /api/admin route of assets answers 401 without credentials and 403 without its permission', async () => {
  const swept = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'assets',
    admin,
    bodies: { 'POST /api/admin/assets/search': { search: 'x' } },
  })
  expect(swept.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
    'GET /api/admin/assets',
    'POST /api/admin/assets/delete',
    'POST /api/admin/assets/search',
    'PUT /api/admin/assets',
  ])
})

describe('PUT /api/admin/assets', () => {
  test('stores several files of one request in the directory, answers them and logs asset:upload per file', async () => {
    const res = await upload(
      t,
      [file('logo.png', 'PNGDATA', 'image/png'), file('folder/Banner.svg', '<svg/>', 'image/svg+xml')],
      { cookie: admin.cookie },
      'images',
    )
    expect(res.status).toBe(200)
    expect(res.body.assets.map((a: any) => [a.name, a.url, a.size, a.is_directory])).toEqual([
      ['images/logo.png', 'http://localhost:8000/assets/images/logo.png', 7, false],
      ['images/Banner.svg', 'http://localhost:8000/assets/images/Banner.svg', 6, false],
    ])
    for (const a of res.body.assets) expectModel(StorageAsset, a)
    expect(readFileSync(join(root(), 'images', 'logo.png'), 'utf8')).toBe('PNGDATA')
    expect(readFileSync(join(root(), 'images', 'Banner.svg'), 'utf8')).toBe('<svg/>')
    const events = (await adminEvents(t, admin, 'asset:upload')).map((e) => e.data)
    expect(events).toEqual(
      expect.arrayContaining([
        { name: 'images/logo.png', size: 7 },
        { name: 'images/Banner.svg', size: 6 },
      ]),
    )
  })

  test('a file of the same name is replaced; the root is the default directory; names may hold spaces and unicode', async () => {
    expect((await upload(t, [file('logo.png', 'NEWER-PNG')], { cookie: admin.cookie }, 'images/')).status).toBe(200)
    expect(readFileSync(join(root(), 'images', 'logo.png'), 'utf8')).toBe('NEWER-PNG')
    const res = await upload(t, [file('my ïcon #1.txt', 'hi')], { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.assets[0]).toMatchObject({ name: 'my ïcon #1.txt', url: 'http://localhost:8000/assets/my%20%C3%AFcon%20%231.txt' })
  })

  test('400 for a bad file name, and nothing of the request is written', async () => {
    for (const name of [
      '..',
      '.',
      'dir/..',
      'a\\b.png',
      'C:\\Users\\x.png',
      'nul\u0000.png',
      'bell\u0007.png',
      'x'.repeat(256),
      '',
      'dir/',
    ]) {
      const res = await upload(t, [file('first-ok.png'), file(name)], { cookie: admin.cookie })
      expect(res.status, JSON.stringify(name)).toBe(400)
      expect(res.body.errors).toEqual(['invalid file name'])
    }
    expect(existsSync(join(root(), 'first-ok.png'))).toBe(false)
  })

  test('400 for a directory that climbs out, is absolute or malformed', async () => {
    for (const directory of ['..', '../../etc', 'a/../../b', '/etc', 'a//b', './a', 'a\\b', `${'d/'.repeat(17)}x`]) {
      const res = await upload(t, [file('x.png')], { cookie: admin.cookie }, directory)
      expect(res.status, directory).toBe(400)
      expect(res.body.errors).toEqual(['invalid directory path'])
    }
  })

  test('417 for a part without a file name; 400 for a body that is not multipart', async () => {
    const res = await upload(t, [{ field: 'note', data: 'plain field' }], { cookie: admin.cookie })
    expect(res.status).toBe(417)
    expect(res.body.errors).toEqual(['file name not found'])
    const json = await t.request('PUT', '/api/admin/assets', { cookie: admin.cookie, body: { files: [] } })
    expect(json.status).toBe(400)
  })

  test('409 when a directory is where the file would go, or a file where a directory must be', async () => {
    const dir = await upload(t, [file('images')], { cookie: admin.cookie })
    expect(dir.status).toBe(409)
    expect(dir.body.errors).toEqual(['images is not a file'])
    const under = await upload(t, [file('x.png')], { cookie: admin.cookie }, 'images/logo.png')
    expect(under.status).toBe(409)
    expect(under.body.errors).toEqual(['images/logo.png is not a directory'])
  })

  test("413 beyond assets.max_upload_size; bodies past the parsers' 2 MiB are taken", async () => {
    await t.kernel.settings.update({ 'assets.max_upload_size': 1000 })
    try {
      const res = await upload(t, [file('big.bin', new Uint8Array(2000))], { cookie: admin.cookie })
      expect(res.status).toBe(413)
      expect(res.body.errors).toEqual(['payload too large: the limit is 1000 bytes'])
      expect(existsSync(join(root(), 'big.bin'))).toBe(false)
    } finally {
      await t.kernel.settings.update({ 'assets.max_upload_size': 100 * 1024 * 1024 })
    }
    // Bodies past the 2 MiB of the parsers are fine here.
    const big = await upload(t, [file('big.bin', new Uint8Array(3 * 1024 * 1024))], { cookie: admin.cookie })
    expect(big.status).toBe(200)
    expect(big.body.assets[0].size).toBe(3 * 1024 * 1024)
  })

  test('401 without credentials, 403 without assets.upload', async () => {
    expect((await upload(t, [file('x.png')], {})).status).toBe(401)
    expect((await upload(t, [file('x.png')], { cookie: plain.cookie })).status).toBe(403)
    const denied = await upload(t, [file('x.png')], { cookie: reader.cookie })
    expect(denied.status).toBe(403)
    expect(denied.body.errors).toEqual(['you do not have permission to perform this action: assets.upload'])
    const key = await narrowedAdminKey(t, admin, ['assets.read', 'assets.delete'])
    expect((await upload(t, [file('x.png')], { token: key })).status).toBe(403)
    expect(existsSync(join(root(), 'x.png'))).toBe(false)
  })
})

describe('GET /api/admin/assets', () => {
  test('lists directories first, then files, by name, paginated; a missing directory is an empty page', async () => {
    const res = await list('?per_page=100', reader.cookie)
    expect(res.status).toBe(200)
    const names = res.body.assets.data.map((a: any) => a.name)
    expect(names).toEqual(['images', 'big.bin', 'my ïcon #1.txt'])
    const dir = res.body.assets.data[0]
    expectModel(StorageAsset, dir)
    expect(dir).toMatchObject({ is_directory: true, size: 0, url: 'http://localhost:8000/assets/images' })
    expect(Date.parse(dir.created)).toBe(0)
    const page = await list('?page=2&per_page=1')
    expect(page.body.assets).toMatchObject({ total: 3, per_page: 1, page: 2, data: [{ name: 'big.bin' }] })
    const past = await list('?page=9&per_page=1')
    expect(past.body.assets).toMatchObject({ total: 3, data: [] })
    const sub = await list('?directory=images')
    expect(sub.body.assets.data.map((a: any) => a.name)).toEqual(['images/Banner.svg', 'images/logo.png'])
    expect((await list('?directory=not/yet')).body.assets).toEqual({ total: 0, per_page: 10, page: 1, data: [] })
  })

  test('400 for a bad directory or page', async () => {
    for (const q of ['?directory=..', '?directory=%2Fetc', '?directory=a%5Cb', '?per_page=0', '?page=0']) {
      expect((await list(q)).status, q).toBe(400)
    }
    expect((await list('?directory=../..')).body.errors).toEqual(['invalid directory path'])
  })

  test('401 without credentials, 403 without assets.read', async () => {
    const key = await narrowedAdminKey(t, admin, ['assets.upload', 'assets.delete'])
    await expectGuarded(t, { method: 'GET', path: '/api/admin/assets' }, plain, [{ token: key }], 'assets.read')
  })
})

describe('POST /api/admin/assets/search', () => {
  test('finds files and directories at any depth by part of their name, ignoring case', async () => {
    const res = await search({ search: 'AGE' })
    expect(res.status).toBe(200)
    expect(res.body.assets.map((a: any) => a.name)).toEqual(['images'])
    const logo = await search({ search: 'LOGO', directory: 'images' })
    expect(logo.body.assets.map((a: any) => a.name)).toEqual(['images/logo.png'])
    for (const a of logo.body.assets) expectModel(StorageAsset, a)
    expect((await search({ search: 'i', per_page: 2 })).body.assets).toHaveLength(2)
    expect((await search({ search: 'nothing-like-it' })).body.assets).toEqual([])
  })

  test('400 for a blank search or a bad directory', async () => {
    expect((await search({ search: '' })).status).toBe(400)
    expect((await search({ search: '   ' })).status).toBe(400)
    const bad = await search({ search: 'x', directory: '../' })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(['invalid directory path'])
  })

  test('401 without credentials, 403 without assets.read', async () => {
    const key = await narrowedAdminKey(t, admin, ['assets.upload'])
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/assets/search', body: { search: 'x' } },
      plain,
      [{ token: key }],
      'assets.read',
    )
  })
})

describe('GET /assets/*', () => {
  test('serves a stored file with its type, nosniff and a sandboxing policy', async () => {
    const res = await t.handle(new Request('http://localhost/assets/images/Banner.svg'))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('<svg/>')
    expect(res.headers.get('content-type')).toStartWith('image/svg+xml')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toContain('sandbox')
    const encoded = await t.handle(new Request('http://localhost/assets/my%20%C3%AFcon%20%231.txt'))
    expect(await encoded.text()).toBe('hi')
    const since = await t.handle(
      new Request('http://localhost/assets/images/Banner.svg', { headers: { 'if-modified-since': res.headers.get('last-modified')! } }),
    )
    expect(since.status).toBe(304)
  })

  test('404 for a directory, a missing file, traversal, and links leaving the storage', async () => {
    const outside = join(t.config.dataDir, 'secret')
    mkdirSync(outside, { recursive: true })
    writeFileSync(join(outside, 'key.txt'), 'secret')
    symlinkSync(outside, join(root(), 'escape'))
    symlinkSync(join(outside, 'key.txt'), join(root(), 'key-link.txt'))
    for (const path of [
      '/assets/images',
      '/assets/images/',
      '/assets/nope.png',
      '/assets/..%2Fencryption.key',
      '/assets/%2E%2E/%2E%2E/etc/passwd',
      '/assets/escape/key.txt',
      '/assets/key-link.txt',
    ]) {
      const res = await t.handle(new Request(`http://localhost${path}`))
      expect(res.status, path).toBe(404)
    }
    // Nor can an upload write through the link.
    expect((await upload(t, [file('x.txt')], { cookie: admin.cookie }, 'escape')).status).toBe(409)
    expect(existsSync(join(outside, 'x.txt'))).toBe(false)
  })
})

describe('POST /api/admin/assets/delete', () => {
  test('deletes files, counts those that existed, drops emptied directories and logs assets:delete', async () => {
    const res = await remove(['images/logo.png', 'images/Banner.svg', 'images/none.png', 'images'])
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ deleted: 2 })
    expect(existsSync(join(root(), 'images'))).toBe(false)
    expect((await list('?per_page=100')).body.assets.data.map((a: any) => a.name)).not.toContain('images')
    const events = await adminEvents(t, admin, 'assets:delete')
    expect(events[0].data).toEqual({ names: ['images/logo.png', 'images/Banner.svg', 'images/none.png', 'images'] })
  })

  test('400 for any invalid name, and nothing is deleted', async () => {
    for (const bad of ['../encryption.key', '/big.bin', 'a//b', 'x\u0007', '']) {
      const res = await remove(['big.bin', bad])
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect(res.body.errors).toEqual(['invalid file name'])
    }
    expect(existsSync(join(root(), 'big.bin'))).toBe(true)
    expect((await t.request('POST', '/api/admin/assets/delete', { cookie: admin.cookie, body: { names: 'big.bin' } })).status).toBe(400)
  })

  test('401 without credentials, 403 without assets.delete', async () => {
    const key = await narrowedAdminKey(t, admin, ['assets.read', 'assets.upload'])
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/assets/delete', body: { names: ['big.bin'] } },
      plain,
      [{ token: key }, { cookie: reader.cookie }],
      'assets.delete',
    )
    expect(existsSync(join(root(), 'big.bin'))).toBe(true)
  })
})

test('the storage other plugins get (ctx.api(assets).storage()) is the one the routes use', async () => {
  const storage = await currentStorage(t.kernel.settings, t.config.dataDir)
  expect(storage.driver).toBe('filesystem')
  expect(await storage.write('assets/shared/from-api.txt', 'api')).toBe(3)
  expect((await list('?directory=shared')).body.assets.data.map((a: any) => a.name)).toEqual(['shared/from-api.txt'])
  expect(await (await storage.read('assets/shared/from-api.txt'))!.text()).toBe('api')
  expect(await storage.delete('assets/shared/from-api.txt')).toBe(true)
  expect(await storage.delete('assets/shared/from-api.txt')).toBe(false)
  expect(existsSync(join(root(), 'shared'))).toBe(false)
  await expect(storage.write('../escape.txt', 'x')).rejects.toThrow('invalid storage key')
  await expect(storage.write('.tmp/x', 'x')).rejects.toThrow('.tmp is reserved')
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SETUP_TIMEOUT, adminCaller, adminEvents, expectModel, prepareAdminTests, useTestApp, type AdminCaller } from 'hatchery/testing'
import { StorageAsset } from './model'
import { S3Storage, s3Endpoint } from './service/storage'
import { file, upload } from './test-helpers'

// s3rver, an S3 double in plain JavaScript, on a loopback port with a temporary directory.
const BUCKET = 'panel-assets'
const dir = mkdtempSync(join(tmpdir(), 'hatchery-s3-'))
let server: { close(): Promise<void> } | undefined
let endpoint = ''
let port = 0

const t = useTestApp()
let admin: AdminCaller
const driver = (overrides: Record<string, unknown> = {}) => ({
  type: 's3',
  public_url: 'https://cdn.example.com/files/',
  access_key: 'S3RVER',
  secret_key: 'S3RVER',
  bucket: BUCKET,
  region: 'us-east-1',
  endpoint,
  path_style: true,
  ...overrides,
})
const direct = () => {
  const { type: _type, ...settings } = driver()
  return new S3Storage(settings as ConstructorParameters<typeof S3Storage>[0])
}

beforeAll(async () => {
  const { default: S3rver } = await import('s3rver')
  // `serviceEndpoint`: `<bucket>.s3.localhost` is a virtual-hosted request (Bun resolves *.localhost to loopback).
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    serviceEndpoint: 'localhost',
    configureBuckets: [{ name: BUCKET }],
  })
  port = (await s3.run()).port
  server = s3
  endpoint = `http://127.0.0.1:${port}`
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  const res = await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { storage_driver: driver() } })
  expect(res.status).toBe(200)
}, SETUP_TIMEOUT)

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('assets in an S3 bucket', () => {
  test('the settings never show the S3 keys', async () => {
    const res = await t.request('GET', '/api/admin/settings', { cookie: admin.cookie })
    expect(res.body.settings.storage_driver).toMatchObject({ type: 's3', bucket: BUCKET, access_key: null, secret_key: null })
    expect(res.text).not.toContain('S3RVER')
  })

  test('PUT stores the files in the bucket under assets/, with their type, at public_url', async () => {
    const res = await upload(t, [file('logo.png', 'PNGDATA', 'image/png'), file('readme.txt', 'hello')], { cookie: admin.cookie }, 'brand')
    expect(res.status).toBe(200)
    expect(res.body.assets.map((a: any) => [a.name, a.url, a.size])).toEqual([
      ['brand/logo.png', 'https://cdn.example.com/files/assets/brand/logo.png', 7],
      ['brand/readme.txt', 'https://cdn.example.com/files/assets/brand/readme.txt', 5],
    ])
    const object = (await direct().read('assets/brand/logo.png'))!
    expect(await object.text()).toBe('PNGDATA')
    expect((await direct().stat('assets/brand/logo.png'))?.size).toBe(7)
    expect((await adminEvents(t, admin, 'asset:upload')).map((e) => e.data)).toEqual(
      expect.arrayContaining([{ name: 'brand/logo.png', size: 7 }]),
    )
    // Replacing keeps one object.
    expect((await upload(t, [file('logo.png', 'NEW')], { cookie: admin.cookie }, 'brand')).status).toBe(200)
    expect(await (await direct().read('assets/brand/logo.png'))!.text()).toBe('NEW')
    await upload(t, [file('root.css', 'a{}', 'text/css')], { cookie: admin.cookie })
  })

  test('a file past the S3 part size is stored whole', async () => {
    const big = new Uint8Array(12 * 1024 * 1024).map((_, i) => i % 251)
    const res = await upload(t, [file('big.bin', big)], { cookie: admin.cookie }, 'large')
    expect(res.status).toBe(200)
    expect(res.body.assets[0].size).toBe(big.length)
    expect(new Uint8Array(await (await direct().read('assets/large/big.bin'))!.arrayBuffer())).toEqual(big)
    expect(
      (await t.request('POST', '/api/admin/assets/delete', { cookie: admin.cookie, body: { names: ['large/big.bin'] } })).body,
    ).toEqual({ deleted: 1 })
  })

  test('GET lists prefixes as directories, then objects; a missing directory is empty', async () => {
    const res = await t.request('GET', '/api/admin/assets', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.assets.total).toBe(2)
    expect(res.body.assets.data.map((a: any) => [a.name, a.is_directory])).toEqual([
      ['brand', true],
      ['root.css', false],
    ])
    for (const a of res.body.assets.data) expectModel(StorageAsset, a)
    const sub = await t.request('GET', '/api/admin/assets?directory=brand&per_page=1&page=2', { cookie: admin.cookie })
    expect(sub.body.assets).toMatchObject({ total: 2, page: 2, data: [{ name: 'brand/readme.txt', size: 5, is_directory: false }] })
    expect((await t.request('GET', '/api/admin/assets?directory=none', { cookie: admin.cookie })).body.assets.total).toBe(0)
  })

  test('search walks the bucket beneath the directory', async () => {
    const res = await t.request('POST', '/api/admin/assets/search', { cookie: admin.cookie, body: { search: 'O' } })
    expect(res.body.assets.map((a: any) => a.name)).toEqual(['brand/logo.png', 'root.css'])
    const dirs = await t.request('POST', '/api/admin/assets/search', { cookie: admin.cookie, body: { search: 'bra' } })
    expect(dirs.body.assets.map((a: any) => [a.name, a.is_directory])).toEqual([['brand', true]])
  })

  test('bad names are refused before the bucket is touched', async () => {
    expect((await upload(t, [file('..')], { cookie: admin.cookie }, 'brand')).status).toBe(400)
    expect((await upload(t, [file('x')], { cookie: admin.cookie }, '../brand')).status).toBe(400)
  })

  test('GET /assets/* does not serve S3 assets (the bucket does)', async () => {
    expect((await t.handle(new Request('http://localhost/assets/root.css'))).status).toBe(404)
  })

  test('delete removes objects and counts only those that existed', async () => {
    const res = await t.request('POST', '/api/admin/assets/delete', {
      cookie: admin.cookie,
      body: { names: ['brand/logo.png', 'brand/missing.png'] },
    })
    expect(res.body).toEqual({ deleted: 1 })
    expect(await direct().stat('assets/brand/logo.png')).toBeNull()
  })

  test('a bucket that refuses the keys or does not exist is 502 naming the S3 error, never the secrets', async () => {
    await t.request('PUT', '/api/admin/settings', {
      cookie: admin.cookie,
      body: { storage_driver: driver({ access_key: 'WRONG-KEY-ID', secret_key: 'wrong' }) },
    })
    const denied = await t.request('GET', '/api/admin/assets', { cookie: admin.cookie })
    expect(denied.status).toBe(502)
    expect(denied.body.errors).toEqual(['storage error: InvalidAccessKeyId'])
    await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { storage_driver: driver({ bucket: 'no-such-bucket' }) } })
    const missing = await upload(t, [file('x.txt')], { cookie: admin.cookie })
    expect(missing.status).toBe(502)
    expect(missing.body.errors).toEqual(['storage error: NoSuchBucket'])
    await t.request('PUT', '/api/admin/settings', {
      cookie: admin.cookie,
      body: { storage_driver: driver({ endpoint: 'http://127.0.0.1:9' }) },
    })
    expect((await t.request('GET', '/api/admin/assets', { cookie: admin.cookie })).status).toBe(502)
    await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { storage_driver: driver() } })
  })

  test('virtual-hosted style (path_style false) puts the bucket in the host name', async () => {
    expect(s3Endpoint({ endpoint: 'https://s3.amazonaws.com', bucket: 'b', path_style: false })).toBe('https://b.s3.amazonaws.com')
    expect(s3Endpoint({ endpoint: 'http://127.0.0.1:9000', bucket: 'b', path_style: true })).toBe('http://127.0.0.1:9000')
    await t.request('PUT', '/api/admin/settings', {
      cookie: admin.cookie,
      body: { storage_driver: driver({ endpoint: `http://s3.localhost:${port}`, path_style: false }) },
    })
    const res = await upload(t, [file('vhost.txt', 'virtual')], { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await (await direct().read('assets/vhost.txt'))!.text()).toBe('virtual')
    await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { storage_driver: driver() } })
  })
})

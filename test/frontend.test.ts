import { afterAll, describe, expect, test } from 'bun:test'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { decode, useTestApp } from 'hatchery/testing'
import { ConfigError, findFrontendDir, frontendCandidates, loadConfig } from '../src/config'
import { IMMUTABLE, REVALIDATE, pathSegments } from '../src/kernel/frontend'

// The fixture build is copied so the test can add what a repository should not hold: a dot-file,
// links leading out of the build, a precompressed file. FRONTEND_DIR is a `current` link to a
// release folder, as deployments switch builds.
const deploy = mkdtempSync(join(tmpdir(), 'hatchery-frontend-'))
const release1 = join(deploy, 'release-1')
const build = join(deploy, 'current')
const outside = mkdtempSync(join(tmpdir(), 'hatchery-outside-'))
cpSync(join(import.meta.dir, 'fixtures/frontend'), release1, { recursive: true })
symlinkSync(release1, build)
writeFileSync(join(outside, 'secret.txt'), 'top secret')
symlinkSync(join(outside, 'secret.txt'), join(build, 'leak.txt'))
symlinkSync(outside, join(build, 'assets', 'out'))
writeFileSync(join(build, '.env'), 'SECRET=top secret')
const bigJs = `export const data = ${JSON.stringify('hatchery '.repeat(500))}\n`
writeFileSync(join(build, 'assets', 'chunk-Zk3LmQ9x.js'), bigJs)
writeFileSync(join(build, 'assets', 'chunk-Zk3LmQ9x.js.gz'), Bun.gzipSync(Buffer.from(bigJs)))
afterAll(() => {
  rmSync(deploy, { recursive: true, force: true })
  rmSync(outside, { recursive: true, force: true })
})

const t = useTestApp({ env: { FRONTEND_DIR: build } })
const bare = useTestApp()

const PACKAGE_JSON = readFileSync(join(import.meta.dir, '../package.json'), 'utf8')
const HOSTILE_NAME = `<script>alert("x")</script> & 'Co'`

function get(app: typeof t, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return app.handle(new Request(`http://localhost${path}`, { method, headers }))
}

describe('FRONTEND_DIR', () => {
  test('names the build folder; a folder without index.html or a file stops boot', () => {
    expect(loadConfig({ FRONTEND_DIR: build }).frontendDir).toBe(resolve(build))
    expect(() => loadConfig({ FRONTEND_DIR: join(build, 'assets') })).toThrow(ConfigError)
    expect(() => loadConfig({ FRONTEND_DIR: join(build, 'icon.svg') })).toThrow(/not a directory/)
    expect(() => loadConfig({ FRONTEND_DIR: join(build, 'missing') })).toThrow(/FRONTEND_DIR/)
  })

  test('unset: the first candidate holding an index.html; from source only ./frontend is a candidate', () => {
    expect(findFrontendDir([join(build, 'assets'), build])).toBe(build)
    expect(findFrontendDir([join(build, 'assets')])).toBeUndefined()
    expect(frontendCandidates()).toEqual([resolve('frontend')])
  })

  test('pathSegments refuses traversal, encoded slashes, backslashes, NUL and bad escapes', () => {
    expect(pathSegments('/assets/index-abc123.js')).toEqual(['assets', 'index-abc123.js'])
    expect(pathSegments('/server/abc/')).toBe('none')
    expect(pathSegments('/.env')).toBe('none')
    for (const p of ['/..%2f..%2fetc/passwd', '/a/%2e%2e/b', '/a%5cb', '/a%00b', '/%ff', '/a%0ab', '/assets/..'])
      expect(pathSegments(p), p).toBeNull()
  })
})

describe('GET /assets/<hashed build file>', () => {
  test('serves it with its type, an immutable cache policy, nosniff and validators', async () => {
    const res = await get(t, '/assets/index-abc123.js')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(readFileSync(join(build, 'assets/index-abc123.js'), 'utf8'))
    expect(res.headers.get('content-type')).toStartWith('text/javascript')
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('etag')).toMatch(/^W\/".+"$/)
    expect(res.headers.get('last-modified')).toBeTruthy()
    const css = await get(t, '/assets/index.Bc9xYz_1.css')
    expect([css.status, css.headers.get('content-type'), css.headers.get('cache-control')]).toEqual([
      200,
      'text/css;charset=utf-8',
      IMMUTABLE,
    ])
  })

  test('304 on revalidation by ETag or date; 200 for a stale ETag', async () => {
    const first = await get(t, '/assets/index-abc123.js')
    const etag = first.headers.get('etag')!
    const byTag = await get(t, '/assets/index-abc123.js', { 'if-none-match': etag })
    expect(byTag.status).toBe(304)
    expect(await byTag.text()).toBe('')
    expect(byTag.headers.get('etag')).toBe(etag)
    expect(byTag.headers.get('cache-control')).toBe(IMMUTABLE)
    expect((await get(t, '/assets/index-abc123.js', { 'if-none-match': `"old", ${etag}` })).status).toBe(304)
    expect((await get(t, '/assets/index-abc123.js', { 'if-modified-since': first.headers.get('last-modified')! })).status).toBe(304)
    expect((await get(t, '/assets/index-abc123.js', { 'if-none-match': '"old"' })).status).toBe(200)
    expect((await get(t, '/assets/index-abc123.js', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200)
  })

  test('HEAD answers the headers without the body', async () => {
    const res = await get(t, '/assets/index-abc123.js', {}, 'HEAD')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    expect(res.headers.get('content-type')).toStartWith('text/javascript')
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE)
  })

  test('a precompressed .gz beside the file is sent to clients that accept gzip', async () => {
    const gz = await get(t, '/assets/chunk-Zk3LmQ9x.js', { 'accept-encoding': 'gzip, br' })
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(gz.headers.get('content-type')).toStartWith('text/javascript')
    expect(gz.headers.get('vary')).toContain('Accept-Encoding')
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toBe(bigJs)
    const plain = await get(t, '/assets/chunk-Zk3LmQ9x.js')
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe(bigJs)
    expect(plain.headers.get('etag')).not.toBe(gz.headers.get('etag'))
  })

  test("the build wins over an uploaded asset of the same name; other names stay the assets plugin's", async () => {
    const storage = join(t.config.dataDir, 'storage', 'assets')
    mkdirSync(storage, { recursive: true })
    writeFileSync(join(storage, 'index-abc123.js'), 'uploaded')
    writeFileSync(join(storage, 'logo.png'), 'PNGDATA')
    expect(await (await get(t, '/assets/index-abc123.js')).text()).not.toBe('uploaded')
    const uploaded = await get(t, '/assets/logo.png')
    expect(uploaded.status).toBe(200)
    expect(await uploaded.text()).toBe('PNGDATA')
    expect(uploaded.headers.get('content-security-policy')).toContain('sandbox')
    const missing = await get(t, '/assets/missing-abc123.js')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ errors: ['file not found'] })
  })
})

describe('GET other build files', () => {
  test('served with their type and a revalidate-first cache policy', async () => {
    const svg = await get(t, '/icon.svg')
    expect([svg.status, svg.headers.get('content-type'), svg.headers.get('cache-control')]).toEqual([200, 'image/svg+xml', REVALIDATE])
    const manifest = await get(t, '/site.webmanifest')
    expect([manifest.status, manifest.headers.get('content-type')]).toEqual([200, 'application/manifest+json'])
    expect((await get(t, '/icon.svg', { 'if-none-match': svg.headers.get('etag')! })).status).toBe(304)
  })
})

describe('GET <any other path>: index.html', () => {
  test('the single-page fallback fills the placeholders from the settings, HTML-escaped', async () => {
    await t.kernel.settings.update({ 'app.name': HOSTILE_NAME, 'app.url': 'https://panel.example.com' })
    try {
      const res = await get(t, '/server/abc/files', { accept: 'text/html' })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('cache-control')).toBe('no-cache')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self' blob:")
      const html = await res.text()
      expect(html).toContain('<title>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;Co&#39;</title>')
      expect(html).not.toContain('<script>alert')
      expect(html).toContain('<meta property="og:url" content="https://panel.example.com"/>')
      expect(html).toContain('<meta property="og:image" content="https://panel.example.com/icon.svg"/>')
      // Only scalar app.* settings: an object setting, an unknown key and a null read empty.
      expect(html).toContain('<meta name="x-secret" content="||"/>')
      expect(html).not.toContain('{{')
      for (const path of ['/', '/index.html', '/server/abc/', '/.env', '/leak.txt']) {
        const other = await get(t, path)
        expect(other.status, path).toBe(200)
        expect(await other.text(), path).toBe(html)
      }
    } finally {
      await t.kernel.settings.reset(['app.name', 'app.url'])
    }
  })

  test('revalidates by ETag until the settings change', async () => {
    const first = await get(t, '/account')
    const etag = first.headers.get('etag')!
    expect((await get(t, '/account', { 'if-none-match': etag })).status).toBe(304)
    await t.kernel.settings.update({ 'app.name': 'Renamed' })
    try {
      const after = await get(t, '/account', { 'if-none-match': etag })
      expect(after.status).toBe(200)
      expect(await after.text()).toContain('<title>Renamed</title>')
    } finally {
      await t.kernel.settings.reset(['app.name'])
    }
  })

  test('a build switched under FRONTEND_DIR (a release link) is served at once; one without index.html gets the landing page', async () => {
    const release2 = join(deploy, 'release-2')
    mkdirSync(join(release2, 'assets'), { recursive: true })
    writeFileSync(join(release2, 'index.html'), '<title>release 2 of {{ settings.app.name }}</title>')
    writeFileSync(join(release2, 'assets', 'index-def456.js'), 'release 2')
    const release3 = join(deploy, 'release-3')
    mkdirSync(release3)
    const switchTo = (target: string) => {
      rmSync(build)
      symlinkSync(target, build)
    }
    try {
      switchTo(release2)
      expect(await (await get(t, '/server/abc')).text()).toBe('<title>release 2 of Hatchery</title>')
      expect(await (await get(t, '/assets/index-def456.js')).text()).toBe('release 2')
      expect((await get(t, '/icon.svg')).headers.get('content-type')).toBe('text/html; charset=utf-8')
      switchTo(release3)
      const landing = await get(t, '/server/abc')
      expect(landing.status).toBe(200)
      expect(await landing.text()).toContain('href="/openapi.json"')
    } finally {
      switchTo(release1)
    }
    expect((await get(t, '/icon.svg')).headers.get('content-type')).toBe('image/svg+xml')
  })

  test('HEAD answers the headers without the body', async () => {
    const res = await get(t, '/server/abc', {}, 'HEAD')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toBe('')
  })
})

describe('the API is never shadowed', () => {
  test('unknown /api paths keep the negotiated 404, and 405 where another method exists', async () => {
    for (const path of ['/api/nope', '/api/client/nope', '/api/admin/nope/deeper']) {
      const res = await t.request('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.body).toEqual({ errors: ['route not found'] })
    }
    const packed = await t.request('GET', '/api/nope', { as: 'msgpack' })
    expect([packed.status, packed.headers.get('content-type'), packed.body]).toEqual([
      404,
      'application/msgpack',
      { errors: ['route not found'] },
    ])
    const post = t.routes
      .all()
      .find((r) => r.method === 'POST' && !t.routes.allowedMethods(r.path.replace(/:[^/]+/g, 'x')).includes('GET'))!
    const wrong = await t.request('GET', post.path.replace(/:[^/]+/g, 'x'))
    expect(wrong.status).toBe(405)
  })

  test('the API reference, /openapi.json, API routes and the avatars route answer as before', async () => {
    const docs = await get(t, '/api')
    expect(await docs.text()).toContain('swagger-ui')
    const openapi = await t.request('GET', '/openapi.json')
    expect(openapi.status).toBe(200)
    expect(Object.keys(openapi.body.paths)).not.toContain('/*')
    expect((await t.request('GET', '/api/client/account')).status).toBe(401)
    expect((await t.request('GET', '/api/settings')).status).toBe(200)
    const avatar = await t.request('GET', '/avatars/nope')
    expect([avatar.status, avatar.body]).toEqual([404, { errors: ['route not found'] }])
  })

  test('other methods on web paths are not served', async () => {
    expect((await t.request('POST', '/server/abc', { body: {} })).status).toBe(404)
    // The registry knows the assets plugin's GET /assets/*: 405 as without a frontend.
    expect((await t.request('DELETE', '/assets/index-abc123.js')).status).toBe(405)
  })
})

describe('path safety', () => {
  // Under /assets/ the build serves plain names only and leaves the rest to the assets plugin (404).
  test('traversal, encoded slashes, backslashes, NUL and bad escapes are refused and read nothing outside the build', async () => {
    const cases: [string, number][] = [
      ['/..%2f..%2fetc/passwd', 400],
      ['/..%2F..%2Fpackage.json', 400],
      ['/assets/..%2f..%2fpackage.json', 404],
      ['/assets/..%2f..%2f..%2f..%2fetc/passwd', 404],
      ['/a%00b', 400],
      ['/assets/index-abc123.js%00.png', 404],
      ['/x%5c..%5c..%5cpackage.json', 400],
      ['/%ff', 400],
      ['/assets/out/secret.txt', 404],
    ]
    for (const [path, status] of cases) {
      const res = await get(t, path)
      const text = await res.text()
      expect(res.status, path).toBe(status)
      expect(text, path).not.toContain('top secret')
      expect(text, path).not.toContain('root:')
      expect(text, path).not.toContain(PACKAGE_JSON.slice(0, 40))
    }
    // Dot segments the URL parser resolves stay inside the build: the page, not the project's package.json.
    const dotted = await get(t, '/%2e%2e/%2e%2e/package.json')
    expect(dotted.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await dotted.text()).not.toContain(PACKAGE_JSON.slice(0, 40))
  })

  test("a 400 is the kernel's error body", async () => {
    const res = await t.request('GET', '/..%2f..%2fetc/passwd')
    expect(res.body).toEqual({ errors: ['invalid path'] })
  })
})

describe('without a frontend', () => {
  test('GET / is a landing page naming the panel (escaped) and linking the API reference', async () => {
    await bare.kernel.settings.update({ 'app.name': HOSTILE_NAME })
    try {
      const res = await get(bare, '/')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const html = await res.text()
      expect(html).toContain('<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;Co&#39;</h1>')
      expect(html).not.toContain('<script>')
      expect(html).toContain('href="/api"')
      expect(html).toContain('href="/openapi.json"')
      const head = await get(bare, '/', {}, 'HEAD')
      expect([head.status, await head.text()]).toEqual([200, ''])
    } finally {
      await bare.kernel.settings.reset(['app.name'])
    }
  })

  test('other paths keep their 404', async () => {
    for (const path of ['/server/abc/files', '/assets/index-abc123.js', '/index.html', '/api/nope']) {
      const res = await bare.request('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.body, path).toEqual({ errors: [path.startsWith('/assets/') ? 'file not found' : 'route not found'] })
    }
    const { body } = await decode(await get(bare, '/server/abc', { accept: 'application/msgpack' }))
    expect(body).toEqual({ errors: ['route not found'] })
  })
})

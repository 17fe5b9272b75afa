import { describe, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia } from 'elysia'
import { sql } from 'drizzle-orm'
import { definePlugin, requestMeta } from '../src/kernel'
import { PluginError, discoverPlugins } from '../src/kernel/loader'
import { bundledPlugins, inlinePlugin, login, makeUser, runCli, testApp, useTestApp } from 'hatchery/testing'
import { FIXTURE_PLUGINS, withFixtures } from './helpers/plugins'
import { orderPlugins } from '../src/kernel/loader'
import { roles } from '../plugins/users/tables'

const probe = definePlugin({
  name: 'probe',
  version: '1.0.0',
  routes: {
    public: () => new Elysia().get('/probe/ip', ({ request }) => ({ ip: requestMeta(request).ip })),
    // No .use(ctx.guard), no options at all: the namespace still authenticates.
    client: () =>
      new Elysia().onBeforeHandle(({ set }) => void (set.headers['x-probe'] = 'local')).get('/probe/bare', () => ({ reached: true })),
  },
})

const neighbour = definePlugin({
  name: 'neighbour',
  version: '1.0.0',
  routes: { client: (ctx) => new Elysia().use(ctx.guard).get('/neighbour', () => ({ ok: true })) },
})

async function role(t: Awaited<ReturnType<typeof testApp>>, admin_permissions: string[]) {
  const [row] = await t.kernel.database.db
    .insert(roles)
    .values({ name: `role-${Math.random().toString(36).slice(2)}`, admin_permissions })
    .returning()
  return row.uuid
}

describe('the fixture plugin (PLUGINS_DIR) loads with no change to src/', () => {
  const t = useTestApp(async () => ({ plugins: await withFixtures(probe, neighbour) }))

  test('its migration is recorded under its own name', async () => {
    const rows = await t.kernel.database.query<{ name: string }>(sql`select name from hatchery_migrations where owner = 'greeter'`)
    expect(rows.map((r) => r.name)).toEqual(['0000_greetings.sql'])
  })

  test('a client route that declares nothing cannot be reached without credentials', async () => {
    const res = await t.request('GET', '/api/client/greetings')
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['missing authorization'] })
    expect((await t.request('GET', '/api/client/probe/bare')).status).toBe(401)
  })

  test('a route declared public inside the client namespace needs none, and reads its setting', async () => {
    const res = await t.request('GET', '/api/client/greetings/hello')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ message: 'Hello, world!' })
    await t.kernel.settings.update({ 'greeter.salutation': 'Howdy' })
    expect((await t.request('GET', '/api/client/greetings/hello')).body).toEqual({ message: 'Howdy, world!' })
    await t.kernel.settings.update({ 'greeter.salutation': 'Hello' })
  })

  test('its permission groups join the catalogs', async () => {
    const cookie = await login(t, await makeUser(t))
    const res = await t.request('GET', '/api/client/permissions', { cookie })
    expect(res.body.admin_permissions.greetings).toEqual({
      description: 'Manage greetings',
      permissions: { read: 'See all greetings', reset: 'Delete all greetings' },
    })
    expect(res.body.user_permissions.greetings.permissions).toEqual({ create: 'Create greetings' })
    expect(Object.keys(res.body.admin_permissions)[0]).toBe('stats')
  })

  test('its admin route: 403 for a plain user, its permission for a role user, 200 for an admin', async () => {
    const plain = await login(t, await makeUser(t))
    expect((await t.request('GET', '/api/admin/greetings/count', { cookie: plain })).status).toBe(403)
    const other = await login(t, await makeUser(t, { role_uuid: await role(t, ['users.read']) }))
    const denied = await t.request('GET', '/api/admin/greetings/count', { cookie: other })
    expect(denied.status).toBe(403)
    expect(denied.body.errors).toEqual(['you do not have permission to perform this action: greetings.read'])
    const reader = await login(t, await makeUser(t, { role_uuid: await role(t, ['greetings.read']) }))
    expect((await t.request('GET', '/api/admin/greetings/count', { cookie: reader })).status).toBe(200)
    const twoNeeded = await t.request('DELETE', '/api/admin/greetings', { cookie: reader })
    expect(twoNeeded.status).toBe(403)
    expect(twoNeeded.body.errors[0]).toEndWith('greetings.reset')
    const admin = await login(t, await makeUser(t, { admin: true }))
    expect((await t.request('GET', '/api/admin/greetings/count', { cookie: admin })).body).toEqual({ count: 0 })
  })

  test('its rate-limit bucket is a setting with its default', async () => {
    expect(await t.kernel.settings.get('ratelimits.greeter_create')).toEqual({ hits: 3, window_seconds: 60 })
    const user = await makeUser(t)
    const cookie = await login(t, user)
    for (let i = 0; i < 3; i++)
      expect((await t.request('POST', '/api/client/greetings', { cookie, body: { name: `rl-${i}` } })).status).toBe(200)
    const limited = await t.request('POST', '/api/client/greetings', { cookie, body: { name: 'rl-3' } })
    expect(limited.status).toBe(429)
  })

  test('its CLI command runs through panel', async () => {
    const greeted = await runCli(t, ['greeter', 'greet', '--name', 'from-cli', '--json'])
    expect(greeted.code).toBe(0)
    expect(JSON.parse(greeted.stdout)).toMatchObject({ name: 'from-cli' })
    const listed = await runCli(t, ['plugins', 'list', '--json'])
    expect(JSON.parse(listed.stdout).find((p: any) => p.name === 'greeter')).toMatchObject({ external: true, version: '0.1.0' })
  })

  test('its job is registered and runs', async () => {
    expect(t.kernel.jobs.names()).toContain('greeter:tick')
    await t.kernel.jobs.runNow('greeter:tick')
    const [{ n }] = await t.kernel.database.query<{ n: number }>(sql`select count(*)::int as n from greeter_job_runs`)
    expect(n).toBe(1)
  })

  test('its routes are in /openapi.json with the three media types and the error schema', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body
    expect(doc.openapi).toBe('3.1.0')
    const post = doc.paths['/api/client/greetings'].post
    expect(Object.keys(post.requestBody.content)).toEqual(['application/json', 'application/msgpack', 'text/xml'])
    expect(post.requestBody.content['application/msgpack'].schema.properties.name).toMatchObject({ type: 'string', minLength: 2 })
    expect(post['x-permission']).toEqual(['user:greetings.create'])
    expect(post.responses['401'].content['text/xml'].schema).toEqual({ $ref: '#/components/schemas/Error' })
    expect(doc.components.schemas.Error.properties.errors.type).toBe('array')
    expect(doc.paths['/api/admin/greetings/count'].get['x-permission']).toEqual(['admin:greetings.read'])
    expect(doc.paths['/api/client/greetings/hello'].get.security).toEqual([])
    // Numbers are documented as numbers, not as Elysia's internal string-or-number coercion.
    expect(
      doc.paths['/api/client/greetings'].get.responses['200'].content['application/json'].schema.properties.greetings.properties.total,
    ).toEqual({ type: 'integer' })
    expect(JSON.stringify(doc).match(/"format":"integer"/g)).toBeNull()
    // Dates are RFC 3339 strings, also in schemas documented without runtime checks.
    expect(doc.paths['/api/client/account'].get.responses['200'].content['text/xml'].schema.properties.user.properties.created).toEqual({
      type: 'string',
      format: 'date-time',
    })
    for (const info of t.routes.all()) {
      if (info.path === '/openapi.json' || info.path.startsWith('/api/docs') || info.path === '/api') continue
      const path = info.path.replace(/:([^/]+)/g, '{$1}')
      expect(doc.paths[path]?.[info.method.toLowerCase()]).toBeDefined()
    }
  })

  test('the reference page at /api works offline: its assets are served by the panel', async () => {
    const page = await t.request('GET', '/api')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toStartWith('text/html')
    expect(page.text).not.toMatch(/https?:\/\//)
    for (const asset of ['/api/docs/swagger-ui-bundle.js', '/api/docs/swagger-ui.css', '/api/docs/init.js']) {
      const res = await t.handle(new Request(`http://localhost${asset}`))
      expect(res.status).toBe(200)
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10)
    }
  })
})

describe('hook scope', () => {
  const t = useTestApp(async () => ({ plugins: await withFixtures(probe, neighbour) }))

  test('a plugin hook stays inside its plugin', async () => {
    const cookie = await login(t, await makeUser(t))
    const own = await t.request('GET', '/api/client/probe/bare', { cookie })
    expect(own.status).toBe(200)
    expect(own.headers.get('x-probe')).toBe('local')
    const other = await t.request('GET', '/api/client/neighbour', { cookie })
    expect(other.status).toBe(200)
    expect(other.headers.get('x-probe')).toBeNull()
  })

  test('/api/auth and /api stay public; the guard covers only its namespaces', async () => {
    const login = await t.request('POST', '/api/auth/login', { body: { user: 'nobody', password: 'x' } })
    expect(login.status).toBe(400)
    expect((await t.request('GET', '/api/probe/ip')).status).toBe(200)
    expect((await t.request('GET', '/api/settings')).status).toBe(200)
    expect((await t.request('GET', '/api/admin/greetings/count')).status).toBe(401)
  })
})

describe('boot refuses broken plugin sets', () => {
  test('two plugins claiming the same method and path', async () => {
    const a = definePlugin({ name: 'dup-a', version: '1.0.0', routes: { client: () => new Elysia().get('/dup/:id', () => ({})) } })
    const b = definePlugin({ name: 'dup-b', version: '1.0.0', routes: { client: () => new Elysia().get('/dup/:other', () => ({})) } })
    const plugins = orderPlugins([...(await bundledPlugins()), inlinePlugin(a), inlinePlugin(b)])
    const error = await testApp({ plugins }).then(
      async (app) => {
        await app.close()
        return null
      },
      (e) => e,
    )
    expect(error).toBeInstanceOf(PluginError)
    expect(error.message).toContain('test:dup-b')
    expect(error.message).toContain('GET /api/client/dup/:other is already claimed by test:dup-a')
  })

  test('a plugin outside the repository resolves the host packages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatchery-ext-'))
    try {
      cpSync(join(FIXTURE_PLUGINS, 'greeter'), join(dir, 'greeter'), { recursive: true })
      const found = await discoverPlugins({ bundledDir: null, externalDir: dir })
      expect(found.map((p) => [p.descriptor.name, p.external])).toEqual([['greeter', true]])
      expect(typeof found[0].descriptor.routes?.client).toBe('function')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('rate limits per area', () => {
  const t = useTestApp(async () => ({ plugins: await withFixtures(probe, neighbour) }))

  test('exactly `hits` client requests pass, then 429 with Retry-After and X-RateLimit-*; admin counts apart', async () => {
    await t.kernel.settings.update({
      'ratelimits.client': { hits: 3, window_seconds: 60 },
      'ratelimits.admin': { hits: 2, window_seconds: 60 },
    })
    const ip = '198.51.100.7'
    for (let i = 0; i < 3; i++) expect((await t.request('GET', '/api/client/neighbour', { ip })).status).toBe(401)
    const limited = await t.request('GET', '/api/client/neighbour', { ip })
    expect(limited.status).toBe(429)
    expect(limited.body.errors[0]).toMatch(/^you are ratelimited, retry in \d+s$/)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3')
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
    // Other clients and the admin area have their own budgets.
    expect((await t.request('GET', '/api/client/neighbour', { ip: '198.51.100.8' })).status).toBe(401)
    expect((await t.request('GET', '/api/admin/greetings/count', { ip })).status).toBe(401)
    expect((await t.request('GET', '/api/admin/greetings/count', { ip })).status).toBe(401)
    expect((await t.request('GET', '/api/admin/greetings/count', { ip })).status).toBe(429)
    // Public routes are not counted.
    expect((await t.request('GET', '/api/settings', { ip })).status).toBe(200)
  })
})

describe('rate limits through Redis', () => {
  const env = { REDIS_URL: process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379' }
  const a = useTestApp({ env })
  const b = useTestApp(() => Promise.resolve({ env, db: a.db }))

  test('two panel processes share one budget', async () => {
    await a.kernel.settings.update({ 'ratelimits.client': { hits: 4, window_seconds: 60 } })
    await b.kernel.settings.reload()
    const ip = `203.0.113.${Math.floor(Math.random() * 200) + 20}`
    expect((await a.request('GET', '/api/client/account', { ip })).status).toBe(401)
    expect((await b.request('GET', '/api/client/account', { ip })).status).toBe(401)
    expect((await a.request('GET', '/api/client/account', { ip })).status).toBe(401)
    expect((await b.request('GET', '/api/client/account', { ip })).status).toBe(401)
    expect((await a.request('GET', '/api/client/account', { ip })).status).toBe(429)
    expect((await b.request('GET', '/api/client/account', { ip })).status).toBe(429)
  })

  test('an unreachable Redis falls back to process memory without failing requests', async () => {
    const down = await testApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } })
    try {
      await down.kernel.settings.update({ 'ratelimits.client': { hits: 2, window_seconds: 60 } })
      expect((await down.request('GET', '/api/client/account')).status).toBe(401)
      expect((await down.request('GET', '/api/client/account')).status).toBe(401)
      expect((await down.request('GET', '/api/client/account')).status).toBe(429)
    } finally {
      await down.close()
    }
  })
})

describe('client address and request id from trusted proxies', () => {
  const t = useTestApp(async () => ({ plugins: await withFixtures(probe), env: { APP_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8' } }))

  test('behind a trusted proxy, X-Forwarded-For is walked from the right', async () => {
    const res = await t.request('GET', '/api/probe/ip', {
      ip: '10.1.2.3',
      headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.9.9.9' },
    })
    expect(res.body.ip).toBe('203.0.113.9')
  })

  test('a client-prepended entry cannot spoof the address', async () => {
    const res = await t.request('GET', '/api/probe/ip', { ip: '10.1.2.3', headers: { 'x-forwarded-for': '127.0.0.1, 198.51.100.1' } })
    expect(res.body.ip).toBe('198.51.100.1')
  })

  test('an untrusted peer is taken as is, whatever it claims', async () => {
    const res = await t.request('GET', '/api/probe/ip', {
      ip: '198.51.100.99',
      headers: { 'x-forwarded-for': '1.1.1.1', 'x-real-ip': '2.2.2.2', 'x-request-id': 'forged-id' },
    })
    expect(res.body.ip).toBe('198.51.100.99')
    expect(res.headers.get('x-request-id')).not.toBe('forged-id')
  })

  test('X-Real-IP and X-Request-Id count only from a trusted peer', async () => {
    const res = await t.request('GET', '/api/probe/ip', {
      ip: 'fd00::1',
      headers: { 'x-real-ip': '192.0.2.44', 'x-request-id': 'edge-123' },
    })
    expect(res.body.ip).toBe('192.0.2.44')
    expect(res.headers.get('x-request-id')).toBe('edge-123')
  })
})

describe('settings across panel processes', () => {
  const a = useTestApp()
  const b = useTestApp(() => Promise.resolve({ db: a.db }))

  test('a write shows at once in the writer and within 2 s in another process', async () => {
    expect((await b.request('GET', '/api/settings')).body.app.name).toBe('Hatchery')
    await a.kernel.settings.update({ 'app.name': 'Renamed Panel' })
    expect((await a.request('GET', '/api/settings')).body.app.name).toBe('Renamed Panel')
    const started = Date.now()
    let seen = ''
    while (Date.now() - started < 2200) {
      seen = (await b.request('GET', '/api/settings')).body.app.name
      if (seen === 'Renamed Panel') break
      await Bun.sleep(100)
    }
    expect(seen).toBe('Renamed Panel')
  })
})

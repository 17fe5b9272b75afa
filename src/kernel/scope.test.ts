import { describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { Elysia } from 'elysia'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import {
  expectRoutesGuarded,
  login,
  makeApiKey,
  makeUser,
  relaxRateLimits,
  testApp,
  useTestApp,
  withPlugins,
  type TestApp,
} from 'hatchery/testing'
import { PluginError, validateDescriptor } from './loader'
import { ScopeSlots } from './scope'
import type { Box, BoxesApi } from '../../test/fixtures/scope-plugins/boxes'

// `boxes` fills `client:box` and `remote:box`; `box-notes` (external, no dependency on it) adds a route under `client:box`.
const SCOPE_PLUGINS = resolve(import.meta.dir, '../../test/fixtures/scope-plugins')
const KERNEL_PLUGINS = new Set(['mail', 'users'])

/** users (the authenticate slot) and mail, the scope fixtures, and inline plugins; `without` names fixtures left out. */
async function pluginSet(opts: { without?: string[]; inline?: PluginDescriptor<any>[] } = {}) {
  const all = await withPlugins(SCOPE_PLUGINS, ...(opts.inline ?? []))
  return all.filter(
    (p) =>
      (KERNEL_PLUGINS.has(p.descriptor.name) || p.external || p.file.startsWith('test:')) && !opts.without?.includes(p.descriptor.name),
  )
}

async function bootError(plugins: Awaited<ReturnType<typeof pluginSet>>): Promise<Error | null> {
  return testApp({ plugins }).then(
    async (app) => {
      await app.close()
      return null
    },
    (e) => e,
  )
}

const api = (t: TestApp) => t.kernel.contexts.get('boxes')!.api({ name: 'boxes', version: '0.1.0' } as PluginDescriptor<BoxesApi>)
const uuid = () => crypto.randomUUID()

function addBox(t: TestApp, fields: Partial<Box> & { owner: string }): Box {
  const box: Box = { uuid: uuid(), label: 'a box', machine: 'm1', locked: false, ...fields }
  api(t).boxes.set(box.uuid, box)
  return box
}

describe('a scope filled by a plugin (client:box at /api/client/boxes/:box)', () => {
  const t = useTestApp(async () => ({ plugins: await pluginSet() }))
  let owner: { uuid: string; cookie: string }
  let stranger: string

  test('setup', async () => {
    await relaxRateLimits(t)
    const user = await makeUser(t)
    owner = { uuid: user.uuid, cookie: await login(t, user) }
    stranger = await login(t, await makeUser(t))
  })

  test('the handler gets the resolved resource and access; the resolver ran once, with what the route declares', async () => {
    const box = addBox(t, { owner: owner.uuid, label: 'tools' })
    const before = api(t).calls.length
    const res = await t.request('GET', `/api/client/boxes/${box.uuid}`, { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ box: { uuid: box.uuid, label: 'tools' }, owner: true })
    expect(api(t).calls.slice(before)).toEqual([
      { scope: 'client:box', path: '/api/client/boxes/:box', permissions: [], options: { lockGate: false } },
    ])
  })

  test('a route declaring a scope permission: the resolver sees it without the catalog, once per request', async () => {
    const box = addBox(t, { owner: owner.uuid, label: 'notes' })
    const before = api(t).calls.length
    const res = await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ label: 'notes', owner: true, reader: owner.uuid })
    expect(api(t).calls.slice(before)).toEqual([
      { scope: 'client:box', path: '/api/client/boxes/:box/notes', permissions: ['files.read'], options: {} },
    ])
  })

  test('401 without credentials, and the resolver never runs', async () => {
    const box = addBox(t, { owner: owner.uuid })
    const before = api(t).calls.length
    for (const path of [`/api/client/boxes/${box.uuid}`, `/api/client/boxes/${box.uuid}/notes`, '/api/client/boxes/not-a-uuid']) {
      const res = await t.request('GET', path)
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ errors: ['missing authorization'] })
    }
    expect(api(t).calls.length).toBe(before)
  })

  test("the resolver's errors are the answer: 400 bad id, 404 unknown or not visible, 409 gate", async () => {
    const bad = await t.request('GET', '/api/client/boxes/not-a-uuid/notes', { cookie: owner.cookie })
    expect([bad.status, bad.body]).toEqual([400, { errors: ['invalid box uuid'] }])
    const unknown = await t.request('GET', `/api/client/boxes/${uuid()}/notes`, { cookie: owner.cookie })
    expect([unknown.status, unknown.body]).toEqual([404, { errors: ['box not found'] }])
    const box = addBox(t, { owner: owner.uuid })
    const hidden = await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { cookie: stranger })
    expect([hidden.status, hidden.body]).toEqual([404, { errors: ['box not found'] }])
    const locked = addBox(t, { owner: owner.uuid, locked: true })
    const gated = await t.request('GET', `/api/client/boxes/${locked.uuid}/notes`, { cookie: owner.cookie })
    expect([gated.status, gated.body]).toEqual([409, { errors: ['box is locked'] }])
    // The route that opts out of the gate with the `scope` macro still answers.
    expect((await t.request('GET', `/api/client/boxes/${locked.uuid}`, { cookie: owner.cookie })).status).toBe(200)
  })

  test('403 naming the scope permission: a subuser without it, an API key not listing it', async () => {
    const box = addBox(t, { owner: owner.uuid })
    const sub = await makeUser(t)
    const subCookie = await login(t, sub)
    api(t).subusers.set(box.uuid, new Map([[sub.uuid, ['settings.rename']]]))
    const denied = await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { cookie: subCookie })
    expect([denied.status, denied.body]).toEqual([403, { errors: ['you do not have permission to perform this action: files.read'] }])
    expect((await t.request('POST', `/api/client/boxes/${box.uuid}/rename`, { cookie: subCookie, body: { label: 'x' } })).status).toBe(200)
    const { key } = await makeApiKey(t, owner.cookie, { server_permissions: ['settings.rename'] })
    const keyDenied = await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { token: key })
    expect([keyDenied.status, keyDenied.body]).toEqual([403, { errors: ['you do not have permission to perform this action: files.read'] }])
    const { key: reader } = await makeApiKey(t, owner.cookie, { server_permissions: ['files.read'] })
    expect((await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { token: reader })).status).toBe(200)
  })

  test('order: resolver (404/409) before body validation (400) before the permission (403)', async () => {
    const box = addBox(t, { owner: owner.uuid })
    const missing = await t.request('POST', `/api/client/boxes/${uuid()}/rename`, { cookie: owner.cookie, body: { label: '' } })
    expect([missing.status, missing.body]).toEqual([404, { errors: ['box not found'] }])
    const invalid = await t.request('POST', `/api/client/boxes/${box.uuid}/rename`, { cookie: owner.cookie, body: { label: '' } })
    expect(invalid.status).toBe(400)
    const sub = await makeUser(t)
    api(t).subusers.set(box.uuid, new Map([[sub.uuid, []]]))
    const cookie = await login(t, sub)
    expect((await t.request('POST', `/api/client/boxes/${box.uuid}/rename`, { cookie, body: { label: '' } })).status).toBe(400)
    const denied = await t.request('POST', `/api/client/boxes/${box.uuid}/rename`, { cookie, body: { label: 'ok' } })
    expect(denied.body).toEqual({ errors: ['you do not have permission to perform this action: settings.rename'] })
    const renamed = await t.request('POST', `/api/client/boxes/${box.uuid}/rename`, { cookie: owner.cookie, body: { label: 'renamed' } })
    expect(renamed.status).toBe(200)
    expect(api(t).boxes.get(box.uuid)!.label).toBe('renamed')
  })

  test('a route of the namespace beside the scope is not resolved', async () => {
    const before = api(t).calls.length
    expect((await t.request('GET', '/api/client/boxes', { cookie: owner.cookie })).body).toEqual({ listed: true })
    expect(api(t).calls.length).toBe(before)
  })

  test('the kit sweeps scoped routes: 401 before any resolver runs', async () => {
    const before = api(t).calls.length
    const swept = await expectRoutesGuarded(t, { namespace: 'client', plugin: 'box-notes' })
    expect(swept.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/client/boxes/:box/notes'])
    expect(api(t).calls.length).toBe(before)
  })

  test('the registry knows each route of the scope, with the plugin that declared it', () => {
    const notes = t.routes.match('GET', `/api/client/boxes/${uuid()}/notes`)!
    expect([notes.scope, notes.plugin, notes.permissions]).toEqual(['client:box', 'box-notes', ['server:files.read']])
    expect(t.routes.match('GET', '/api/client/boxes')!.scope).toBeUndefined()
  })

  test('/openapi.json: full paths with the scope parameter, permissions, the remote security scheme', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body
    const notes = doc.paths['/api/client/boxes/{box}/notes'].get
    expect(notes['x-permission']).toEqual(['server:files.read'])
    expect(notes['x-scope']).toBe('client:box')
    expect(notes.parameters).toContainEqual(expect.objectContaining({ name: 'box', in: 'path', required: true }))
    expect(notes.responses['401']).toBeDefined()
    expect(doc.paths['/api/client/boxes/{box}'].get).toBeDefined()
    const config = doc.paths['/api/remote/boxes/{box}/config'].get
    expect(config.parameters).toContainEqual(expect.objectContaining({ name: 'box', in: 'path', required: true }))
    expect(config.security).toEqual([{ remote: [] }])
    expect(config.responses['401']).toBeDefined()
    expect(doc.components.securitySchemes.remote).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  test('a switched-off filler takes the scope down: its routes and other plugins’ answer like unknown ones', async () => {
    const box = addBox(t, { owner: owner.uuid })
    await t.kernel.extensions.update((names) => [...names, 'boxes'])
    try {
      const res = await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { cookie: owner.cookie })
      expect([res.status, res.body]).toEqual([404, { errors: ['route not found'] }])
    } finally {
      await t.kernel.extensions.update((names) => names.filter((n) => n !== 'boxes'))
    }
    expect((await t.request('GET', `/api/client/boxes/${box.uuid}/notes`, { cookie: owner.cookie })).status).toBe(200)
  })
})

describe('the remote namespace (/api/remote) and a remote scope', () => {
  const t = useTestApp(async () => ({ plugins: await pluginSet() }))

  test('every route needs the remote authenticator: 401 without or with a bad token', async () => {
    const box = addBox(t, { owner: uuid() })
    const before = api(t).calls.length
    for (const token of [undefined, 'nonsense']) {
      for (const path of ['/api/remote/whoami', `/api/remote/boxes/${box.uuid}/config`]) {
        const res = await t.request('GET', path, { token })
        expect(res.status).toBe(401)
      }
    }
    expect(api(t).calls.length).toBe(before)
    const user = await makeUser(t)
    expect((await t.request('GET', '/api/remote/whoami', { cookie: await login(t, user) })).status).toBe(401)
  })

  test('the kit sweeps /api/remote (401 without credentials)', async () => {
    const swept = await expectRoutesGuarded(t, { namespace: 'remote', plugin: 'boxes' })
    expect(swept.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/remote/boxes/:box/config', 'GET /api/remote/whoami'])
  })

  test('the remote principal reaches handlers and the scope resolver', async () => {
    expect((await t.request('GET', '/api/remote/whoami', { token: 'machine-m1' })).body).toEqual({ machine: 'm1' })
    const box = addBox(t, { owner: uuid(), machine: 'm1' })
    const res = await t.request('GET', `/api/remote/boxes/${box.uuid}/config`, { token: 'machine-m1' })
    expect([res.status, res.body]).toEqual([200, { uuid: box.uuid, machine: 'm1', by: 'm1' }])
    expect(api(t).calls.at(-1)).toEqual({ scope: 'remote:box', path: '/api/remote/boxes/:box/config', permissions: [], options: {} })
  })

  test("another machine's box is the resolver's 403; an unknown one its 404", async () => {
    const box = addBox(t, { owner: uuid(), machine: 'm1' })
    const other = await t.request('GET', `/api/remote/boxes/${box.uuid}/config`, { token: 'machine-m2' })
    expect([other.status, other.body]).toEqual([403, { errors: ['box belongs to another machine'] }])
    expect((await t.request('GET', `/api/remote/boxes/${uuid()}/config`, { token: 'machine-m1' })).status).toBe(404)
  })

  test("the 'remote' rate limit counts /api/remote per address", async () => {
    await t.kernel.settings.update({ 'ratelimits.remote': { hits: 3, window_seconds: 60 } })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 4; i++)
        statuses.push((await t.request('GET', '/api/remote/whoami', { token: 'machine-m1', ip: '10.9.9.9' })).status)
      expect(statuses.at(-1)).toBe(429)
      expect((await t.request('GET', '/api/remote/whoami', { token: 'machine-m1', ip: '10.9.9.10' })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.remote': { hits: 720, window_seconds: 30 } })
    }
  })
})

const remoteProbe = definePlugin({
  name: 'remote-probe',
  version: '1.0.0',
  routes: {
    remote: (ctx) =>
      new Elysia()
        .use(ctx.guard)
        .get('/probe', () => ({ reached: true }))
        .get('/probe/open', () => ({ open: true }), { public: true }),
  },
})

describe('a scope nobody fills', () => {
  const t = useTestApp(async () => ({ plugins: await pluginSet({ without: ['boxes'], inline: [remoteProbe] }) }))

  test('routes declared under it are not mounted: 404 route not found, absent from /openapi.json', async () => {
    const cookie = await login(t, await makeUser(t))
    const res = await t.request('GET', `/api/client/boxes/${uuid()}/notes`, { cookie })
    expect([res.status, res.body]).toEqual([404, { errors: ['route not found'] }])
    expect(t.routes.all().some((r) => r.plugin === 'box-notes')).toBe(false)
    const doc = (await t.request('GET', '/openapi.json')).body
    expect(Object.keys(doc.paths).some((p) => p.includes('/boxes/'))).toBe(false)
  })

  test('without a remote authenticator every /api/remote route answers 401, unless public', async () => {
    const res = await t.request('GET', '/api/remote/probe', { token: 'machine-m1' })
    expect([res.status, res.body]).toEqual([401, { errors: ['missing authorization'] }])
    expect((await t.request('GET', '/api/remote/probe/open')).body).toEqual({ open: true })
  })
})

describe('boot refuses', () => {
  test('a second plugin filling the same scope, naming the first', async () => {
    const again = definePlugin({
      name: 'boxes-again',
      version: '1.0.0',
      setup: (ctx) =>
        ctx.kernel.provideScope(
          'client:box',
          { path: '/crates/:crate', resolve: async () => ({ resource: null as never, access: null as never }) },
          ctx.plugin,
        ),
    })
    const error = await bootError(await pluginSet({ inline: [again] }))
    expect(error).toBeInstanceOf(PluginError)
    expect(error!.message).toContain('test:boxes-again')
    expect(error!.message).toContain('scope client:box is already provided by boxes')
  })

  test('a scope permission on a route outside any scope of that catalog', async () => {
    const stray = definePlugin({
      name: 'stray',
      version: '1.0.0',
      routes: { client: (ctx) => new Elysia().use(ctx.guard).get('/stray', () => ({}), { permission: 'server:files.read' }) },
    })
    const error = await bootError(await pluginSet({ inline: [stray] }))
    expect(error).toBeInstanceOf(PluginError)
    expect(error!.message).toContain('GET /api/client/stray: server:files.read needs a scope that checks server permissions')
  })

  test('a public route under a scope', async () => {
    const open = definePlugin({
      name: 'open-box',
      version: '1.0.0',
      routes: { 'client:box': (ctx) => new Elysia().use(ctx.guard).get('/open', () => ({}), { public: true }) },
    })
    const error = await bootError(await pluginSet({ inline: [open] }))
    expect(error!.message).toContain('GET /api/client/boxes/:box/open: a route under scope client:box cannot be public')
  })

  test('a route made with ctx.scope(key) mounted elsewhere', async () => {
    const astray = definePlugin({
      name: 'astray',
      version: '1.0.0',
      routes: {
        client: (ctx) => ctx.scope('client:box').get('/astray', ({ resource }) => ({ label: resource.label }), { authenticated: true }),
      },
    })
    const error = await bootError(await pluginSet({ inline: [astray] }))
    expect(error!.message).toContain(
      "GET /api/client/astray: declared on ctx.scope('client:box') but mounted outside it: use routes['client:box']",
    )
  })

  test('a routes key that is neither a namespace nor a scope of an authenticated namespace', () => {
    const odd = { name: 'odd', version: '1.0.0', routes: { 'public:box': () => new Elysia() } }
    expect(() => validateDescriptor(odd, 'odd/index.ts')).toThrow('routes.public:box: unknown namespace')
    expect(() => validateDescriptor({ ...odd, routes: { 'remote:box': () => new Elysia() } }, 'odd/index.ts')).not.toThrow()
  })
})

describe('types', () => {
  test("handlers are typed by the filler's Scopes entry (checked by tsc)", () => {
    const typed = definePlugin({
      name: 'typed',
      version: '1.0.0',
      routes: {
        'client:box': (ctx) =>
          ctx.scope('client:box').get(
            '/typed',
            ({ resource: box, access }) => {
              // @ts-expect-error a Box has no size
              void box.size
              const owner: boolean = access.owner
              return { label: box.label, owner }
            },
            // @ts-expect-error client:box has no option `other`
            { authenticated: true, scope: { other: true } },
          ),
        'remote:box': (ctx) =>
          ctx
            .scope('remote:box')
            .get('/typed', ({ resource: box, access, remote }) => ({ uuid: box.uuid, machine: access.machine, by: remote.machine }), {
              remote: true,
            }),
      },
    })
    expect(Object.keys(typed.routes!)).toEqual(['client:box', 'remote:box'])
  })
})

describe('ScopeSlots.provide', () => {
  const resolveNothing = async () => ({ resource: null as never, access: null as never })

  test('checks the key, the path, and permits with a catalog', () => {
    const slots = new ScopeSlots()
    expect(() => slots.provide('client:Box' as never, { path: '/b/:b', resolve: resolveNothing }, 'p')).toThrow(
      'must be <client|admin|remote>:<kebab-name>',
    )
    expect(() => slots.provide('client:box', { path: 'b/:b', resolve: resolveNothing }, 'p')).toThrow('path must look like /things/:thing')
    expect(() => slots.provide('client:box', { path: '/b/:b', catalog: 'server', resolve: resolveNothing }, 'p')).toThrow(
      'has a catalog but no permits()',
    )
  })

  test('two scopes of one namespace cannot share a path; other namespaces can', () => {
    const slots = new ScopeSlots()
    slots.provide('client:box', { path: '/b/:b', resolve: resolveNothing }, 'one')
    expect(() => slots.provide('client:crate', { path: '/b/:c', resolve: resolveNothing }, 'two')).toThrow(
      'scope client:crate path /b/:c is already the path of client:box (one)',
    )
    slots.provide('remote:box', { path: '/b/:b', resolve: resolveNothing }, 'two')
    expect(slots.keys()).toEqual(['client:box', 'remote:box'])
  })
})

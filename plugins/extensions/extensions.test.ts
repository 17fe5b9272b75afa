import { describe, expect, test } from 'bun:test'
import {
  adminCaller,
  adminEvents,
  expectModel,
  expectRoutesGuarded,
  makeApiKey,
  narrowedAdminKey,
  relaxRateLimits,
  roleCaller,
  runCli,
  runJob,
  useTestApp,
  type AdminCaller,
  type TestApp,
} from 'hatchery/testing'
import { ExtensionList } from './model'
import { NOT_OFFERED } from './manage'
import { UNKNOWN, countRows, extensionTestPlugins, listExtensions, toggle as toggleAs } from './test-helpers'

const t = useTestApp(async () => ({ plugins: await extensionTestPlugins() }))

let admin: AdminCaller
const setup = async () => {
  if (admin) return admin
  await relaxRateLimits(t)
  admin = await adminCaller(t)
  return admin
}

const toggle = (app: TestApp, name: string, enabled: boolean) => toggleAs(app, admin.cookie, name, enabled)
const list = () => listExtensions(t, admin.cookie)
const greetingCount = (app: TestApp) => countRows(app, 'greeter_greetings')

describe('GET /api/admin/extensions', () => {
  test('lists every plugin, bundled and external, in the reference shape plus what Hatchery adds', async () => {
    await setup()
    const body = await list()
    expectModel(ExtensionList, body)
    const names = body.extensions.map((e: any) => e.package_name)
    for (const n of ['users', 'platform', 'account', 'mail', 'system', 'assets', 'oauth', 'extensions', 'greeter', 'greeter-fan'])
      expect(names).toContain(n)
    const greeter = body.extensions.find((e: any) => e.package_name === 'greeter')
    expect(greeter).toMatchObject({
      metadata_toml: { package_name: 'greeter', name: 'greeter', panel_version: '*', license_text: null },
      description: 'Test fixture: one of everything a plugin can declare',
      authors: [],
      version: '0.1.0',
      enabled: true,
      external: true,
      depends_on: [],
      dependants: ['greeter-fan'],
      jobs: ['greeter:tick'],
    })
    expect(greeter.routes.sort()).toEqual([
      'DELETE /api/admin/greetings',
      'GET /api/admin/greetings/count',
      'GET /api/client/greetings',
      'GET /api/client/greetings/hello',
      'GET /api/greeter/slow',
      'POST /api/client/greetings',
    ])
    expect(greeter.permissions.sort()).toEqual(['admin:greetings.read', 'admin:greetings.reset', 'user:greetings.create'])
    const users = body.extensions.find((e: any) => e.package_name === 'users')
    expect(users.external).toBe(false)
    expect(users.dependants).toContain('platform')
    expect(body.disabled).toEqual([])
    expect(body.pending_disabled).toEqual([])
  })

  test('needs extensions.read', async () => {
    const key = await narrowedAdminKey(t, admin, ['extensions.manage'])
    const res = await t.request('GET', '/api/admin/extensions', { token: key })
    expect(res.status).toBe(403)
    expect(res.body.errors).toEqual(['you do not have permission to perform this action: extensions.read'])
    const reader = await roleCaller(t, admin, ['extensions.read'])
    expect((await t.request('GET', '/api/admin/extensions', { cookie: reader.cookie })).status).toBe(200)
  })
})

describe('/api/admin/extensions routes', () => {
  test('every route answers 401 without credentials and 403 without its permission', async () => {
    await setup()
    const swept = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'extensions', params: { extension: 'greeter' }, admin })
    expect(swept.length).toBe(9)
  })
})

describe('PATCH /api/admin/extensions/{extension}', () => {
  test('400 on a bad body', async () => {
    await setup()
    for (const body of [{}, { enabled: 'no' }, { enabled: null }]) {
      const res = await t.request('PATCH', '/api/admin/extensions/greeter', { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toStartWith('enabled:')
    }
  })

  test('404 for an extension that is not installed', async () => {
    const res = await toggle(t, 'com.example.nothing', false)
    expect(res).toMatchObject({ status: 404, body: { errors: ['extension not found'] } })
  })

  test('409 for the essential plugins, naming why', async () => {
    const users = await toggle(t, 'users', false)
    expect(users.status).toBe(409)
    expect(users.body.errors).toEqual([
      'extension users cannot be disabled: it authenticates every request, so disabling it would lock everyone out',
    ])
    expect((await toggle(t, 'extensions', false)).status).toBe(409)
    expect((await toggle(t, 'platform', false)).status).toBe(409)
    // Enabling what is on is harmless.
    expect(await toggle(t, 'users', true)).toMatchObject({ status: 200, body: { pending_restart: false } })
  })

  test('409 naming the enabled dependants; enabling needs the dependencies on', async () => {
    const res = await toggle(t, 'greeter', false)
    expect(res).toMatchObject({ status: 409, body: { errors: ['extension greeter cannot be disabled: greeter-fan depends on it'] } })
    expect((await list()).pending_disabled).toEqual([])
    expect((await toggle(t, 'greeter-fan', false)).status).toBe(200)
    expect((await toggle(t, 'greeter', false)).status).toBe(200)
    const back = await toggle(t, 'greeter-fan', true)
    expect(back).toMatchObject({
      status: 409,
      body: { errors: ['extension greeter-fan depends on greeter, which is disabled: enable it first'] },
    })
    expect((await toggle(t, 'greeter', true)).status).toBe(200)
    expect((await toggle(t, 'greeter-fan', true)).status).toBe(200)
    expect((await list()).pending_disabled).toEqual([])
  })

  test('disabling: routes answer like unknown ones, the job pauses, permissions are unlisted but valid, data stays', async () => {
    const user = await adminCaller(t)
    const made = await t.request('POST', '/api/client/greetings', { cookie: user.cookie, body: { name: 'kept' } })
    expect(made.status).toBe(200)
    const stored = await greetingCount(t)
    expect((await toggle(t, 'greeter-fan', false)).status).toBe(200)
    const off = await toggle(t, 'greeter', false)
    expect(off).toMatchObject({ status: 200, body: { pending_restart: false } })

    // Routes: exactly what a path nobody serves answers, before authentication and body parsing.
    expect(await t.request('GET', '/api/client/no-such-thing', { cookie: user.cookie })).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/client/greetings', { cookie: user.cookie })).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/client/greetings')).toMatchObject(UNKNOWN)
    expect(
      await t.request('POST', '/api/client/greetings', {
        cookie: user.cookie,
        body: '{not json',
        headers: { 'content-type': 'application/json' },
      }),
    ).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/client/greetings/hello')).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/greeter/slow')).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/admin/greetings/count', { cookie: admin.cookie })).toMatchObject(UNKNOWN)
    expect(await t.request('DELETE', '/api/admin/greetings', { cookie: admin.cookie })).toMatchObject(UNKNOWN)
    expect(await t.request('GET', '/api/client/greeter-fan', { cookie: user.cookie })).toMatchObject(UNKNOWN)
    // Another method on the path: 405 while the plugin is on, 404 now, as for a path nobody serves.
    expect(await t.request('PUT', '/api/client/greetings', { cookie: user.cookie })).toMatchObject(UNKNOWN)

    // Jobs: refused by hand, with the reason.
    await expect(runJob(t, 'greeter:tick')).rejects.toThrow('job greeter:tick is paused: extension greeter is disabled')
    const cli = await runCli(t, ['jobs', 'run', 'greeter:tick'])
    expect(cli.code).toBe(1)
    expect(cli.stderr).toContain('extension greeter is disabled')

    // Permissions: not listed, still valid on roles and keys.
    const perms = await t.request('GET', '/api/client/permissions', { cookie: user.cookie })
    expect(perms.body.user_permissions.greetings).toBeUndefined()
    expect(perms.body.admin_permissions.greetings).toBeUndefined()
    expect(perms.body.admin_permissions.extensions).toBeDefined()
    const role = await roleCaller(t, admin, ['greetings.read'])
    expect(role.role).toBeDefined()
    expect(
      (await makeApiKey(t, user.cookie, { user_permissions: ['greetings.create'], admin_permissions: ['greetings.reset'] })).key,
    ).toBeString()

    // State: the listing, the public settings, the audit.
    const body = await list()
    expect(body.disabled).toEqual(['greeter', 'greeter-fan'])
    expect(body.pending_disabled.sort()).toEqual(['greeter', 'greeter-fan'])
    expect(body.extensions.find((e: any) => e.package_name === 'greeter').enabled).toBe(false)
    expect((await t.request('GET', '/api/settings')).body.disabled_extensions.sort()).toEqual(['greeter', 'greeter-fan'])
    const events = await adminEvents(t, admin, 'extension:toggle')
    expect(events[0].data).toEqual({ package_name: 'greeter', enabled: false })

    expect(await greetingCount(t)).toBe(stored)

    // The generic settings PUT cannot change the list.
    expect((await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { extensions: { disabled: [] } } })).status).toBe(
      200,
    )
    expect((await list()).pending_disabled.sort()).toEqual(['greeter', 'greeter-fan'])

    // Enabling brings everything back, data included.
    expect((await toggle(t, 'greeter', true)).status).toBe(200)
    expect((await toggle(t, 'greeter-fan', true)).status).toBe(200)
    expect((await t.request('PUT', '/api/client/greetings', { cookie: user.cookie })).status).toBe(405)
    const back = await t.request('GET', '/api/client/greetings', { cookie: user.cookie })
    expect(back.status).toBe(200)
    expect(back.body.greetings.data.map((g: any) => g.name)).toContain('kept')
    expect((await t.request('GET', '/api/client/greeter-fan', { cookie: user.cookie })).status).toBe(200)
    expect((await t.request('GET', '/api/client/permissions', { cookie: user.cookie })).body.user_permissions.greetings).toBeDefined()
    await runJob(t, 'greeter:tick')
    expect((await t.request('GET', '/api/settings')).body.disabled_extensions).toEqual([])
    expect((await adminEvents(t, admin, 'extension:toggle'))[0].data).toEqual({ package_name: 'greeter-fan', enabled: true })
  })

  test('two toggles at once both land', async () => {
    // Two plugins no other depends on (account is not one since the servers plugin needs SSH keys).
    const [a, b] = await Promise.all([toggle(t, 'greeter-fan', false), toggle(t, 'egg-repositories', false)])
    expect([a.status, b.status]).toEqual([200, 200])
    expect((await list()).pending_disabled.sort()).toEqual(['egg-repositories', 'greeter-fan'])
    expect((await toggle(t, 'egg-repositories', true)).status).toBe(200)
    expect((await toggle(t, 'greeter-fan', true)).status).toBe(200)
  })
})

describe('panel extensions …', () => {
  test('list, disable and enable from the console, with the same refusals and audit', async () => {
    await setup()
    const listed = await runCli(t, ['extensions', 'list', '--json'])
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout)).toContainEqual({ name: 'greeter', version: '0.1.0', enabled: true, external: true })
    const refused = await runCli(t, ['extensions', 'disable', 'greeter'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('greeter-fan depends on it')
    expect((await runCli(t, ['extensions', 'disable', 'greeter-fan'])).code).toBe(0)
    expect(await t.request('GET', '/api/client/greeter-fan', { cookie: admin.cookie })).toMatchObject(UNKNOWN)
    expect((await adminEvents(t, admin, 'extension:toggle'))[0].data).toEqual({
      package_name: 'greeter-fan',
      enabled: false,
      source: 'cli',
    })
    expect((await runCli(t, ['extensions', 'enable', 'greeter-fan'])).code).toBe(0)
    expect((await t.request('GET', '/api/client/greeter-fan', { cookie: admin.cookie })).status).toBe(200)
    expect((await runCli(t, ['extensions', 'enable', 'nothing'])).stderr).toContain('extension not found')
  })
})

describe('/api/admin/extensions/manage/*', () => {
  test('501 with the reason, after the permission and the input are checked', async () => {
    await setup()
    const cases: [string, string, unknown?][] = [
      ['PUT', '/api/admin/extensions/manage/add?accept_license=true'],
      ['DELETE', '/api/admin/extensions/manage/greeter', { remove_migrations: false }],
      ['GET', '/api/admin/extensions/manage/status'],
      ['GET', '/api/admin/extensions/manage/logs'],
      ['POST', '/api/admin/extensions/manage/rebuild'],
      ['POST', '/api/admin/extensions/manage/rebuild/cancel'],
      ['POST', '/api/admin/extensions/manage/restart'],
    ]
    for (const [method, path, body] of cases) {
      const res = await t.request(method, path, { cookie: admin.cookie, body })
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 501, body: { errors: [NOT_OFFERED] } })
    }
    const bad = await t.request('DELETE', '/api/admin/extensions/manage/greeter', {
      cookie: admin.cookie,
      body: { remove_migrations: 'yes' },
    })
    expect(bad.status).toBe(400)
    expect((await t.request('PUT', '/api/admin/extensions/manage/add?accept_license=maybe', { cookie: admin.cookie })).status).toBe(400)
    const key = await narrowedAdminKey(t, admin, ['extensions.read'])
    expect((await t.request('POST', '/api/admin/extensions/manage/restart', { token: key })).status).toBe(403)
  })
})

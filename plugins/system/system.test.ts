import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { Elysia } from 'elysia'
import { definePlugin } from 'hatchery'
import {
  adminCaller,
  adminEvents,
  expectGuarded,
  expectRoutesGuarded,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  withPlugins,
  type AdminCaller,
} from 'hatchery/testing'

// A route that fails with a plain error: what debug mode changes is how its 500 reads.
const boom = definePlugin({
  name: 'boom',
  version: '1.0.0',
  routes: {
    public: () =>
      new Elysia().get('/boom', () => {
        throw new Error('the widget cache is on fire')
      }),
  },
})

const t = useTestApp({ plugins: await withPlugins(mkdtempSync(join(tmpdir(), 'no-plugins-')), boom) })
let admin: AdminCaller
let plain: AdminCaller

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
}, SETUP_TIMEOUT)

const REFERENCE_OVERVIEW = ['version', 'container_type', 'cpu', 'memory', 'cache', 'database', 'architecture', 'kernel_version']

describe('the system plugin’s admin routes', () => {
  test('every one answers 401 without credentials, 403 outside the admin area and 403 naming its permission', async () => {
    const swept = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'system' })
    expect(swept.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/admin/system/debug',
      'GET /api/admin/system/health/general',
      'GET /api/admin/system/overview',
      'GET /api/admin/system/telemetry',
      'GET /api/admin/system/updates',
      'GET /api/admin/system/updates/database-agent-hosts',
      'GET /api/admin/system/updates/history',
      'GET /api/admin/system/updates/nodes',
      'POST /api/admin/system/debug',
      'POST /api/admin/system/updates/recheck',
    ])
  })
})

describe('GET /api/admin/system/overview', () => {
  test('the reference keys first, with live figures; Hatchery’s own after them', async () => {
    const stats = await roleCaller(t, admin, ['stats.read'])
    const res = await t.request('GET', '/api/admin/system/overview', { cookie: stats.cookie })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body).slice(0, 8)).toEqual(REFERENCE_OVERVIEW)
    expect(Object.keys(res.body).slice(8)).toEqual(['runtime', 'database_driver', 'uptime_seconds'])
    const { version } = await import('../../package.json')
    expect(res.body.version).toBe(version)
    expect(['unknown', 'none']).toContain(res.body.container_type)
    expect(res.body.cpu.cpu_count).toBeGreaterThan(0)
    expect(res.body.memory.total_bytes).toBeGreaterThan(res.body.memory.used_bytes_process)
    expect(res.body.database.size_bytes).toBeGreaterThan(0)
    expect(res.body.database.version).toMatch(/^\d+/)
    expect(res.body.database_driver).toBe(t.kernel.database.kind)
    expect(res.body.cache).toMatchObject({ version: 'in-process', total_calls: 0 })
  })

  test('403 naming stats.read to a role without it', async () => {
    const other = await roleCaller(t, admin, ['settings.read'])
    await expectGuarded(t, { method: 'GET', path: '/api/admin/system/overview' }, plain, [{ cookie: other.cookie }], 'stats.read')
  })
})

describe('GET /api/admin/system/health/general', () => {
  test('local time with its offset, no NTP, migrations counted per owner from the kernel’s record', async () => {
    const res = await t.request('GET', '/api/admin/system/health/general', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['local_time', 'ntp_offsets', 'migrations'])
    expect(res.body.local_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/)
    expect(Math.abs(Date.parse(res.body.local_time) - Date.now())).toBeLessThan(60_000)
    expect(res.body.ntp_offsets).toEqual({})
    const { migrations } = res.body
    expect(migrations.total).toBeGreaterThan(0)
    expect(migrations.applied).toBe(migrations.total)
    for (const owner of ['users', 'account', 'mail']) {
      expect(migrations.extensions[owner].total).toBeGreaterThan(0)
      expect(migrations.extensions[owner].applied).toBe(migrations.extensions[owner].total)
    }
    const [{ n }] = await t.kernel.database.query<{ n: number }>(
      sql`select count(*)::int as n from hatchery_migrations where owner = 'users'`,
    )
    expect(migrations.extensions.users.applied).toBe(n)
  })

  test('403 naming stats.read to a key without it', async () => {
    const key = await narrowedAdminKey(t, admin, ['settings.read'])
    await expectGuarded(t, { method: 'GET', path: '/api/admin/system/health/general' }, plain, [{ token: key }], 'stats.read')
  })
})

describe('GET|POST /api/admin/system/debug', () => {
  test('starts as APP_DEBUG; turned on, a 500 tells its cause; turned off, it does not; each change is logged', async () => {
    const get = () => t.request('GET', '/api/admin/system/debug', { cookie: admin.cookie })
    expect((await get()).body).toEqual({ enabled: false, default: false })
    expect((await t.request('GET', '/api/boom')).body).toEqual({ errors: ['internal server error'] })

    const on = await t.request('POST', '/api/admin/system/debug', { cookie: admin.cookie, body: { enabled: true } })
    expect(on.status).toBe(200)
    expect(on.body).toEqual({})
    expect((await get()).body).toEqual({ enabled: true, default: false })
    expect((await t.request('GET', '/api/settings')).body.app.debug).toBe(true)
    const loud = await t.request('GET', '/api/boom')
    expect(loud.status).toBe(500)
    expect(loud.body.errors[0]).toContain('the widget cache is on fire')

    expect((await t.request('POST', '/api/admin/system/debug', { cookie: admin.cookie, body: { enabled: false } })).status).toBe(200)
    expect((await get()).body.enabled).toBe(false)
    expect((await t.request('GET', '/api/settings')).body.app.debug).toBe(false)
    expect((await t.request('GET', '/api/boom')).body).toEqual({ errors: ['internal server error'] })
    const events = await adminEvents(t, admin, 'system:debug.update')
    expect(events.slice(0, 2).map((e) => e.data)).toEqual([{ enabled: false }, { enabled: true }])
  })

  test('the stored choice is not writable through PUT /api/admin/settings', async () => {
    await t.request('PUT', '/api/admin/settings', { cookie: admin.cookie, body: { system: { debug: true } } })
    expect((await t.request('GET', '/api/admin/system/debug', { cookie: admin.cookie })).body.enabled).toBe(false)
    expect(await t.kernel.settings.get('system.debug')).not.toBe(true)
  })

  test('400 for a body without a boolean', async () => {
    for (const body of [{}, { enabled: 'yes' }, { enabled: null }]) {
      const res = await t.request('POST', '/api/admin/system/debug', { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toStartWith('enabled')
    }
  })

  test('GET needs settings.read, POST settings.update', async () => {
    const reader = await roleCaller(t, admin, ['settings.read', 'stats.read'])
    expect((await t.request('GET', '/api/admin/system/debug', { cookie: reader.cookie })).status).toBe(200)
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/system/debug', body: { enabled: true } },
      plain,
      [{ cookie: reader.cookie }],
      'settings.update',
    )
    const stats = await roleCaller(t, admin, ['stats.read'])
    await expectGuarded(t, { method: 'GET', path: '/api/admin/system/debug' }, plain, [{ cookie: stats.cookie }], 'settings.read')
  })
})

describe('GET /api/admin/system/telemetry', () => {
  test('the report in the reference’s shape, marked as never sent', async () => {
    const res = await t.request('GET', '/api/admin/system/telemetry', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    const report = res.body.telemetry
    expect(Object.keys(report)).toEqual(['uuid', 'panel', 'resources', 'extensions', 'nodes', 'database_agent_hosts', 'sent'])
    expect(report.sent).toBe(false)
    const [{ n }] = await t.kernel.database.query<{ n: number }>(sql`select count(*)::int as n from users`)
    expect(report.resources.users.total).toBe(n)
    expect(Object.values(report.resources.users.languages as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(n)
  })
})

describe('/api/admin/system/updates', () => {
  test('GET: no update information (null)', async () => {
    const res = await t.request('GET', '/api/admin/system/updates', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ update_information: null })
  })

  test('POST /recheck: 417 no update information available', async () => {
    const res = await t.request('POST', '/api/admin/system/updates/recheck', { cookie: admin.cookie })
    expect(res.status).toBe(417)
    expect(res.body).toEqual({ errors: ['no update information available'] })
  })

  test('GET /history: empty in the reference’s shape', async () => {
    const res = await t.request('GET', '/api/admin/system/updates/history', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ version_history: { panel: [], extensions: {} } })
  })

  test('GET /nodes and /database-agent-hosts: 417 until update information exists (never, offline)', async () => {
    for (const path of ['/api/admin/system/updates/nodes', '/api/admin/system/updates/database-agent-hosts?page=2&per_page=5']) {
      const res = await t.request('GET', path, { cookie: admin.cookie })
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: ['no update information available, try triggering a recheck'] })
    }
  })

  test('400 for a bad page on /nodes; 403 naming nodes.read or database-agent-hosts.read', async () => {
    const bad = await t.request('GET', '/api/admin/system/updates/nodes?page=0', { cookie: admin.cookie })
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0]).toStartWith('page')
    const stats = await roleCaller(t, admin, ['stats.read'])
    await expectGuarded(t, { method: 'GET', path: '/api/admin/system/updates/nodes' }, plain, [{ cookie: stats.cookie }], 'nodes.read')
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/system/updates/database-agent-hosts' },
      plain,
      [{ cookie: stats.cookie }],
      'database-agent-hosts.read',
    )
  })

  test('a role without stats.read is refused', async () => {
    const other = await roleCaller(t, admin, ['settings.read'])
    for (const [method, path] of [
      ['GET', '/api/admin/system/updates'],
      ['POST', '/api/admin/system/updates/recheck'],
      ['GET', '/api/admin/system/telemetry'],
    ]) {
      await expectGuarded(t, { method, path }, plain, [{ cookie: other.cookie }], 'stats.read')
    }
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { definePlugin } from 'hatchery'
import {
  adminCaller,
  bundledPlugins,
  bundledPluginsWithout,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  inlinePlugin,
  makeUser,
  narrowedAdminKey,
  plainCaller,
  prepareAdminTests,
  roleCaller,
  SETUP_TIMEOUT,
  testApp,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { t as T } from 'elysia'
import stats, { GENERAL_STATS } from '.'
import { tables as userTables } from '../users'

// A plugin standing in for servers (left out here) contributing a reference key, and an extension key of its own.
const serversLike = definePlugin({
  name: 'servers-like',
  version: '1.0.0',
  dependsOn: ['stats'],
  setup(ctx) {
    ctx.api(stats).contribute('servers', async () => 7, ctx.plugin)
    ctx.api(stats).contribute('widgets', async () => 3, ctx.plugin)
  },
})

const t = useTestApp(async () => ({ plugins: [...(await bundledPluginsWithout('servers')), inlinePlugin(serversLike)] }))
let admin: AdminCaller
let plain: AdminCaller

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
}, SETUP_TIMEOUT)

const Stats = T.Object(Object.fromEntries([...GENERAL_STATS, 'widgets'].map((k) => [k, T.Integer({ minimum: 0 })])))

describe('GET /api/admin/stats/general', () => {
  test("the reference's keys in its order, counted by their plugins, zeros where none counts; extension keys after them", async () => {
    await makeUser(t)
    await roleCaller(t, admin, ['stats.read'])
    const config = await t.request('POST', '/api/admin/backup-configurations', {
      cookie: admin.cookie,
      body: { name: 'stats-config', maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {} },
    })
    expect(config.status, JSON.stringify(config.body)).toBe(200)
    for (const name of ['stats-a', 'stats-b']) {
      const created = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name } })
      expect(created.status).toBe(200)
    }
    const res = await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Stats, res.body.stats)
    const db = t.kernel.database.db
    expect(res.body.stats).toEqual({
      users: await db.$count(userTables.users),
      servers: 7,
      locations: 2,
      nodes: 0,
      nest_eggs: 0,
      database_hosts: 0,
      backup_configurations: 1,
      roles: await db.$count(userTables.roles),
      widgets: 3,
    })
    expect(Object.keys(res.body.stats)).toEqual([...GENERAL_STATS, 'widgets'])
    expect(res.body.stats.users).toBeGreaterThanOrEqual(3)
    expect(res.body.stats.roles).toBeGreaterThanOrEqual(1)
  })

  test('a role or a narrowed key holding stats.read reads them', async () => {
    const reader = await roleCaller(t, admin, ['stats.read'])
    expect((await t.request('GET', '/api/admin/stats/general', { cookie: reader.cookie })).status).toBe(200)
    expect((await t.request('GET', '/api/admin/stats/general', { token: await narrowedAdminKey(t, admin, ['stats.read']) })).status).toBe(
      200,
    )
  })

  test('401 / 403 without stats.read (role and narrowed key)', async () => {
    const other = await roleCaller(t, admin, ['announcements.read'])
    const otherKey = await narrowedAdminKey(t, admin, ['announcements.read'])
    await expectGuarded(
      t,
      { method: 'GET', path: '/api/admin/stats/general' },
      plain,
      [{ cookie: other.cookie }, { token: otherKey }],
      'stats.read',
    )
    await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'stats' })
  })

  test('no input to refuse: an unknown query key is ignored, as on every route', async () => {
    expect((await t.request('GET', '/api/admin/stats/general?x=1', { cookie: admin.cookie })).status).toBe(200)
  })
})

test(
  'a key contributed by two plugins stops boot, naming both',
  async () => {
    const rival = definePlugin({
      name: 'rival',
      version: '1.0.0',
      dependsOn: ['stats'],
      setup: (ctx) => ctx.api(stats).contribute('users', async () => 1, ctx.plugin),
    })
    const error = await testApp({ plugins: [...(await bundledPlugins()), inlinePlugin(rival)] }).then(
      async (app) => {
        await app.close()
        return null
      },
      (e) => e,
    )
    expect(String(error)).toContain("stats key 'users' contributed by both stats and rival")
  },
  SETUP_TIMEOUT,
)

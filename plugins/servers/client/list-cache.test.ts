import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { watch } from 'hatchery'
import { login, makeUser, SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { openDatabase, type Database } from '../../../src/db/client'
import { tables as allocationTables } from '../../allocations'
import { tables as eggConfigTables } from '../../egg-configurations'
import { serverAllocations, servers } from '../tables'
import { CLIENT_SERVER_TABLES } from './servers'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
const na = allocationTables.nodeAllocations
let allocations: string[] = []

/** The statements sent on the request pool while `fn` runs (the list route runs outside transactions). */
// What the kernel runs on its own timers whatever the request: the settings cache's refresh (every
// 2 s) and the credentials' batched last_used writes (every 5 s, in a transaction). CI caught the
// first landing inside a measured request once.
const BACKGROUND = [/^select key, value from settings\b/, /"user_sessions"|"user_api_keys"/, /^\s*(begin|commit|rollback)\b/i]

/** The statements sent while `fn` runs, leaving out the kernel's background ones. */
async function statementsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const client = (t.kernel.database.db as unknown as { $client: { query: (...a: any[]) => any } }).$client
  const query = client.query
  const seen: string[] = []
  client.query = function (this: unknown, ...args: any[]) {
    seen.push(typeof args[0] === 'string' ? args[0] : args[0]?.text)
    return query.apply(this, args)
  }
  try {
    await fn()
  } finally {
    client.query = query
  }
  return seen.filter((text) => !BACKGROUND.some((re) => re.test(text)))
}
const readsServers = (statements: string[]) => statements.some((s) => s.includes('"servers"'))

const list = async (cookie = k.owner.cookie, query = 'per_page=50') => {
  const res = await t.request('GET', `/api/client/servers?${query}`, { cookie })
  expect(res.status).toBe(200)
  return res.body.servers as { total: number; data: any[] }
}
const mine = async (uuid: string, cookie = k.owner.cookie) => (await list(cookie)).data.find((s) => s.uuid === uuid)

/**
 * A server of the owner, once its install on the Wings double has been reported (that report
 * writes the row, which rightly empties the cache: a test of a cache hit must not race it).
 */
async function server(over: Record<string, unknown> = {}): Promise<string> {
  const uuid = await k.server(over)
  for (let i = 0; i < 400 && (await k.row(uuid)).status !== null; i++) await Bun.sleep(5)
  expect((await k.row(uuid)).status).toBeNull()
  return uuid
}

/** Until the change feed can be trusted (PostgreSQL: its listener connected). */
async function feedReady(): Promise<void> {
  const w = watch(t.kernel.database.db, CLIENT_SERVER_TABLES)
  for (let i = 0; i < 400 && w.version() === null; i++) await Bun.sleep(5)
  expect(w.version()).not.toBeNull()
}

beforeAll(async () => {
  const res = await t.request('POST', `/api/admin/nodes/${k.at.node.uuid}/allocations`, {
    cookie: k.admin.cookie,
    body: { ip: '10.9.0.1', ip_alias: null, ports: [41000, 41001, 41002, 41003] },
  })
  expect(res.status).toBe(200)
  allocations = (await k.db().select().from(na).where(eq(na.node_uuid, k.at.node.uuid))).map((r) => r.uuid)
  await feedReady()
}, SETUP_TIMEOUT)

describe('GET /api/client/servers: cached pages', () => {
  test('a repeated request is answered from the cache (no SQL), the same page', async () => {
    await server()
    const first = await statementsOf(() => list())
    expect(readsServers(first)).toBe(true)
    const answered = t.readyLane.answered
    const again = await statementsOf(async () => expect(await list()).toEqual(await list()))
    expect(again).toEqual([])
    // A loaded page is the ready lane's (the pipeline's otherwise, once a second: caches reload).
    expect(t.readyLane.answered).toBeGreaterThan(answered)
    // Another page, search or caller is another entry.
    expect(readsServers(await statementsOf(() => list(k.owner.cookie, 'per_page=49')))).toBe(true)
    expect(readsServers(await statementsOf(() => list(k.admin.cookie)))).toBe(true)
  })

  test('every change of what the page shows is seen by the next request', async () => {
    const uuid = await server({ allocation_uuid: allocations[0] })
    const { node_uuid, location_uuid } = await mine(uuid)
    // The cached page (answered by the ready lane) is dropped by each change: the pipeline reads it again.
    const fresh = async (change: () => Promise<unknown>, check: (s: any) => void) => {
      await mine(uuid)
      expect(readsServers(await statementsOf(() => mine(uuid)))).toBe(false)
      await change()
      check(await mine(uuid))
    }
    const ok = (res: { status: number; body: any }) => expect([res.status, res.body?.errors]).toEqual([200, undefined])
    const patch = (path: string, body: unknown) => t.request('PATCH', path, { cookie: k.admin.cookie, body }).then(ok)

    await fresh(
      () =>
        t
          .request('POST', `/api/client/servers/${uuid}/settings/rename`, {
            cookie: k.owner.cookie,
            body: { name: 'renamed by owner', description: null },
          })
          .then(ok),
      (s) => expect(s.name).toBe('renamed by owner'),
    )
    await fresh(
      () => patch(`/api/admin/servers/${uuid}`, { name: 'renamed by admin' }),
      (s) => expect(s.name).toBe('renamed by admin'),
    )
    await fresh(
      () => patch(`/api/admin/nodes/${node_uuid}`, { name: 'renamed-node' }),
      (s) => expect(s.node_name).toBe('renamed-node'),
    )
    await fresh(
      () => patch(`/api/admin/locations/${location_uuid}`, { name: 'renamed-location' }),
      (s) => expect(s.location_name).toBe('renamed-location'),
    )
    await fresh(
      () => patch(`/api/admin/nests/${k.egg.nest}/eggs/${k.egg.uuid}`, { name: 'Renamed egg' }),
      (s) => expect(s.egg.name).toBe('Renamed egg'),
    )
    await fresh(
      () => k.db().update(na).set({ ip_alias: 'play.example.com' }).where(eq(na.uuid, allocations[0])),
      (s) => expect(s.allocation.ip_alias).toBe('play.example.com'),
    )
    await fresh(
      () => k.db().update(serverAllocations).set({ notes: 'the main port' }).where(eq(serverAllocations.server_uuid, uuid)),
      (s) => expect(s.allocation.notes).toBe('the main port'),
    )
    await fresh(
      async () => {
        const [config] = await k
          .db()
          .insert(eggConfigTables.eggConfigurations)
          .values({ name: `cache ${Math.random()}`, config_startup: { allow_custom_startup_command: true } })
          .returning()
        await k
          .db()
          .insert(eggConfigTables.eggConfigurationEggs)
          .values({ egg_configuration_uuid: config.uuid, egg_uuid: k.egg.uuid, position: 0 })
      },
      (s) => expect(s.egg_configuration.startup_allow_custom_command).toBe(true),
    )
    await fresh(
      () => patch(`/api/admin/servers/${uuid}`, { suspended: true }),
      (s) => expect(s.is_suspended).toBe(true),
    )
    await fresh(
      () => k.db().update(servers).set({ status: 'install_failed' }).where(eq(servers.uuid, uuid)),
      (s) => expect(s.status).toBe('install_failed'),
    )
  })

  test('a new server, a subuser added or removed, a deleted server change the lists at once', async () => {
    const before = (await list()).total
    const uuid = await server()
    expect((await list()).total).toBe(before + 1)
    const friend = await makeUser(t)
    const cookie = await login(t, friend)
    expect((await list(cookie)).total).toBe(0)
    expect((await list(cookie)).total).toBe(0)
    const added = await t.request('POST', `/api/client/servers/${uuid}/subusers`, {
      cookie: k.owner.cookie,
      body: { email: friend.email, permissions: ['control.console'], ignored_files: [] },
    })
    expect(added.status).toBe(200)
    const shared = await list(cookie)
    expect([shared.total, shared.data[0].uuid, shared.data[0].is_owner, shared.data[0].permissions]).toEqual([
      1,
      uuid,
      false,
      ['control.console'],
    ])
    const removed = await t.request('DELETE', `/api/client/servers/${uuid}/subusers/${friend.uuid}`, { cookie: k.owner.cookie })
    expect(removed.status).toBe(200)
    expect((await list(cookie)).total).toBe(0)
    // A write the statement classifier cannot name (a CTE) empties every page too.
    await list()
    await t.kernel.database.query(
      sql`with gone as (delete from ${servers} where ${servers.uuid} = ${uuid} returning 1) select count(*) from gone`,
    )
    expect((await list()).total).toBe(before)
  })
})

describe('GET /api/client/servers/{server}: cached object', () => {
  test('a repeated request runs no SQL (the scope resolution is cached too); changes are seen by the next request', async () => {
    const uuid = await server()
    const one = async (cookie = k.owner.cookie) => {
      const res = await t.request('GET', `/api/client/servers/${uuid}`, { cookie })
      expect(res.status).toBe(200)
      return res.body.server
    }
    const first = await statementsOf(() => one())
    expect(first.some((s) => s.includes('"nest_eggs"'))).toBe(true)
    expect(await statementsOf(() => one())).toEqual([])
    const ok = (res: { status: number; body: any }) => expect([res.status, res.body?.errors]).toEqual([200, undefined])
    await t
      .request('POST', `/api/client/servers/${uuid}/settings/rename`, {
        cookie: k.owner.cookie,
        body: { name: 'one renamed', description: 'd' },
      })
      .then(ok)
    expect([(await one()).name, (await one()).description]).toEqual(['one renamed', 'd'])
    await t.request('PATCH', `/api/admin/nodes/${k.at.node.uuid}`, { cookie: k.admin.cookie, body: { name: 'node-again' } }).then(ok)
    expect((await one()).node_name).toBe('node-again')
    // The admin (another caller) gets its own object: permissions ["*"], not the owner's entry.
    expect((await one(k.admin.cookie)).is_owner).toBe(false)
    expect((await one()).is_owner).toBe(true)
  })

  test('who reaches the server follows the subusers and the state gate at once', async () => {
    const uuid = await server()
    const friend = await makeUser(t)
    const cookie = await login(t, friend)
    const at = (path = '') => t.request('GET', `/api/client/servers/${uuid}${path}`, { cookie })
    expect((await at()).status).toBe(404)
    expect((await at()).status).toBe(404)
    const added = await t.request('POST', `/api/client/servers/${uuid}/subusers`, {
      cookie: k.owner.cookie,
      body: { email: friend.email, permissions: ['startup.read'], ignored_files: [] },
    })
    expect(added.status).toBe(200)
    expect((await at()).status).toBe(200)
    expect((await at('/startup/variables')).status).toBe(200)
    expect((await at('/startup/variables')).status).toBe(200)
    const removed = await t.request('DELETE', `/api/client/servers/${uuid}/subusers/${friend.uuid}`, { cookie: k.owner.cookie })
    expect(removed.status).toBe(200)
    expect((await at()).status).toBe(404)
    const mine = (path: string) => t.request('GET', `/api/client/servers/${uuid}${path}`, { cookie: k.owner.cookie })
    expect((await mine('/startup/variables')).status).toBe(200)
    expect((await mine('/startup/variables')).status).toBe(200)
    const suspended = await t.request('PATCH', `/api/admin/servers/${uuid}`, { cookie: k.admin.cookie, body: { suspended: true } })
    expect(suspended.status).toBe(200)
    expect([(await mine('/startup/variables')).status, (await mine('')).body.server.is_suspended]).toEqual([409, true])
  })
})

describe.if(!!process.env.DATABASE_URL)('GET /api/client/servers: other panel processes (PostgreSQL)', () => {
  let other: Database
  beforeAll(async () => void (other = await openDatabase({ databaseUrl: t.db.url!, dataDir: '', max: 1 })))
  afterAll(() => other?.close())

  /** Lists until `seen` holds (another process's change arrives by notification, within milliseconds). */
  async function eventually(seen: (s: any) => boolean, uuid: string): Promise<any> {
    let s: any
    for (let i = 0; i < 200 && !seen((s = await mine(uuid))); i++) await Bun.sleep(10)
    return s
  }

  test("a write through another database handle reaches this process's cached list", async () => {
    const uuid = await server()
    await mine(uuid)
    expect(readsServers(await statementsOf(() => mine(uuid)))).toBe(false)
    await other.db.update(servers).set({ name: 'renamed elsewhere' }).where(eq(servers.uuid, uuid))
    expect((await eventually((s) => s.name === 'renamed elsewhere', uuid)).name).toBe('renamed elsewhere')
  })

  test('while the listening connection is down nothing is cached; once it is back, pages are cached again', async () => {
    const uuid = await server()
    const feed = t.kernel.database.changes
    feed.retryMs = 2_000
    const w = watch(t.kernel.database.db, CLIENT_SERVER_TABLES)
    const [{ pid }] = await other.query<{ pid: number }>(
      sql`select pid from pg_stat_activity where application_name = 'hatchery-changes' and datname = current_database()`,
    )
    await other.query(sql`select pg_terminate_backend(${pid})`)
    for (let i = 0; i < 200 && w.version() !== null; i++) await Bun.sleep(5)
    expect(w.version()).toBeNull()
    await mine(uuid)
    expect(readsServers(await statementsOf(() => mine(uuid)))).toBe(true)
    // A change made meanwhile is not lost: it is read, and the reconnection moves every watch on.
    await other.db.update(servers).set({ name: 'renamed while deaf' }).where(eq(servers.uuid, uuid))
    expect((await mine(uuid)).name).toBe('renamed while deaf')
    feed.retryMs = 250
    for (let i = 0; i < 400 && w.version() === null; i++) await Bun.sleep(10)
    expect(w.version()).not.toBeNull()
    await mine(uuid)
    expect(readsServers(await statementsOf(() => mine(uuid)))).toBe(false)
    await other.db.update(servers).set({ name: 'renamed after' }).where(eq(servers.uuid, uuid))
    expect((await eventually((s) => s.name === 'renamed after', uuid)).name).toBe('renamed after')
  })
})

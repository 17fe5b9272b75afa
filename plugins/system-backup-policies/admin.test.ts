import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  runJob,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Empty } from 'hatchery'
import { SystemBackupPolicy } from './model'
import { systemBackupPolicies, systemBackupPolicyBackups } from './tables'
import { makePolicy, policiesApi, recordingRunner } from './test-kit'
import { insertServer, makeEgg, makeNode } from '../servers/test-fixtures'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['system-backup-policies.read']))
}, SETUP_TIMEOUT)

const BASE = '/api/admin/system-backup-policies'
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const uniq = (p = 'policy') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const stored = async (uuid: string) =>
  (await t.kernel.database.db.select().from(systemBackupPolicies).where(eq(systemBackupPolicies.uuid, uuid)))[0]
const runner = recordingRunner()

async function makeBackupConfiguration() {
  const res = await t.request('POST', '/api/admin/backup-configurations', {
    cookie: admin.cookie,
    body: { name: uniq('bc'), maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {} },
  })
  expect(res.status).toBe(200)
  return res.body.backup_configuration as { uuid: string }
}

test('every route is guarded', async () => {
  await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'system-backup-policies',
    admin,
    bodies: {
      'POST /api/admin/system-backup-policies': { name: 'x', enabled: true, cron: '* * * * *', parallelism: 1 },
      'POST /api/admin/system-backup-policies/:system_backup_policy/locations': { location_uuid: NO_SUCH },
      'POST /api/admin/system-backup-policies/:system_backup_policy/nodes': { node_uuid: NO_SUCH },
      'POST /api/admin/system-backup-policies/:system_backup_policy/servers': { server_uuid: NO_SUCH },
    },
  })
})

describe('POST /api/admin/system-backup-policies', () => {
  test('creates the policy object with its backup configuration and counts; logs system-backup-policy:create', async () => {
    const bc = await makeBackupConfiguration()
    const res = await t.request('POST', BASE, {
      cookie: admin.cookie,
      body: {
        name: 'Nightly',
        description: 'all of DE',
        backup_configuration_uuid: bc.uuid.toUpperCase(),
        enabled: true,
        cron: '0 0 3 * * *',
        retention_count: 7,
        retention_days: 30,
        parallelism: 4,
      },
    })
    expect(res.status).toBe(200)
    expectModel(SystemBackupPolicy, res.body.system_backup_policy)
    const p = res.body.system_backup_policy
    expect(p).toMatchObject({
      name: 'Nightly',
      description: 'all of DE',
      enabled: true,
      cron: '0 0 3 * * *',
      retention_count: 7,
      retention_days: 30,
      parallelism: 4,
      triggered: null,
      total_nodes: 0,
      total_locations: 0,
      total_servers: 0,
      total_backups: 0,
    })
    expect(p.backup_configuration.uuid).toBe(bc.uuid)
    const [event] = await adminEvents(t, admin, 'system-backup-policy:create')
    expect(event.data).toEqual({ uuid: p.uuid, name: 'Nightly', description: 'all of DE', enabled: true, cron: '0 0 3 * * *' })
    const minimal = await makePolicy(t, admin, { description: undefined })
    expect(minimal).toMatchObject({ backup_configuration: null, description: null, retention_count: null, retention_days: null })
  })

  test('400 for a bad cron, retention below 1, parallelism outside 1..100, an unknown backup configuration; 409 on a taken name', async () => {
    const body = { name: uniq(), enabled: true, cron: '*/5 * * * *', parallelism: 1 }
    for (const [over, message] of [
      [{ cron: 'every day' }, 'cron: invalid cron expression'],
      [{ cron: '61 * * * *' }, 'cron: invalid cron expression'],
      [{ cron: '2026-12-07T10:00:00Z' }, 'cron: invalid cron expression'],
      [{ cron: '0 0 0 * * * 2027' }, 'cron: invalid cron expression'],
      [{ retention_count: 0 }, 'retention_count'],
      [{ retention_days: 0 }, 'retention_days'],
      [{ parallelism: 0 }, 'parallelism'],
      [{ parallelism: 101 }, 'parallelism'],
      [{ backup_configuration_uuid: NO_SUCH }, 'invalid relation `backup_configuration` provided'],
      [{ name: '' }, 'name'],
    ] as const) {
      const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { ...body, ...over } })
      expect(res.status).toBe(400)
      expect(res.body.errors.join(' ')).toContain(message)
    }
    const valid = await t.request('POST', BASE, { cookie: admin.cookie, body })
    expect(valid.status).toBe(200)
    const taken = await t.request('POST', BASE, { cookie: admin.cookie, body })
    expect([taken.status, taken.body.errors]).toEqual([409, ['system backup policy with name already exists']])
  })

  test('401, 403', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: BASE, body: { name: uniq(), enabled: true, cron: '* * * * *', parallelism: 1 } },
      plain,
      denied(),
      'system-backup-policies.create',
    )
  })
})

describe('GET /api/admin/system-backup-policies', () => {
  test('pages by creation with an exact total; search matches the name', async () => {
    const a = await makePolicy(t, admin, { name: uniq('alpha') })
    const b = await makePolicy(t, admin, { name: uniq('beta') })
    const all = await t.request('GET', `${BASE}?per_page=100`, { cookie: reader.cookie })
    expect(all.status).toBe(200)
    const uuids = all.body.system_backup_policies.data.map((p: any) => p.uuid)
    expect(uuids.indexOf(a.uuid)).toBeLessThan(uuids.indexOf(b.uuid))
    for (const p of all.body.system_backup_policies.data) expectModel(SystemBackupPolicy, p)
    const searched = await t.request('GET', `${BASE}?search=${b.name.toUpperCase()}`, { cookie: admin.cookie })
    expect(searched.body.system_backup_policies).toMatchObject({ total: 1, data: [{ uuid: b.uuid }] })
    const paged = await t.request('GET', `${BASE}?per_page=1&page=2`, { cookie: admin.cookie })
    expect(paged.body.system_backup_policies.total).toBe(all.body.system_backup_policies.total)
    expect(paged.body.system_backup_policies.data).toHaveLength(1)
    expect((await t.request('GET', `${BASE}?page=0`, { cookie: admin.cookie })).status).toBe(400)
  })

  test('401, 403', async () => {
    await expectGuarded(t, { method: 'GET', path: BASE }, plain, [], 'system-backup-policies.read')
    const p = await makePolicy(t, admin)
    await expectGuarded(t, { method: 'GET', path: `${BASE}/${p.uuid}` }, plain, [], 'system-backup-policies.read')
  })
})

describe('GET /api/admin/system-backup-policies/{policy}', () => {
  test('one policy; 400 malformed, 404 unknown', async () => {
    const p = await makePolicy(t, admin)
    const res = await t.request('GET', `${BASE}/${p.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(SystemBackupPolicy, res.body.system_backup_policy)
    expect(res.body.system_backup_policy.uuid).toBe(p.uuid)
    const bad = await t.request('GET', `${BASE}/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid system backup policy uuid']])
    const missing = await t.request('GET', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie })
    expect([missing.status, missing.body.errors]).toEqual([404, ['system backup policy not found']])
  })
})

describe('PATCH /api/admin/system-backup-policies/{policy}', () => {
  test('changes what is sent, null clears; logs system-backup-policy:update', async () => {
    const bc = await makeBackupConfiguration()
    const p = await makePolicy(t, admin, { description: 'd', retention_count: 3, backup_configuration_uuid: bc.uuid })
    const res = await t.request('PATCH', `${BASE}/${p.uuid}`, {
      cookie: admin.cookie,
      body: {
        name: 'Renamed',
        description: null,
        retention_count: null,
        retention_days: 2,
        parallelism: 100,
        backup_configuration_uuid: null,
      },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const got = (await t.request('GET', `${BASE}/${p.uuid}`, { cookie: admin.cookie })).body.system_backup_policy
    expect(got).toMatchObject({
      name: 'Renamed',
      description: null,
      retention_count: null,
      retention_days: 2,
      parallelism: 100,
      backup_configuration: null,
      cron: '* * * * *',
    })
    const [event] = await adminEvents(t, admin, 'system-backup-policy:update')
    expect(event.data).toEqual({ uuid: p.uuid, name: 'Renamed', description: null, enabled: true, cron: '* * * * *' })
  })

  test('a changed cron or a policy switched on counts its slots from now', async () => {
    const p = await makePolicy(t, admin, { enabled: false })
    const before = (await stored(p.uuid)).last_slot
    await Bun.sleep(5)
    expect((await t.request('PATCH', `${BASE}/${p.uuid}`, { cookie: admin.cookie, body: { description: 'x' } })).status).toBe(200)
    expect((await stored(p.uuid)).last_slot).toEqual(before)
    expect((await t.request('PATCH', `${BASE}/${p.uuid}`, { cookie: admin.cookie, body: { enabled: true } })).status).toBe(200)
    expect((await stored(p.uuid)).last_slot.getTime()).toBeGreaterThan(before.getTime())
  })

  test('400 bad cron / relation / parallelism, 409 taken name, 404, 401, 403', async () => {
    const p = await makePolicy(t, admin)
    const other = await makePolicy(t, admin)
    const path = `${BASE}/${p.uuid}`
    for (const body of [{ cron: 'nope' }, { parallelism: 0 }, { backup_configuration_uuid: NO_SUCH }, { retention_days: -1 }]) {
      expect((await t.request('PATCH', path, { cookie: admin.cookie, body })).status).toBe(400)
    }
    const taken = await t.request('PATCH', path, { cookie: admin.cookie, body: { name: other.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['system backup policy with name already exists']])
    expect((await t.request('PATCH', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    await expectGuarded(t, { method: 'PATCH', path, body: { name: uniq() } }, plain, denied(), 'system-backup-policies.update')
  })
})

describe('POST /api/admin/system-backup-policies/{policy}/trigger', () => {
  test('503 `backups are not available` until the runner is provided: trigger, delete with delete_backups (nothing deleted); the job skips', async () => {
    policiesApi(t).runners.withdraw()
    const p = await makePolicy(t, admin)
    const res = await t.request('POST', `${BASE}/${p.uuid}/trigger`, { cookie: admin.cookie })
    expect([res.status, res.body.errors]).toEqual([503, ['backups are not available']])
    await runJob(t, 'system-backup-policies:run')
    expect((await stored(p.uuid)).triggered).toBeNull()
    const node = await makeNode(t, admin)
    const server = await insertServer(t, { node: node.node.uuid, owner: admin.uuid, egg: (await makeEgg(t)).uuid })
    await t.kernel.database.db
      .insert(systemBackupPolicyBackups)
      .values({ policy_uuid: p.uuid, backup_uuid: crypto.randomUUID(), server_uuid: server.uuid, slot: new Date() })
    const del = await t.request('DELETE', `${BASE}/${p.uuid}`, { cookie: admin.cookie, body: { delete_backups: true } })
    expect([del.status, del.body.errors]).toEqual([503, ['backups are not available']])
    expect(await stored(p.uuid)).toBeDefined()
  })

  test('runs the policy now: triggered while pending, null after; logs system-backup-policy:trigger', async () => {
    policiesApi(t).provideRunner(runner)
    const node = await makeNode(t, admin)
    const egg = await makeEgg(t)
    const server = await insertServer(t, { node: node.node.uuid, owner: admin.uuid, egg: egg.uuid })
    const p = await makePolicy(t, admin)
    await t.request('POST', `${BASE}/${p.uuid}/servers`, { cookie: admin.cookie, body: { server_uuid: server.uuid } })
    runner.delayMs = 50
    const res = await t.request('POST', `${BASE}/${p.uuid}/trigger`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const pending = (await t.request('GET', `${BASE}/${p.uuid}`, { cookie: admin.cookie })).body.system_backup_policy
    expect(pending.triggered).not.toBeNull()
    await policiesApi(t).engine.settled()
    runner.delayMs = 0
    const done = (await t.request('GET', `${BASE}/${p.uuid}`, { cookie: admin.cookie })).body.system_backup_policy
    expect(done).toMatchObject({ triggered: null, total_backups: 1, total_servers: 1 })
    const started = runner.started.filter((s) => s.options.policyUuid === p.uuid)
    expect(started).toHaveLength(1)
    expect(started[0]).toMatchObject({ server: server.uuid, options: { backupConfigurationUuid: null } })
    expect(started[0].options.name).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$/)
    const [event] = await adminEvents(t, admin, 'system-backup-policy:trigger')
    expect(event.data).toEqual({ uuid: p.uuid, name: p.name })
  })

  test('404, 401, 403 (update)', async () => {
    expect((await t.request('POST', `${BASE}/${NO_SUCH}/trigger`, { cookie: admin.cookie })).status).toBe(404)
    const p = await makePolicy(t, admin)
    await expectGuarded(t, { method: 'POST', path: `${BASE}/${p.uuid}/trigger` }, plain, denied(), 'system-backup-policies.update')
  })
})

describe('DELETE /api/admin/system-backup-policies/{policy}', () => {
  test('deletes the policy and its links; logs system-backup-policy:delete', async () => {
    const p = await makePolicy(t, admin)
    const res = await t.request('DELETE', `${BASE}/${p.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(p.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'system-backup-policy:delete')
    expect(event.data).toEqual({ uuid: p.uuid, name: p.name, delete_backups: false })
    expect((await t.request('DELETE', `${BASE}/${p.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('delete_backups deletes the backups it started through the runner; without it they stay', async () => {
    const node = await makeNode(t, admin)
    const egg = await makeEgg(t)
    const server = await insertServer(t, { node: node.node.uuid, owner: admin.uuid, egg: egg.uuid })
    const make = async () => {
      const p = await makePolicy(t, admin)
      await t.request('POST', `${BASE}/${p.uuid}/servers`, { cookie: admin.cookie, body: { server_uuid: server.uuid } })
      await t.request('POST', `${BASE}/${p.uuid}/trigger`, { cookie: admin.cookie })
      await policiesApi(t).engine.settled()
      return [p, runner.started.find((s) => s.options.policyUuid === p.uuid)!.backup] as const
    }
    const [kept, keptBackup] = await make()
    const [gone, goneBackup] = await make()
    expect((await t.request('DELETE', `${BASE}/${kept.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await t.request('DELETE', `${BASE}/${gone.uuid}`, { cookie: admin.cookie, body: { delete_backups: true } })).status).toBe(200)
    await policiesApi(t).engine.settled()
    expect(runner.removed).toContain(goneBackup)
    expect(runner.removed).not.toContain(keptBackup)
    const links = await t.kernel.database.db
      .select()
      .from(systemBackupPolicyBackups)
      .where(eq(systemBackupPolicyBackups.server_uuid, server.uuid))
    expect(links).toHaveLength(0)
  })

  test('400 malformed, 401, 403 (delete)', async () => {
    expect((await t.request('DELETE', `${BASE}/nope`, { cookie: admin.cookie })).status).toBe(400)
    const p = await makePolicy(t, admin)
    await expectGuarded(t, { method: 'DELETE', path: `${BASE}/${p.uuid}` }, plain, denied(), 'system-backup-policies.delete')
  })
})

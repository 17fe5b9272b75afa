import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCaller, prepareAdminTests, runJob, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { insertServer, makeEgg, makeNode } from '../servers/test-fixtures'
import { PolicyEngine } from './service/engine'
import { RunnerSlot } from './service/runner'
import { systemBackupPolicies, systemBackupPolicyBackups } from './tables'
import { link, makePolicy, policiesApi, recordingRunner, type RecordingRunner } from './test-kit'

const t = useTestApp()
let admin: AdminCaller
let egg: { uuid: string }
const appRunner = recordingRunner()

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  egg = await makeEgg(t)
  policiesApi(t).provideRunner(appRunner)
}, SETUP_TIMEOUT)

const BASE = '/api/admin/system-backup-policies'
const db = () => t.kernel.database.db
/** A moment a minute ahead: the next minute boundary is then a slot after every policy's creation. */
const later = () => new Date(Date.now() + 60_000)

function engine(runner: RecordingRunner): PolicyEngine {
  const slot = new RunnerSlot()
  slot.provide(runner)
  return new PolicyEngine(db(), t.kernel.contexts.get('system-backup-policies')!.log, slot)
}

const server = (node: string, over: Record<string, unknown> = {}) => insertServer(t, { node, owner: admin.uuid, egg: egg.uuid }, over)
const startedBy = (runner: RecordingRunner, policy: string) => runner.started.filter((s) => s.options.policyUuid === policy)
const linksOf = (policy: string) => db().select().from(systemBackupPolicyBackups).where(eq(systemBackupPolicyBackups.policy_uuid, policy))
/** Switches a policy off so that later ticks of other tests leave it alone. */
const retire = (policy: string) => db().update(systemBackupPolicies).set({ enabled: false }).where(eq(systemBackupPolicies.uuid, policy))

async function nodeIn(location: string) {
  const res = await t.request('POST', '/api/admin/nodes', {
    cookie: admin.cookie,
    body: {
      location_uuid: location,
      name: `node_${Math.random().toString(36).slice(2, 9)}`,
      deployment_enabled: true,
      maintenance_enabled: false,
      url: 'http://127.0.0.1:1',
      sftp_port: 2022,
      memory: 0,
      disk: 0,
    },
  })
  expect(res.status).toBe(200)
  return res.body.node as { uuid: string }
}

describe('a cron run', () => {
  test('covers servers through a location, a node and directly, each once; skips the installing ones and those not covered', async () => {
    const first = (await makeNode(t, admin)).node
    const location = (await t.request('GET', `/api/admin/nodes/${first.uuid}`, { cookie: admin.cookie })).body.node.location.uuid
    const second = await nodeIn(location)
    const other = (await makeNode(t, admin)).node
    const third = (await makeNode(t, admin)).node
    const [a, b, c] = [await server(first.uuid), await server(second.uuid), await server(other.uuid)]
    const [direct, uncovered] = [await server(third.uuid), await server(third.uuid)]
    await server(first.uuid, { status: 'installing' })
    const bc = await t.request('POST', '/api/admin/backup-configurations', {
      cookie: admin.cookie,
      body: {
        name: `bc_${Math.random().toString(36).slice(2, 9)}`,
        maintenance_enabled: false,
        shared: false,
        backup_disk: 'local',
        backup_configs: {},
      },
    })
    const policy = await makePolicy(t, admin, { backup_configuration_uuid: bc.body.backup_configuration.uuid })
    await link(t, admin, policy.uuid, 'location', location)
    await link(t, admin, policy.uuid, 'node', first.uuid)
    await link(t, admin, policy.uuid, 'node', other.uuid)
    await link(t, admin, policy.uuid, 'server', a.uuid)
    await link(t, admin, policy.uuid, 'server', direct.uuid)

    const runner = recordingRunner()
    const now = later()
    await engine(runner).tick(now)
    const started = startedBy(runner, policy.uuid)
    expect(started.map((s) => s.server).sort()).toEqual([a.uuid, b.uuid, c.uuid, direct.uuid].sort())
    expect(started.map((s) => s.server)).not.toContain(uncovered.uuid)
    const slot = new Date(Math.floor(now.getTime() / 60_000) * 60_000)
    for (const s of started) {
      expect(s.options).toEqual({
        name: `${slot.toISOString().slice(0, 19).replace('T', ' ')} +0000`,
        backupConfigurationUuid: bc.body.backup_configuration.uuid,
        policyUuid: policy.uuid,
      })
    }
    const links = await linksOf(policy.uuid)
    expect(links.map((l) => l.backup_uuid).sort()).toEqual(started.map((s) => s.backup).sort())
    for (const l of links) expect(l.slot).toEqual(slot)

    await engine(runner).tick(now)
    expect(startedBy(runner, policy.uuid)).toHaveLength(4)
    await retire(policy.uuid)
  })

  test('runs at most `parallelism` backups at once', async () => {
    const node = (await makeNode(t, admin)).node
    for (let i = 0; i < 5; i++) await server(node.uuid)
    const policy = await makePolicy(t, admin, { parallelism: 2 })
    await link(t, admin, policy.uuid, 'node', node.uuid)
    const runner = recordingRunner(40)
    await engine(runner).tick(later())
    expect(startedBy(runner, policy.uuid)).toHaveLength(5)
    expect(runner.maxActive.get(policy.uuid)).toBe(2)
    await retire(policy.uuid)
  })

  test('a disabled policy, or one whose cron has no occurrence since its creation, does not run', async () => {
    const node = (await makeNode(t, admin)).node
    await server(node.uuid)
    const off = await makePolicy(t, admin, { enabled: false })
    const nightly = await makePolicy(t, admin, { cron: '0 0 3 1 1 *' })
    for (const p of [off, nightly]) await link(t, admin, p.uuid, 'node', node.uuid)
    const runner = recordingRunner()
    await engine(runner).tick(later())
    expect(startedBy(runner, off.uuid)).toHaveLength(0)
    expect(startedBy(runner, nightly.uuid)).toHaveLength(0)
    await retire(nightly.uuid)
  })

  test('engines racing on the same slot start each server once', async () => {
    const node = (await makeNode(t, admin)).node
    for (let i = 0; i < 3; i++) await server(node.uuid)
    const policies = [await makePolicy(t, admin), await makePolicy(t, admin), await makePolicy(t, admin)]
    for (const p of policies) await link(t, admin, p.uuid, 'node', node.uuid)
    const runner = recordingRunner(5)
    const now = later()
    await Promise.all([engine(runner), engine(runner), engine(runner), engine(runner)].map((e) => e.tick(now)))
    for (const p of policies) {
      const servers = startedBy(runner, p.uuid).map((s) => s.server)
      expect(servers).toHaveLength(3)
      expect(new Set(servers).size).toBe(3)
      expect(await linksOf(p.uuid)).toHaveLength(3)
      await retire(p.uuid)
    }
  })
})

describe('the job system-backup-policies:run', () => {
  test('runs a policy whose slot came through the provided runner, and claims the slot', async () => {
    const node = (await makeNode(t, admin)).node
    const s = await server(node.uuid)
    const policy = await makePolicy(t, admin)
    await link(t, admin, policy.uuid, 'server', s.uuid)
    await db()
      .update(systemBackupPolicies)
      .set({ last_slot: new Date(Date.now() - 120_000) })
      .where(eq(systemBackupPolicies.uuid, policy.uuid))
    const before = Date.now()
    await runJob(t, 'system-backup-policies:run')
    expect(startedBy(appRunner, policy.uuid).map((b) => b.server)).toEqual([s.uuid])
    const [row] = await db().select().from(systemBackupPolicies).where(eq(systemBackupPolicies.uuid, policy.uuid))
    expect(row.last_slot.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 60_000) * 60_000)
    await retire(policy.uuid)
  })
})

describe('retention', () => {
  test('retention_count 1, triggered twice: one backup per server is kept, the older ones deleted through the runner', async () => {
    const node = (await makeNode(t, admin)).node
    const [a, b] = [await server(node.uuid), await server(node.uuid)]
    const policy = await makePolicy(t, admin, { retention_count: 1, enabled: false })
    await link(t, admin, policy.uuid, 'node', node.uuid)
    for (let run = 0; run < 2; run++) {
      expect((await t.request('POST', `${BASE}/${policy.uuid}/trigger`, { cookie: admin.cookie })).status).toBe(200)
      await policiesApi(t).engine.settled()
    }
    const started = startedBy(appRunner, policy.uuid)
    expect(started).toHaveLength(4)
    const [firstRun, secondRun] = [started.slice(0, 2), started.slice(2)]
    expect(firstRun.map((s) => s.server).sort()).toEqual([a.uuid, b.uuid].sort())
    expect(appRunner.removed.filter((r) => started.some((s) => s.backup === r)).sort()).toEqual(firstRun.map((s) => s.backup).sort())
    const links = await linksOf(policy.uuid)
    expect(links.map((l) => l.backup_uuid).sort()).toEqual(secondRun.map((s) => s.backup).sort())
    const listed = await t.request('GET', `${BASE}/${policy.uuid}/backups`, { cookie: admin.cookie })
    expect(listed.body.backups.total).toBe(2)
    const got = await t.request('GET', `${BASE}/${policy.uuid}`, { cookie: admin.cookie })
    expect(got.body.system_backup_policy).toMatchObject({ total_backups: 2, triggered: null })
  })

  test('retention_days deletes the backups older than that; a failed delete keeps the link and is tried again', async () => {
    const node = (await makeNode(t, admin)).node
    const s = await server(node.uuid)
    const policy = await makePolicy(t, admin, { retention_days: 7 })
    await link(t, admin, policy.uuid, 'server', s.uuid)
    const day = 86_400_000
    const [old, recent] = [crypto.randomUUID(), crypto.randomUUID()]
    await db()
      .insert(systemBackupPolicyBackups)
      .values([
        {
          policy_uuid: policy.uuid,
          backup_uuid: old,
          server_uuid: s.uuid,
          slot: new Date(Date.now() - 10 * day),
          created: new Date(Date.now() - 10 * day),
        },
        {
          policy_uuid: policy.uuid,
          backup_uuid: recent,
          server_uuid: s.uuid,
          slot: new Date(Date.now() - 2 * day),
          created: new Date(Date.now() - 2 * day),
        },
      ])
    const runner = recordingRunner()
    runner.failRemove = true
    const now = later()
    await engine(runner).tick(now)
    expect(startedBy(runner, policy.uuid)).toHaveLength(1)
    expect((await linksOf(policy.uuid)).map((l) => l.backup_uuid)).toContain(old)
    runner.failRemove = false
    await engine(runner).tick(now)
    expect(runner.removed).toEqual([old])
    const kept = (await linksOf(policy.uuid)).map((l) => l.backup_uuid)
    expect(kept).toHaveLength(2)
    expect(kept).toContain(recent)
    expect(kept).toContain(startedBy(runner, policy.uuid)[0].backup)
    await retire(policy.uuid)
  })
})

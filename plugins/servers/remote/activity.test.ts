import { beforeAll, describe, expect, test } from 'bun:test'
import { asc, eq } from 'drizzle-orm'
import { transaction, type Actor } from 'hatchery'
import { adminCallers, makeUser, runJob, SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { serverActivities } from '../tables'
import { makeEgg } from '../test-fixtures'
import { asNode, remoteNode, serverOn, type RemoteNode } from './test-kit'

const t = useTestApp()
const db = () => t.kernel.database.db
let node: RemoteNode
let other: RemoteNode
let refs: { owner: string; egg: string }
let user: string

const logOf = (server: string) =>
  db().select().from(serverActivities).where(eq(serverActivities.server_uuid, server)).orderBy(asc(serverActivities.id))
const entry = (server: string, over: Record<string, unknown> = {}) => ({
  server,
  user: null,
  schedule: null,
  event: 'server:power.start',
  metadata: null,
  ip: null,
  timestamp: '2026-11-30T10:00:00Z',
  ...over,
})

beforeAll(async () => {
  const { admin } = await adminCallers(t, [])
  node = await remoteNode(t, admin)
  other = await remoteNode(t, admin)
  user = (await makeUser(t)).uuid
  refs = { owner: user, egg: (await makeEgg(t)).uuid }
}, SETUP_TIMEOUT)

describe('POST /api/remote/activity', () => {
  test("stores the node's entries with Wings' timestamps, user, address and metadata", async () => {
    const server = await serverOn(t, node, refs)
    const res = await asNode(t, node, 'POST', '/api/remote/activity', {
      data: [
        entry(server.uuid, { user, ip: '203.0.113.7', event: 'server:sftp.write', metadata: { files: ['/a.txt'] } }),
        entry(server.uuid, { timestamp: '2026-11-30T10:00:05.250+01:00' }),
      ],
    })
    expect([res.status, res.body]).toEqual([200, {}])
    const stored = await logOf(server.uuid)
    expect(stored.map((a) => [a.event, a.user_uuid, a.ip, a.data, a.created.toISOString()])).toEqual([
      ['server:sftp.write', user, '203.0.113.7', { files: ['/a.txt'] }, '2026-11-30T10:00:00.000Z'],
      ['server:power.start', null, null, {}, '2026-11-30T09:00:05.250Z'],
    ])
  })

  test("another node's server is dropped (the rest kept); an unknown server too", async () => {
    const mine = await serverOn(t, node, refs)
    const theirs = await serverOn(t, other, refs)
    const res = await asNode(t, node, 'POST', '/api/remote/activity', {
      data: [entry(theirs.uuid), entry(mine.uuid), entry(crypto.randomUUID())],
    })
    expect(res.status).toBe(200)
    expect(await logOf(theirs.uuid)).toEqual([])
    expect((await logOf(mine.uuid)).length).toBe(1)
  })

  test('schedule entries are kept only with activity.server_log_schedule_activity', async () => {
    const server = await serverOn(t, node, refs)
    const schedule = crypto.randomUUID()
    await t.kernel.settings.update({ 'activity.server_log_schedule_activity': false })
    try {
      await asNode(t, node, 'POST', '/api/remote/activity', { data: [entry(server.uuid, { schedule }), entry(server.uuid)] })
      expect((await logOf(server.uuid)).map((a) => a.schedule_uuid)).toEqual([null])
    } finally {
      await t.kernel.settings.update({ 'activity.server_log_schedule_activity': true })
    }
    await asNode(t, node, 'POST', '/api/remote/activity', { data: [entry(server.uuid, { schedule })] })
    expect((await logOf(server.uuid)).map((a) => a.schedule_uuid)).toEqual([null, schedule])
  })

  test('a user the panel does not know is stored as null; an empty batch is fine', async () => {
    const server = await serverOn(t, node, refs)
    expect(
      (await asNode(t, node, 'POST', '/api/remote/activity', { data: [entry(server.uuid, { user: crypto.randomUUID() })] })).status,
    ).toBe(200)
    expect((await logOf(server.uuid)).map((a) => a.user_uuid)).toEqual([null])
    expect((await asNode(t, node, 'POST', '/api/remote/activity', { data: [] })).status).toBe(200)
  })

  test('bad input is 400 and nothing of the batch is stored', async () => {
    const server = await serverOn(t, node, refs)
    for (const bad of [
      { data: [entry(server.uuid, { ip: 'not-an-ip' })] },
      { data: [entry(server.uuid), entry(server.uuid, { timestamp: 'yesterday' })] },
      { data: [entry('not-a-uuid')] },
      { data: [entry(server.uuid, { event: '' })] },
      { data: [entry(server.uuid, { event: 'x'.repeat(256) })] },
      { data: {} },
      {},
    ]) {
      expect((await asNode(t, node, 'POST', '/api/remote/activity', bad)).status).toBe(400)
    }
    const res = await asNode(t, node, 'POST', '/api/remote/activity', { data: [entry(server.uuid, { ip: 'nope' })] })
    expect(res.body).toEqual({ errors: ['data.0.ip: not an IP address'] })
    expect(await logOf(server.uuid)).toEqual([])
  })

  test('401 without a node token, nothing stored', async () => {
    const server = await serverOn(t, node, refs)
    expect((await asNode(t, null, 'POST', '/api/remote/activity', { data: [entry(server.uuid)] })).status).toBe(401)
    expect(await logOf(server.uuid)).toEqual([])
  })
})

describe("the kernel's server activity log", () => {
  test("ctx.activity.log('server', …) writes the server's log in the caller's transaction", async () => {
    const server = await serverOn(t, node, refs)
    const actor: Actor = { userUuid: user, impersonatorUuid: null, apiKeyUuid: null, ip: '198.51.100.1' }
    const logs = t.kernel.contexts.get('servers')!.activity
    await transaction(db(), (tx) => logs.log('server', tx, actor, 'server:settings.rename', { name: 'x' }, server.uuid))
    await transaction(db(), async (tx) => {
      await logs.log('server', tx, actor, 'server:settings.rename', { name: 'rolled back' }, server.uuid)
      throw new Error('roll back')
    }).catch(() => {})
    expect((await logOf(server.uuid)).map((a) => [a.event, a.user_uuid, a.ip, a.data])).toEqual([
      ['server:settings.rename', user, '198.51.100.1', { name: 'x' }],
    ])
  })
})

describe('servers:activity-retention', () => {
  test('entries past activity.server_log_retention_days go; past the count only the newest of each server stay', async () => {
    const a = await serverOn(t, node, refs)
    const b = await serverOn(t, node, refs)
    const day = (n: number) => new Date(Date.now() - n * 86_400_000)
    const events = (server: string, ages: number[]) => ages.map((age, i) => ({ server_uuid: server, event: `e${i}`, created: day(age) }))
    await db()
      .insert(serverActivities)
      .values([...events(a.uuid, [200, 50, 3, 2, 1]), ...events(b.uuid, [100, 1])])
    await t.kernel.settings.update({ 'activity.server_log_retention_days': 90, 'activity.server_log_retention_count': 2 })
    try {
      await runJob(t, 'servers:activity-retention')
    } finally {
      await t.kernel.settings.update({ 'activity.server_log_retention_count': null })
    }
    expect((await logOf(a.uuid)).map((e) => e.event)).toEqual(['e3', 'e4'])
    expect((await logOf(b.uuid)).map((e) => e.event)).toEqual(['e1'])
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { adminCallers, adminEvents, expectGuarded, expectModel, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { Empty } from 'hatchery'
import { PolicyBackupLink, PolicyLocation, PolicyNode, PolicyServer } from './model'
import { systemBackupPolicyBackups } from './tables'
import { makePolicy } from './test-kit'
import { insertServer, makeEgg, makeNode } from '../servers/test-fixtures'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let egg: { uuid: string }

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['system-backup-policies.read']))
  egg = await makeEgg(t)
}, SETUP_TIMEOUT)

const BASE = '/api/admin/system-backup-policies'
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]

/** Each kind: how to make one (its uuid and name), the list key, the item model. */
const kinds = {
  location: {
    make: async () => {
      const { node } = await makeNode(t, admin)
      const got = await t.request('GET', `/api/admin/nodes/${node.uuid}`, { cookie: admin.cookie })
      return got.body.node.location as { uuid: string; name: string }
    },
    model: PolicyLocation,
  },
  node: { make: async () => (await makeNode(t, admin)).node, model: PolicyNode },
  server: {
    make: async () => {
      const { node } = await makeNode(t, admin)
      const name = `srv_${Math.random().toString(36).slice(2, 9)}`
      return insertServer(t, { node: node.uuid, owner: admin.uuid, egg: egg.uuid }, { name })
    },
    model: PolicyServer,
  },
} as const

for (const [kind, { make, model }] of Object.entries(kinds)) {
  const plural = `${kind}s`
  describe(`/api/admin/system-backup-policies/{policy}/${plural}`, () => {
    test(`link, list (counted in total_${plural}), search, unlink; events system-backup-policy:${kind}.create|delete`, async () => {
      const policy = await makePolicy(t, admin)
      const [a, b] = [await make(), await make()]
      const path = `${BASE}/${policy.uuid}/${plural}`
      for (const item of [a, b]) {
        const res = await t.request('POST', path, { cookie: admin.cookie, body: { [`${kind}_uuid`]: item.uuid.toUpperCase() } })
        expect(res.status).toBe(200)
        expectModel(Empty, res.body)
      }
      const [created] = await adminEvents(t, admin, `system-backup-policy:${kind}.create`)
      expect(created.data).toEqual({ system_backup_policy_uuid: policy.uuid, [`${kind}_uuid`]: b.uuid })
      const list = await t.request('GET', path, { cookie: reader.cookie })
      expect(list.status).toBe(200)
      expect(list.body[plural].total).toBe(2)
      expect(list.body[plural].data.map((l: any) => l[kind].uuid)).toEqual([a.uuid, b.uuid])
      for (const l of list.body[plural].data) expectModel(model, l)
      expect(list.text).not.toContain('"token"')
      const searched = await t.request('GET', `${path}?search=${encodeURIComponent(b.name)}`, { cookie: admin.cookie })
      expect(searched.body[plural].data.map((l: any) => l[kind].uuid)).toEqual([b.uuid])
      const got = await t.request('GET', `${BASE}/${policy.uuid}`, { cookie: admin.cookie })
      expect(got.body.system_backup_policy[`total_${plural}`]).toBe(2)

      const del = await t.request('DELETE', `${path}/${a.uuid}`, { cookie: admin.cookie })
      expect(del.status).toBe(200)
      expectModel(Empty, del.body)
      const [deleted] = await adminEvents(t, admin, `system-backup-policy:${kind}.delete`)
      expect(deleted.data).toEqual({ system_backup_policy_uuid: policy.uuid, [`${kind}_uuid`]: a.uuid })
      const again = await t.request('DELETE', `${path}/${a.uuid}`, { cookie: admin.cookie })
      expect([again.status, again.body.errors]).toEqual([404, [`${kind} not found`]])
      expect((await t.request('GET', path, { cookie: admin.cookie })).body[plural].total).toBe(1)
    })

    test('400 relation, 409 linked, 400 malformed, 404 policy, 401, 403', async () => {
      const policy = await makePolicy(t, admin)
      const item = await make()
      const path = `${BASE}/${policy.uuid}/${plural}`
      const body = { [`${kind}_uuid`]: item.uuid }
      const rel = await t.request('POST', path, { cookie: admin.cookie, body: { [`${kind}_uuid`]: NO_SUCH } })
      expect([rel.status, rel.body.errors]).toEqual([400, [`invalid relation \`${kind}\` provided`]])
      expect((await t.request('POST', path, { cookie: admin.cookie, body })).status).toBe(200)
      const dup = await t.request('POST', path, { cookie: admin.cookie, body })
      expect([dup.status, dup.body.errors]).toEqual([409, [`${kind} already exists in this system backup policy`]])
      expect((await t.request('POST', path, { cookie: admin.cookie, body: { [`${kind}_uuid`]: 'nope' } })).status).toBe(400)
      const bad = await t.request('DELETE', `${path}/nope`, { cookie: admin.cookie })
      expect([bad.status, bad.body.errors]).toEqual([400, [`invalid ${kind} uuid`]])
      const missing = await t.request('GET', `${BASE}/${NO_SUCH}/${plural}`, { cookie: admin.cookie })
      expect([missing.status, missing.body.errors]).toEqual([404, ['system backup policy not found']])
      expect((await t.request('POST', `${BASE}/${NO_SUCH}/${plural}`, { cookie: admin.cookie, body })).status).toBe(404)
      await expectGuarded(t, { method: 'GET', path }, plain, [], 'system-backup-policies.read')
      await expectGuarded(t, { method: 'POST', path, body }, plain, denied(), 'system-backup-policies.update')
      await expectGuarded(t, { method: 'DELETE', path: `${path}/${item.uuid}` }, plain, denied(), 'system-backup-policies.update')
    })
  })
}

describe('deleting a linked thing removes the link', () => {
  test('a deleted server leaves the policy (cascade)', async () => {
    const policy = await makePolicy(t, admin)
    const server = await kinds.server.make()
    await t.request('POST', `${BASE}/${policy.uuid}/servers`, { cookie: admin.cookie, body: { server_uuid: server.uuid } })
    const { servers } = await import('../servers/tables')
    const { eq } = await import('drizzle-orm')
    await t.kernel.database.db.delete(servers).where(eq(servers.uuid, server.uuid))
    expect((await t.request('GET', `${BASE}/${policy.uuid}`, { cookie: admin.cookie })).body.system_backup_policy.total_servers).toBe(0)
  })
})

describe('GET /api/admin/system-backup-policies/{policy}/backups', () => {
  test("the policy's backup links by slot (until the backups plugin provides its list); 404, 401, 403 (backups)", async () => {
    const policy = await makePolicy(t, admin)
    const server = await kinds.server.make()
    const backups = [crypto.randomUUID(), crypto.randomUUID()]
    await t.kernel.database.db.insert(systemBackupPolicyBackups).values([
      { policy_uuid: policy.uuid, backup_uuid: backups[1], server_uuid: server.uuid, slot: new Date('2026-12-02T03:00:00Z') },
      { policy_uuid: policy.uuid, backup_uuid: backups[0], server_uuid: server.uuid, slot: new Date('2026-12-01T03:00:00Z') },
    ])
    const path = `${BASE}/${policy.uuid}/backups`
    const res = await t.request('GET', path, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.body.backups.total).toBe(2)
    expect(res.body.backups.data.map((b: any) => b.uuid)).toEqual(backups)
    for (const b of res.body.backups.data) expectModel(PolicyBackupLink, b)
    expect(res.body.backups.data[0].server_uuid).toBe(server.uuid)
    expect(new Date(res.body.backups.data[0].slot).toISOString()).toBe('2026-12-01T03:00:00.000Z')
    expect((await t.request('GET', `${BASE}/${policy.uuid}`, { cookie: admin.cookie })).body.system_backup_policy.total_backups).toBe(2)
    expect((await t.request('GET', `${BASE}/${NO_SUCH}/backups`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(t, { method: 'GET', path }, plain, denied(), 'system-backup-policies.backups')
  })
})

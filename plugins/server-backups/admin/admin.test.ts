import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, useTestApp } from 'hatchery/testing'
import { tables as serverTables } from '../../servers'
import { AdminServerBackup } from '../model'
import { backupKit } from '../test-kit'

const t = useTestApp()
const k = backupKit(t)
const admin = (method: string, path: string, body?: unknown, cookie = k.admin.cookie) =>
  t.request(method, `/api/admin${path}`, { cookie, body })

describe('/api/admin/nodes/{node}/backups (spec 02 §6.13)', () => {
  test('list with the server, detach (detached=true), reattach (404 for an unknown server), get, the server’s list', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const list = await admin('GET', `/nodes/${k.at.node.uuid}/backups`)
    expect(list.status).toBe(200)
    const item = list.body.backups.data.find((b: { uuid: string }) => b.uuid === backup)
    expectModel(AdminServerBackup, item)
    expect(item).toMatchObject({ is_shared: false, system_backup_policy_uuid: null, server: { uuid } })
    expect((await admin('POST', `/nodes/${k.at.node.uuid}/backups/${backup}/detach`)).status).toBe(200)
    const detached = await admin('GET', `/nodes/${k.at.node.uuid}/backups?detached=true`)
    expect(detached.body.backups.data.map((b: { uuid: string; server: unknown }) => [b.uuid, b.server])).toEqual([[backup, null]])
    expect((await k.call('GET', uuid, `/${backup}`)).status).toBe(404)
    const wrong = await admin('POST', `/nodes/${k.at.node.uuid}/backups/${backup}/reattach`, { server_uuid: crypto.randomUUID() })
    expect([wrong.status, wrong.body.errors]).toEqual([404, ['server not found']])
    expect((await admin('POST', `/nodes/${k.at.node.uuid}/backups/${backup}/reattach`, { server_uuid: uuid })).status).toBe(200)
    expect((await admin('GET', `/nodes/${k.at.node.uuid}/backups/${backup}`)).body.backup.server.uuid).toBe(uuid)
    expect((await admin('GET', `/servers/${uuid}/backups`)).body.backups.data.map((b: { uuid: string }) => b.uuid)).toEqual([backup])
    expect((await admin('GET', `/servers/${uuid}/backups?partially_detached=true`)).body.backups.total).toBe(0)
  })

  test('restore onto a server of the node; delete: 500 when the node fails, done with force; 400 without the force key', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    expect((await admin('POST', `/nodes/${k.at.node.uuid}/backups/${backup}/restore`, { server_uuid: uuid })).status).toBe(200)
    expect((await k.row(uuid)).status).toBe('restoring_backup')
    await k.at.wings.idle()
    const heal = k.at.wings.fail({ kind: 'status', status: 500, route: 'DELETE /api/backups/*' })
    const failed = await admin('DELETE', `/nodes/${k.at.node.uuid}/backups/${backup}`, { force: false })
    expect([failed.status, failed.body.errors]).toEqual([500, ['failed to delete backup']])
    expect((await admin('DELETE', `/nodes/${k.at.node.uuid}/backups/${backup}`, { force: true })).status).toBe(200)
    heal()
    expect((await k.backupRow(backup)).deleted).not.toBeNull()
    expect((await admin('DELETE', `/nodes/${k.at.node.uuid}/backups/${backup}`, {})).status).toBe(400)
  })

  test('guarded by nodes.backups; 404 for an unknown node', async () => {
    const plain = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/backups`, { cookie: k.owner.cookie })
    expect(plain.status).toBe(403)
    expect((await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/backups`)).status).toBe(401)
    expect((await admin('GET', `/nodes/${crypto.randomUUID()}/backups`)).status).toBe(404)
  })
})

describe('stats/backups and the backup configuration lists', () => {
  test('counts completed backups (successful bytes, failed, deleted) overall and per configuration', async () => {
    const configuration = await k.configure()
    const uuid = await k.backupServer()
    await k.db().update(serverTables.servers).set({ backup_configuration_uuid: configuration }).where(eq(serverTables.servers.uuid, uuid))
    const kept = await k.backup(uuid)
    const gone = await k.backup(uuid)
    expect((await k.call('DELETE', uuid, `/${gone}`)).status).toBe(202)
    await k.at.wings.idle()
    const stats = await admin('GET', `/backup-configurations/${configuration}/stats`)
    expect(stats.status).toBe(200)
    const bytes = (await k.backupRow(kept)).bytes + (await k.backupRow(gone)).bytes
    expect(stats.body.all_time).toEqual({
      total: 2,
      successful: 2,
      successful_bytes: bytes,
      failed: 0,
      deleted: 1,
      deleted_bytes: (await k.backupRow(gone)).bytes,
    })
    expect(stats.body.today.total).toBe(2)
    const overall = await admin('GET', '/stats/backups')
    expect(overall.status).toBe(200)
    expect(overall.body.all_time.total).toBeGreaterThanOrEqual(2)
    const list = await admin('GET', `/backup-configurations/${configuration}/backups`)
    expect(list.body.backups.data.map((b: { uuid: string }) => b.uuid)).toEqual([kept])
    expect((await t.request('GET', '/api/admin/stats/backups', { cookie: k.owner.cookie })).status).toBe(403)
  })
})

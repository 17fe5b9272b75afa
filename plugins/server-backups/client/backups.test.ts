import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, useTestApp } from 'hatchery/testing'
import { compactVerify, decodeJwt } from 'jose'
import { tables as serverTables } from '../../servers'
import { ServerBackup } from '../model'
import { serverBackups } from '../tables'
import { backupKit } from '../test-kit'

const t = useTestApp()
const k = backupKit(t)

describe('POST /api/client/servers/{server}/backups', () => {
  test('creates the row, the node backs up and reports: completed, successful, checksum, size; logged', async () => {
    const uuid = await k.backupServer()
    const res = await k.call('POST', uuid, '', undefined, { name: 'first', ignored_files: ['*.log'] })
    expect(res.status).toBe(200)
    expectModel(ServerBackup, res.body.backup)
    expect(res.body.backup).toMatchObject({ name: 'first', is_successful: false, completed: null, ignored_files: ['*.log'], bytes: 0 })
    expect(res.body.backup.metadata).toMatchObject({ startup: 'java -jar {{SERVER_JARFILE}}', image: 'ghcr.io/pterodactyl/yolks:java_21' })
    await k.settled(res.body.backup.uuid)
    expect(k.at.wings.problems).toEqual([])
    const got = await k.call('GET', uuid, `/${res.body.backup.uuid}`)
    expect(got.body.backup).toMatchObject({ is_successful: true, deletion_status: null })
    expect(got.body.backup.completed).not.toBeNull()
    expect(got.body.backup.checksum).toMatch(/^sha1:[0-9a-f]{40}$/)
    expect(got.body.backup.bytes).toBeGreaterThan(0)
    expect(k.at.wings.requests.find((r) => r.path === `/api/servers/${uuid}/backup`)?.body).toEqual({
      adapter: 'wings',
      uuid: res.body.backup.uuid,
      ignore: '*.log',
    })
    expect(await k.events(uuid)).toContainEqual([
      'server:backup.create',
      { uuid: res.body.backup.uuid, name: 'first', backup_group_uuid: null, ignored_files: ['*.log'] },
    ])
  })

  test('a default name in the panel’s local time', async () => {
    const uuid = await k.backupServer()
    const res = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
    await k.settled(res.body.backup.uuid)
    expect(res.body.backup.name).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/)
  })

  test('417 at backup_limit (0 by default), without a configuration, in maintenance; 404 for another server’s group', async () => {
    const none = await k.backupServer(0)
    const full = await k.call('POST', none, '', undefined, { ignored_files: [] })
    expect([full.status, full.body.errors]).toEqual([417, ['maximum number of backups reached']])

    const uuid = await k.backupServer(5)
    const maintenance = await k.configure({ maintenance_enabled: true })
    await k.db().update(serverTables.servers).set({ backup_configuration_uuid: maintenance }).where(eq(serverTables.servers.uuid, uuid))
    const inMaintenance = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
    expect([inMaintenance.status, inMaintenance.body.errors]).toEqual([
      417,
      ['cannot create backup while backup configuration is in maintenance mode'],
    ])
    await k.db().update(serverTables.servers).set({ backup_configuration_uuid: null }).where(eq(serverTables.servers.uuid, uuid))

    const other = await k.backupServer()
    const group = await k.call('POST', other, '/groups', undefined, { name: 'g' })
    const foreign = await k.call('POST', uuid, '', undefined, { ignored_files: [], backup_group_uuid: group.body.backup_group.uuid })
    expect([foreign.status, foreign.body.errors]).toEqual([404, ['backup group not found']])
    expect(await k.db().select().from(serverBackups).where(eq(serverBackups.server_uuid, uuid))).toHaveLength(0)
  })

  test('two creates at the limit: exactly one succeeds', async () => {
    const uuid = await k.backupServer(1)
    const both = await Promise.all([1, 2].map(() => k.call('POST', uuid, '', undefined, { ignored_files: [] })))
    expect(both.map((r) => r.status).sort()).toEqual([200, 417])
    await k.settled(both.find((r) => r.status === 200)!.body.backup.uuid)
  })

  test('the per-server rate limit answers 429', async () => {
    const uuid = await k.backupServer(10)
    await t.kernel.settings.update({ 'ratelimits.client_servers_backups_create': { hits: 1, window_seconds: 60 } })
    try {
      const first = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
      const second = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
      expect([first.status, second.status]).toEqual([200, 429])
      // Another server has its own bucket.
      const other = await k.call('POST', await k.backupServer(10), '', undefined, { ignored_files: [] })
      expect(other.status).toBe(200)
      await k.settled(first.body.backup.uuid)
      await k.settled(other.body.backup.uuid)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.client_servers_backups_create': { hits: 100_000, window_seconds: 60 } })
    }
  })

  test('a node that cannot be asked marks the backup failed', async () => {
    const uuid = await k.backupServer()
    const heal = k.at.wings.fail({ kind: 'status', status: 500, route: 'POST /api/servers/*/backup' })
    const res = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
    expect(res.status).toBe(200)
    await k.settled(res.body.backup.uuid)
    heal()
    expect(await k.backupRow(res.body.backup.uuid)).toMatchObject({ successful: false })
    expect((await k.backupRow(res.body.backup.uuid)).completed).not.toBeNull()
  })

  test('400 without ignored_files; guarded', async () => {
    const uuid = await k.backupServer()
    expect((await k.call('POST', uuid, '', undefined, {})).status).toBe(400)
    await k.expectGuarded(uuid, [
      ['POST', '/backups', { ignored_files: [] }, 'backups.create'],
      ['GET', '/backups', undefined, 'backups.read'],
      ['GET', '/backups/system', undefined, 'backups.read'],
      ['POST', '/backups/unlock', undefined, 'backups.restore'],
    ])
  })
})

describe('GET /api/client/servers/{server}/backups', () => {
  test('oldest first, searched, ungrouped; deleted and system backups left out', async () => {
    const uuid = await k.backupServer()
    const a = await k.backup(uuid, { name: 'alpha' })
    const group = (await k.call('POST', uuid, '/groups', undefined, { name: 'weekly' })).body.backup_group.uuid
    const b = await k.backup(uuid, { name: 'beta', backup_group_uuid: group })
    await k.db().update(serverBackups).set({ system_backup_policy_uuid: crypto.randomUUID() }).where(eq(serverBackups.uuid, a))
    const c = await k.backup(uuid, { name: 'gamma' })
    const list = await k.call('GET', uuid, '')
    expect(list.body.backups.data.map((x: { uuid: string }) => x.uuid)).toEqual([b, c])
    expect((await k.call('GET', uuid, '?ungrouped=true')).body.backups.data.map((x: { uuid: string }) => x.uuid)).toEqual([c])
    expect((await k.call('GET', uuid, '?search=bet')).body.backups.data.map((x: { uuid: string }) => x.uuid)).toEqual([b])
    expect((await k.call('GET', uuid, '/system')).body.backups.data.map((x: { uuid: string }) => x.uuid)).toEqual([a])
  })
})

describe('/api/client/servers/{server}/backups/{backup}', () => {
  test('get: 400 malformed, 404 another server’s backup', async () => {
    const uuid = await k.backupServer()
    const other = await k.backup(await k.backupServer())
    expect((await k.call('GET', uuid, '/nope')).status).toBe(400)
    const foreign = await k.call('GET', uuid, `/${other}`)
    expect([foreign.status, foreign.body.errors]).toEqual([404, ['backup not found']])
  })

  test('patch renames, moves, locks; 417 for system backups; logged', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const group = (await k.call('POST', uuid, '/groups', undefined, { name: 'g1' })).body.backup_group.uuid
    const res = await k.call('PATCH', uuid, `/${backup}`, undefined, { name: 'renamed', backup_group_uuid: group, locked: true })
    expect(res.status).toBe(200)
    expect((await k.call('GET', uuid, `/${backup}`)).body.backup).toMatchObject({
      name: 'renamed',
      backup_group_uuid: group,
      is_locked: true,
    })
    expect(await k.events(uuid)).toContainEqual([
      'server:backup.update',
      { uuid: backup, name: 'renamed', backup_group_uuid: group, locked: true },
    ])
    await k.call('PATCH', uuid, `/${backup}`, undefined, { backup_group_uuid: null })
    expect((await k.backupRow(backup)).backup_group_uuid).toBeNull()
    await k.db().update(serverBackups).set({ system_backup_policy_uuid: crypto.randomUUID() }).where(eq(serverBackups.uuid, backup))
    const system = await k.call('PATCH', uuid, `/${backup}`, undefined, { name: 'x' })
    expect([system.status, system.body.errors]).toEqual([417, ['system backups cannot be modified']])
  })

  test('delete: 202, the node deletes and reports, the backup is gone; 417s in order', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    await k.call('PATCH', uuid, `/${backup}`, undefined, { locked: true })
    const locked = await k.call('DELETE', uuid, `/${backup}`)
    expect([locked.status, locked.body.errors]).toEqual([417, ['backup is locked and cannot be deleted']])
    await k.call('PATCH', uuid, `/${backup}`, undefined, { locked: false })
    const res = await k.call('DELETE', uuid, `/${backup}`)
    expect([res.status, res.body]).toEqual([202, {}])
    await k.at.wings.idle()
    expect((await k.backupRow(backup)).deleted).not.toBeNull()
    expect(k.at.wings.backups.has(backup)).toBe(false)
    expect((await k.call('GET', uuid, `/${backup}`)).status).toBe(404)
    expect(await k.events(uuid)).toContainEqual(['server:backup.delete', { source: 'user', uuid: backup, name: expect.any(String) }])
  })

  test('delete: a node that fails answers 500 and puts the backup back; a node without it finalises at once', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const heal = k.at.wings.fail({ kind: 'status', status: 500, route: 'DELETE /api/backups/*' })
    const failed = await k.call('DELETE', uuid, `/${backup}`)
    heal()
    expect([failed.status, failed.body.errors]).toEqual([500, ['failed to delete backup']])
    expect((await k.backupRow(backup)).deleting).toBeNull()
    k.at.wings.backups.delete(backup)
    expect((await k.call('DELETE', uuid, `/${backup}`)).status).toBe(202)
    expect((await k.backupRow(backup)).deleted).not.toBeNull()
  })

  test('delete: a failed deletion report counts a retry and keeps the backup deleting', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const heal = k.at.wings.fail({ kind: 'backup-deletion-fails' })
    expect((await k.call('DELETE', uuid, `/${backup}`)).status).toBe(202)
    await k.at.wings.idle()
    heal()
    expect(await k.backupRow(backup)).toMatchObject({ deleted: null, deletion_retries: 1 })
    expect((await k.call('GET', uuid, `/${backup}`)).body.backup.deletion_status).toBe('deleting')
    const again = await k.call('DELETE', uuid, `/${backup}`)
    expect([again.status, again.body.errors]).toEqual([417, ['backup is already being deleted']])
  })

  test('download: a URL on the node with a backup-download JWT signed by the node token', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const res = await k.call('GET', uuid, `/${backup}/download?archive_format=tar_gz`)
    expect(res.status).toBe(200)
    const url = new URL(res.body.url)
    expect(`${url.origin}${url.pathname}`).toBe(`${k.at.wings.url}/download/backup`)
    const token = url.searchParams.get('token')!
    const node = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
    await compactVerify(token, new TextEncoder().encode(node.body.token))
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({
      scope: 'backup-download',
      iss: 'panel',
      sub: null,
      aud: [],
      nbf: null,
      jti: k.owner.uuid,
      backup_uuid: backup,
    })
    expect(claims.exp! - claims.iat!).toBe(900)
    const file = await fetch(res.body.url)
    expect(file.status).toBe(200)
    expect((await new Bun.Archive(new Uint8Array(await file.arrayBuffer())).files()).size).toBeGreaterThanOrEqual(0)
    expect(await k.events(uuid)).toContainEqual(['server:backup.download', { uuid: backup, name: expect.any(String) }])
  })

  test('download, restore, export of an unfinished or failed backup: 417', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    await k.db().update(serverBackups).set({ completed: null }).where(eq(serverBackups.uuid, backup))
    const open = await k.call('GET', uuid, `/${backup}/download`)
    expect([open.status, open.body.errors]).toEqual([417, ['backup has not been completed yet']])
    await k.db().update(serverBackups).set({ completed: new Date(), successful: false }).where(eq(serverBackups.uuid, backup))
    const restore = await k.call('POST', uuid, `/${backup}/restore`, undefined, {})
    expect([restore.status, restore.body.errors]).toEqual([417, ['backup has failed and cannot be restored']])
    const exported = await k.call('POST', uuid, `/${backup}/export`, undefined, { path: '/' })
    expect([exported.status, exported.body.errors]).toEqual([417, ['backup has failed and cannot be exported']])
  })

  test('restore: restoring_backup until the node reports, then normal; a second restore meanwhile is refused by the gate', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const res = await k.call('POST', uuid, `/${backup}/restore`, undefined, { truncate_directory: true })
    expect(res.status).toBe(200)
    expect((await k.row(uuid)).status).toBe('restoring_backup')
    const gated = await k.call('GET', uuid, '')
    expect([gated.status, gated.body.errors]).toEqual([409, ['server is restoring from a backup']])
    await k.at.wings.idle()
    expect((await k.row(uuid)).status).toBeNull()
    expect(await k.events(uuid)).toContainEqual([
      'server:backup.restore',
      { uuid: backup, name: expect.any(String), truncate_directory: true, restore_startup: false },
    ])
  })

  test('restore: a failed restore leaves backup_restore_failed; unlock clears it (409 otherwise)', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const heal = k.at.wings.fail({ kind: 'restore-fails' })
    expect((await k.call('POST', uuid, `/${backup}/restore`, undefined, {})).status).toBe(200)
    await k.at.wings.idle()
    heal()
    expect((await k.row(uuid)).status).toBe('backup_restore_failed')
    expect((await k.call('POST', uuid, '/unlock')).status).toBe(200)
    expect((await k.row(uuid)).status).toBeNull()
    const again = await k.call('POST', uuid, '/unlock')
    expect([again.status, again.body.errors]).toEqual([409, ['server has not failed a backup restore']])
  })

  test('restore: the node refusing rolls the status back (500); restore_startup puts the startup back', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    await k.db().update(serverTables.servers).set({ startup: 'changed', image: 'other:image' }).where(eq(serverTables.servers.uuid, uuid))
    const heal = k.at.wings.fail({ kind: 'status', status: 500, route: 'POST /api/servers/*/backup/*/restore' })
    const failed = await k.call('POST', uuid, `/${backup}/restore`, undefined, { restore_startup: true })
    heal()
    expect([failed.status, failed.body.errors]).toEqual([500, ['failed to restore backup']])
    expect(await k.row(uuid)).toMatchObject({ status: null, startup: 'changed' })
    expect((await k.call('POST', uuid, `/${backup}/restore`, undefined, { restore_startup: true })).status).toBe(200)
    expect(await k.row(uuid)).toMatchObject({
      status: 'restoring_backup',
      startup: 'java -jar {{SERVER_JARFILE}}',
      image: 'ghcr.io/pterodactyl/yolks:java_21',
    })
    await k.at.wings.idle()
  })

  test('export writes the archive into the server’s files; query tells its format and size', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const res = await k.call('POST', uuid, `/${backup}/export`, undefined, { path: '/exports' })
    expect(res.status).toBe(200)
    expect(res.body.entry.name).toBe(`${backup}.tar.gz`)
    expect(k.at.wings.servers.get(uuid)!.files.get(`exports/${backup}.tar.gz`)).toBeDefined()
    const query = await k.call('GET', uuid, `/${backup}/query`)
    expect(query.body).toEqual({ archive_format: 'tar_gz', size: k.at.wings.backups.get(backup)!.size })
  })

  test('guarded: each item route needs backups.read and its own permission', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    await k.expectGuarded(uuid, [
      ['GET', `/backups/${backup}`, undefined, 'backups.read'],
      ['PATCH', `/backups/${backup}`, { name: 'x' }, 'backups.read'],
      ['DELETE', `/backups/${backup}`, undefined, 'backups.read'],
      ['GET', `/backups/${backup}/download`, undefined, 'backups.read'],
      ['GET', `/backups/${backup}/query`, undefined, 'backups.read'],
      ['POST', `/backups/${backup}/restore`, {}, 'backups.read'],
      ['POST', `/backups/${backup}/export`, { path: '/' }, 'backups.read'],
    ])
    await k.expectGuarded(uuid, [['POST', `/backups/${backup}/restore`, {}, 'backups.restore']], 'backups.read')
    await k.expectGuarded(uuid, [['DELETE', `/backups/${backup}`, undefined, 'backups.delete']], 'backups.read')
  })
})

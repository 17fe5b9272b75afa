import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, runJob, useTestApp } from 'hatchery/testing'
import { BackupGroup } from '../model'
import { serverBackups } from '../tables'
import { backupKit } from '../test-kit'

const t = useTestApp()
const k = backupKit(t)

const group = async (uuid: string, body: Record<string, unknown>) => {
  const res = await k.call('POST', uuid, '/groups', undefined, body)
  expect(res.status).toBe(200)
  return res.body.backup_group.uuid as string
}
const live = async (server: string) => (await k.call('GET', server, '')).body.backups.data.map((b: { name: string }) => b.name) as string[]

describe('backup groups (spec 03 §5.2.4)', () => {
  test('create, list with counts, rename, 409 on a taken name, 417 past the maximum; logged', async () => {
    const uuid = await k.backupServer()
    const res = await k.call('POST', uuid, '/groups', undefined, { name: 'daily', retention_count: 3 })
    expect(res.status).toBe(200)
    expectModel(BackupGroup, res.body.backup_group)
    expect(res.body.backup_group).toMatchObject({ name: 'daily', retention_count: 3, retention_days: null, total_backups: 0 })
    const g = res.body.backup_group.uuid
    await k.backup(uuid, { backup_group_uuid: g })
    const locked = await k.backup(uuid, { backup_group_uuid: g })
    await k.call('PATCH', uuid, `/${locked}`, undefined, { locked: true })
    const list = await k.call('GET', uuid, '/groups')
    expect(list.body.backup_groups).toEqual([
      expect.objectContaining({ uuid: g, total_backups: 2, usable_backups: 2, usable_unlocked_backups: 1 }),
    ])
    const taken = await k.call('POST', uuid, '/groups', undefined, { name: 'daily' })
    expect([taken.status, taken.body.errors]).toEqual([409, ['backup group with name already exists']])
    expect((await k.call('PATCH', uuid, `/groups/${g}`, undefined, { name: 'nightly', retention_count: null })).status).toBe(200)
    expect((await k.call('GET', uuid, '/groups')).body.backup_groups[0]).toMatchObject({ name: 'nightly', retention_count: null })
    expect(await k.events(uuid)).toContainEqual([
      'server:backup-group.create',
      { uuid: g, name: 'daily', retention_count: 3, retention_days: null },
    ])
    await t.kernel.settings.update({ 'server.max_backup_group_count': 1 })
    try {
      const full = await k.call('POST', uuid, '/groups', undefined, { name: 'more' })
      expect([full.status, full.body.errors]).toEqual([417, ['maximum number of backup groups reached']])
    } finally {
      await t.kernel.settings.update({ 'server.max_backup_group_count': 10 })
    }
  })

  test('retention_count 2 keeps the two newest after a third backup (the oldest deleted on the node)', async () => {
    const uuid = await k.backupServer(10)
    const g = await group(uuid, { name: 'rotating', retention_count: 2 })
    const first = await k.backup(uuid, { name: 'one', backup_group_uuid: g })
    await k.backup(uuid, { name: 'two', backup_group_uuid: g })
    await k.backup(uuid, { name: 'three', backup_group_uuid: g })
    await k.at.wings.idle()
    expect(await live(uuid)).toEqual(['two', 'three'])
    expect((await k.backupRow(first)).deleted).not.toBeNull()
    expect(k.at.wings.backups.has(first)).toBe(false)
    expect(await k.events(uuid)).toContainEqual([
      'server:backup.delete',
      { source: 'eviction', uuid: first, name: 'one', rule: 'group-rotation', group: 'rotating', policy: null },
    ])
    const page = await k.call('GET', uuid, `/groups/${g}`)
    expect(page.body.backups.data.map((b: { name: string }) => b.name)).toEqual(['two', 'three'])
  })

  test('a full group whose backups are all locked refuses a new one (417), nothing deleted', async () => {
    const uuid = await k.backupServer(10)
    const g = await group(uuid, { name: 'keep', retention_count: 1 })
    const only = await k.backup(uuid, { backup_group_uuid: g })
    await k.call('PATCH', uuid, `/${only}`, undefined, { locked: true })
    const res = await k.call('POST', uuid, '', undefined, { ignored_files: [], backup_group_uuid: g })
    expect([res.status, res.body.errors]).toEqual([417, ['backup group is full and all of its backups are locked']])
    expect((await k.backupRow(only)).deleting).toBeNull()
  })

  test('delete with lock_backups locks and ungroups its backups; 404 for an unknown group; guarded', async () => {
    const uuid = await k.backupServer()
    const g = await group(uuid, { name: 'gone' })
    const backup = await k.backup(uuid, { backup_group_uuid: g })
    expect((await k.call('DELETE', uuid, `/groups/${g}`, undefined, { lock_backups: true })).status).toBe(200)
    expect(await k.backupRow(backup)).toMatchObject({ locked: true, backup_group_uuid: null })
    const missing = await k.call('GET', uuid, `/groups/${crypto.randomUUID()}`)
    expect([missing.status, missing.body.errors]).toEqual([404, ['backup group not found']])
    expect((await k.call('GET', uuid, '/groups/x')).status).toBe(400)
    expect((await k.db().select().from(serverBackups).where(eq(serverBackups.uuid, backup))).length).toBe(1)
    const other = await group(uuid, { name: 'other' })
    await k.expectGuarded(uuid, [
      ['GET', '/backups/groups', undefined, 'backup-groups.read'],
      ['POST', '/backups/groups', { name: 'x' }, 'backup-groups.create'],
      ['GET', `/backups/groups/${other}`, undefined, 'backup-groups.read'],
      ['PATCH', `/backups/groups/${other}`, { name: 'y' }, 'backup-groups.update'],
      ['DELETE', `/backups/groups/${other}`, {}, 'backup-groups.delete'],
    ])
  })
})

describe('job server-backups:group-age (retention_days)', () => {
  test('an old unlocked backup goes (logged group-age); a locked old one, a new one and another group stay', async () => {
    const uuid = await k.backupServer(10)
    const aged = await group(uuid, { name: 'weekly', retention_days: 7 })
    const other = await group(uuid, { name: 'forever' })
    const old = await k.backup(uuid, { name: 'old', backup_group_uuid: aged })
    const oldLocked = await k.backup(uuid, { name: 'old-locked', backup_group_uuid: aged })
    await k.backup(uuid, { name: 'new', backup_group_uuid: aged })
    const untouched = await k.backup(uuid, { name: 'elsewhere', backup_group_uuid: other })
    await k.call('PATCH', uuid, `/${oldLocked}`, undefined, { locked: true })
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000)
    for (const backup of [old, oldLocked, untouched])
      await k.db().update(serverBackups).set({ created: eightDaysAgo }).where(eq(serverBackups.uuid, backup))
    await runJob(t, 'server-backups:group-age')
    await k.at.wings.idle()
    expect((await k.backupRow(old)).deleted).not.toBeNull()
    expect(k.at.wings.backups.has(old)).toBe(false)
    expect((await live(uuid)).sort()).toEqual(['elsewhere', 'new', 'old-locked'])
    expect((await k.backupRow(oldLocked)).deleting).toBeNull()
    expect((await k.backupRow(untouched)).deleting).toBeNull()
    expect(await k.events(uuid)).toContainEqual([
      'server:backup.delete',
      { source: 'eviction', uuid: old, name: 'old', rule: 'group-age', group: 'weekly', policy: null },
    ])
  })
})

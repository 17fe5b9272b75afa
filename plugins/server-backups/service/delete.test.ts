import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { runJob, useTestApp } from 'hatchery/testing'
import { serverBackups } from '../tables'
import { backupKit } from '../test-kit'

const t = useTestApp()
const k = backupKit(t)
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000)

describe('job server-backups:deletion-retries', () => {
  test('a stale deletion is sent again and finished by the node; a fresh one waits; the eighth retry logs delete-failed', async () => {
    const uuid = await k.backupServer(10)
    const stale = await k.backup(uuid)
    const fresh = await k.backup(uuid)
    const hopeless = await k.backup(uuid)
    await k
      .db()
      .update(serverBackups)
      .set({ deleting: minutesAgo(6), deletion_retries: 0 })
      .where(eq(serverBackups.uuid, stale))
    await k
      .db()
      .update(serverBackups)
      .set({ deleting: minutesAgo(1), deletion_retries: 0 })
      .where(eq(serverBackups.uuid, fresh))
    await k
      .db()
      .update(serverBackups)
      .set({ deleting: minutesAgo(61), deletion_retries: 7 })
      .where(eq(serverBackups.uuid, hopeless))
    await runJob(t, 'server-backups:deletion-retries')
    await k.at.wings.idle()
    expect(await k.backupRow(stale)).toMatchObject({ deletion_retries: 1 })
    expect((await k.backupRow(stale)).deleted).not.toBeNull()
    expect(await k.backupRow(fresh)).toMatchObject({ deletion_retries: 0, deleted: null })
    expect(await k.backupRow(hopeless)).toMatchObject({ deletion_retries: 8, deleted: null })
    expect((await k.call('GET', uuid, `/${hopeless}`)).body.backup.deletion_status).toBe('failed')
    expect(await k.events(uuid)).toContainEqual(['server:backup.delete-failed', { uuid: hopeless, name: expect.any(String) }])
  })
})

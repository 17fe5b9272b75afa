// Policies with the real runner: backups made by the server-backups plugin on the Wings double.
import { describe, expect, test } from 'bun:test'
import { and, eq, isNull } from 'drizzle-orm'
import { backupKit } from '../server-backups/test-kit'
import { tables as backupTables } from '../server-backups'
import { useTestApp } from 'hatchery/testing'
import { policiesApi } from './test-kit'

const t = useTestApp()
const k = backupKit(t)
const b = backupTables.serverBackups
const BASE = '/api/admin/system-backup-policies'

/** The policy's live backups of `server` once the node reported them. */
async function policyBackups(server: string, policy: string) {
  await policiesApi(t).engine.settled()
  const rows = () =>
    k
      .db()
      .select()
      .from(b)
      .where(and(eq(b.server_uuid, server), eq(b.system_backup_policy_uuid, policy), isNull(b.deleted)))
  for (let i = 0; i < 250 && (await rows()).some((r) => !r.completed || r.deleting); i++) await Bun.sleep(20)
  await k.at.wings.idle()
  return rows()
}

describe('system backup policies through the server-backups plugin', () => {
  test('a trigger makes a real backup of each covered server, marked with the policy and outside backup_limit; retention_count 1 triggered twice keeps the newest one', async () => {
    const server = await k.backupServer(0)
    const made = await t.request('POST', BASE, {
      cookie: k.admin.cookie,
      body: { name: `p${Math.random()}`, enabled: true, cron: '0 3 * * *', retention_count: 1, parallelism: 2 },
    })
    expect(made.status).toBe(200)
    const policy = made.body.system_backup_policy.uuid as string
    const linked = await t.request('POST', `${BASE}/${policy}/servers`, { cookie: k.admin.cookie, body: { server_uuid: server } })
    expect(linked.status).toBe(200)

    expect((await t.request('POST', `${BASE}/${policy}/trigger`, { cookie: k.admin.cookie })).status).toBe(200)
    const first = await policyBackups(server, policy)
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ successful: true, backup_configuration_uuid: k.configuration })
    expect(k.at.wings.backups.has(first[0].uuid)).toBe(true)

    expect((await t.request('POST', `${BASE}/${policy}/trigger`, { cookie: k.admin.cookie })).status).toBe(200)
    const second = await policyBackups(server, policy)
    expect(second.map((r) => r.uuid)).not.toContain(first[0].uuid)
    expect(second).toHaveLength(1)
    expect(second[0].successful).toBe(true)

    // The server's users see it as a system backup and cannot delete it.
    const del = await k.call('DELETE', server, `/${second[0].uuid}`)
    expect([del.status, del.body.errors]).toEqual([417, ['system backups cannot be deleted']])
  })
})

// A schedule's create_backup step, run by the node, reaches the backups plugin's remote route.
import { describe, expect, test } from 'bun:test'
import { and, eq, isNull } from 'drizzle-orm'
import { useTestApp } from 'hatchery/testing'
import { tables as backupTables } from '../../server-backups'
import { backupKit } from '../../server-backups/test-kit'
import { serverSchedules } from '../tables'
import serverSchedulesPlugin from '..'

const t = useTestApp()
const k = backupKit(t)
const b = backupTables.serverBackups
const schedules = (uuid: string) => `/api/client/servers/${uuid}/schedules`

describe('a create_backup step', () => {
  test('triggered on the node, it creates a backup through POST /api/remote/servers/{server}/backups, completed by the node, logged with the schedule', async () => {
    const uuid = await k.backupServer(5, { feature_limits: { allocations: 0, databases: 0, backups: 5, schedules: 5 } })
    const owner = { cookie: k.owner.cookie }
    const made = await t.request('POST', schedules(uuid), {
      ...owner,
      body: { name: 'nightly', enabled: true, triggers: [{ type: 'cron', schedule: '0 4 * * *' }], condition: { type: 'none' } },
    })
    expect(made.status).toBe(200)
    const schedule = made.body.schedule.uuid as string
    const step = await t.request('POST', `${schedules(uuid)}/${schedule}/steps`, {
      ...owner,
      body: {
        action: { type: 'create_backup', ignore_failure: false, foreground: true, name: 'from the schedule', ignored_files: [] },
        order: 1,
      },
    })
    expect(step.status).toBe(200)
    await t.kernel.contexts.get('server-schedules')!.api(serverSchedulesPlugin).sync.settled()
    expect((await t.request('POST', `${schedules(uuid)}/${schedule}/trigger`, { ...owner, body: { skip_condition: true } })).status).toBe(
      200,
    )

    let row: typeof b.$inferSelect | undefined
    for (let i = 0; i < 250 && !row?.completed; i++) {
      ;[row] = await k
        .db()
        .select()
        .from(b)
        .where(and(eq(b.server_uuid, uuid), isNull(b.deleted)))
      if (!row?.completed) await Bun.sleep(20)
    }
    expect(row).toMatchObject({ name: 'from the schedule', successful: true })
    expect(k.at.wings.backups.has(row!.uuid)).toBe(true)
    let ran: typeof serverSchedules.$inferSelect | undefined
    for (let i = 0; i < 250 && !ran?.last_run; i++) {
      ;[ran] = await k.db().select().from(serverSchedules).where(eq(serverSchedules.uuid, schedule))
      if (!ran?.last_run) await Bun.sleep(20)
    }
    expect(ran!.last_failure).toBeNull()
    const created = (await k.events(uuid)).filter(([e]) => e === 'server:backup.create')
    expect(created.at(-1)?.[1]).toMatchObject({ uuid: row!.uuid, schedule_uuid: schedule })
  })
})

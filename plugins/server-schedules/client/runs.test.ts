import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, useTestApp } from 'hatchery/testing'
import { ExportedSchedule } from '../model'
import { serverScheduleSteps, serverSchedules } from '../tables'
import { scheduleKit } from '../test-kit'

const t = useTestApp()
const k = scheduleKit(t)
const { call, asOwner: owner } = k
const command = (text: string) => ({ type: 'send_command', ignore_failure: false, command: text })
const db = () => t.kernel.database.db

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const found = await probe()
    if (found !== undefined) return found
    await Bun.sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('export, import and duplicate', () => {
  test('export is the bare format; import makes a copy with its steps; duplicate copies under a new name', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid, { name: 'source' })
    await k.step(uuid, s.uuid, command('b'), 2)
    await k.step(uuid, s.uuid, { type: 'sleep', duration: 5 }, 1)
    const exported = await call('GET', uuid, `/${s.uuid}/export`, owner())
    expect(exported.status).toBe(200)
    expectModel(ExportedSchedule, exported.body)
    expect(exported.body.steps.map((x: any) => x.action.type)).toEqual(['sleep', 'send_command'])
    const imported = await call('POST', uuid, '/import', owner(), { ...exported.body, name: 'imported' })
    expect(imported.status).toBe(200)
    expect((await call('GET', uuid, `/${imported.body.schedule.uuid}/export`, owner())).body).toEqual({
      ...exported.body,
      name: 'imported',
    })
    expect((await k.hasEvent(uuid, 'server:schedule.import'))[0][1]).toMatchObject({ name: 'imported', steps: exported.body.steps })
    const copy = await call('POST', uuid, `/${s.uuid}/duplicate`, owner(), { name: 'copy' })
    expect(copy.status).toBe(200)
    expect((await call('GET', uuid, `/${copy.body.schedule.uuid}/export`, owner())).body).toEqual({ ...exported.body, name: 'copy' })
    expect((await k.hasEvent(uuid, 'server:schedule.duplicate'))[0][1]).toMatchObject({
      source_uuid: s.uuid,
      source_name: 'source',
      name: 'copy',
    })
    expect((await call('POST', uuid, `/${s.uuid}/duplicate`, owner(), { name: 'copy' })).status).toBe(409)
    expect((await call('POST', uuid, '/import', owner(), { ...exported.body, name: 'copy' })).status).toBe(409)
  })

  test('an import holding a step the caller may not do is 403 and imports nothing; only the first max steps are kept', async () => {
    const uuid = await k.server()
    const editor = await k.subuser(uuid, ['schedules.read', 'schedules.create'])
    const doc = {
      name: 'imp',
      enabled: true,
      triggers: [],
      condition: { type: 'none' },
      steps: [
        { action: { type: 'sleep', duration: 5 }, order: 1 },
        { action: command('x'), order: 2 },
      ],
    }
    const refused = await call('POST', uuid, '/import', editor, doc)
    expect([refused.status, refused.body.errors]).toEqual([
      403,
      ['unable to import schedule step #2 that requires permission: control.console'],
    ])
    expect((await call('GET', uuid, '', owner())).body.schedules.total).toBe(0)
    await t.kernel.settings.update({ 'server.max_schedule_step_count': 1 })
    try {
      const kept = await call('POST', uuid, '/import', editor, doc)
      expect(kept.status).toBe(200)
      expect((await call('GET', uuid, `/${kept.body.schedule.uuid}/steps`, owner())).body.schedule_steps).toHaveLength(1)
    } finally {
      await t.kernel.settings.update({ 'server.max_schedule_step_count': 50 })
    }
  })
})

describe('trigger, status, abort and the node’s report', () => {
  test('trigger pushes the configuration, the node runs the command and reports; last_run and step errors are recorded', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const step = await k.step(uuid, s.uuid, command('say restarting'))
    await k.synced()
    await t.request('POST', `/api/client/servers/${uuid}/power`, { ...owner(), body: { action: 'start' } })
    const res = await call('POST', uuid, `/${s.uuid}/trigger`, owner(), {})
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await k.hasEvent(uuid, 'server:schedule.trigger'))[0][1]).toEqual({ uuid: s.uuid, name: s.name, skip_condition: false })
    const row = await until(async () => {
      const [r] = await db().select().from(serverSchedules).where(eq(serverSchedules.uuid, s.uuid))
      return r.last_run ? r : undefined
    }, 'the run report')
    expect(row.last_failure).toBeNull()
    expect(k.at.wings.servers.get(uuid)!.console).toContain('say restarting')
    const status = await call('GET', uuid, `/${s.uuid}/status`, owner())
    expect(status.body).toEqual({ status: { running: false, errors: {}, step: null } })

    // Offline: the step fails; the node's report sets last_failure and the step's error.
    await t.request('POST', `/api/client/servers/${uuid}/power`, { ...owner(), body: { action: 'kill' } })
    await call('POST', uuid, `/${s.uuid}/trigger`, owner(), { skip_condition: true })
    const failed = await until(async () => {
      const [r] = await db().select().from(serverSchedules).where(eq(serverSchedules.uuid, s.uuid))
      return r.last_failure ? r : undefined
    }, 'the failure report')
    expect(failed.last_run).toEqual(failed.last_failure)
    const [stepRow] = await db().select().from(serverScheduleSteps).where(eq(serverScheduleSteps.uuid, step.uuid))
    expect(stepRow.error).toBe('server is not running.')
    expect(k.at.wings.problems.filter((p) => p.includes('/api/remote/schedule'))).toEqual([])
  })

  test('abort reaches the node; a disabled schedule is unknown to the node (404); the node down is 502', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    await k.synced()
    expect((await call('POST', uuid, `/${s.uuid}/abort`, owner())).status).toBe(200)
    expect((await k.hasEvent(uuid, 'server:schedule.abort'))[0][1]).toEqual({ uuid: s.uuid, name: s.name })
    const off = await k.schedule(uuid, { enabled: false })
    const unknown = await call('POST', uuid, `/${off.uuid}/trigger`, owner(), {})
    expect([unknown.status, unknown.body.errors]).toEqual([404, ['schedule not found']])
    const down = k.at.wings.fail({ kind: 'down' })
    try {
      expect((await call('GET', uuid, `/${s.uuid}/status`, owner())).status).toBe(502)
    } finally {
      down()
    }
  })

  test('trigger is rate limited per server and address (10 per minute)', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await call('POST', uuid, `/${s.uuid}/trigger`, owner(), { skip_condition: false })).status)
    expect(statuses.slice(0, 10).every((x) => x === 200)).toBe(true)
    expect(statuses[10]).toBe(429)
  })
})

describe('POST /api/remote/schedule', () => {
  test('records the runs of the calling node’s schedules; unknown schedules are skipped', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const a = await k.step(uuid, s.uuid, command('a'))
    const b = await k.step(uuid, s.uuid, command('b'))
    await db().update(serverScheduleSteps).set({ error: 'old' }).where(eq(serverScheduleSteps.uuid, a.uuid))
    const at = '2026-01-02T03:04:05.000Z'
    const res = await fetchRemote({
      data: [
        { uuid: crypto.randomUUID(), successful: true, errors: {}, timestamp: at },
        { uuid: s.uuid, successful: false, errors: { [b.uuid]: 'boom' }, timestamp: at },
      ],
    })
    expect([res.status, res.body]).toEqual([200, {}])
    const [row] = await db().select().from(serverSchedules).where(eq(serverSchedules.uuid, s.uuid))
    expect([row.last_run?.toISOString(), row.last_failure?.toISOString()]).toEqual([at, at])
    const steps = await db().select().from(serverScheduleSteps).where(eq(serverScheduleSteps.schedule_uuid, s.uuid))
    expect(Object.fromEntries(steps.map((x) => [x.uuid, x.error]))).toEqual({ [a.uuid]: null, [b.uuid]: 'boom' })
    expect((await fetchRemote({ data: [{ uuid: s.uuid, successful: true }] })).status).toBe(400)
    expect((await t.request('POST', '/api/remote/schedule', { body: { data: [] } })).status).toBe(401)
  })
})

/** Calls `POST /api/remote/schedule` as the test node does (its token pair, through the double's own client). */
async function fetchRemote(body: unknown): Promise<{ status: number; body: any }> {
  const tokens = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
  const res = await t.handle(
    new Request('http://panel.test/api/remote/schedule', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.body.token_id}.${tokens.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
  return { status: res.status, body: await res.json() }
}

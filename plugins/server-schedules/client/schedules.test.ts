import { describe, expect, test } from 'bun:test'
import { expectModel, useTestApp } from 'hatchery/testing'
import { Schedule } from '../model'
import { scheduleKit } from '../test-kit'

const t = useTestApp()
const k = scheduleKit(t)
const { call, asOwner: owner } = k

const body = (over: Record<string, unknown> = {}) => ({
  name: 'nightly restart',
  enabled: true,
  triggers: [
    { type: 'cron', schedule: '0 4 * * *' },
    { type: 'console_line', contains: 'Done' },
  ],
  condition: {
    type: 'and',
    conditions: [
      { type: 'server_state', state: 'running' },
      { type: 'not', condition: { type: 'none' } },
    ],
  },
  ...over,
})
const nest = (depth: number): unknown => (depth === 0 ? { type: 'none' } : { type: 'not', condition: nest(depth - 1) })

describe('POST /api/client/servers/{server}/schedules', () => {
  test('creates the schedule with defaults filled in, logs it and pushes it to the node', async () => {
    const uuid = await k.server()
    const res = await call('POST', uuid, '', owner(), body())
    expect(res.status).toBe(200)
    expectModel(Schedule, res.body.schedule)
    const schedule = res.body.schedule
    expect(schedule).toMatchObject({ name: 'nightly restart', enabled: true, last_run: null, last_failure: null })
    expect(schedule.triggers[1]).toEqual({ type: 'console_line', contains: 'Done', case_insensitive: false, output_into: null })
    expect((await k.hasEvent(uuid, 'server:schedule.create'))[0][1]).toMatchObject({ uuid: schedule.uuid, name: 'nightly restart' })
    await k.synced()
    expect(k.onNode(uuid)).toEqual([{ uuid: schedule.uuid, triggers: schedule.triggers, condition: schedule.condition, actions: [] }])
  })

  test('a bad cron pattern, a too deep condition and a bad trigger are 400; nothing is created', async () => {
    const uuid = await k.server()
    const cron = await call('POST', uuid, '', owner(), body({ triggers: [{ type: 'cron', schedule: '61 * * * *' }] }))
    expect(cron.status).toBe(400)
    expect(cron.body.errors[0]).toStartWith('triggers[0].schedule: invalid cron expression')
    const deep = await call('POST', uuid, '', owner(), body({ condition: nest(4) }))
    expect([deep.status, deep.body.errors]).toEqual([400, ['condition: condition may not nest groups more than 3 levels deep']])
    expect((await call('POST', uuid, '', owner(), body({ condition: nest(3) }))).status).toBe(200)
    expect(
      (await call('POST', uuid, '', owner(), body({ name: 'x', triggers: [{ type: 'power_action', action: 'explode' }] }))).status,
    ).toBe(400)
    expect((await call('POST', uuid, '', owner(), body({ name: '' }))).status).toBe(400)
    expect((await call('GET', uuid, '', owner())).body.schedules.total).toBe(1)
  })

  test('409 for a name already used on the server, 417 at the schedule limit', async () => {
    const uuid = await k.server(2)
    await k.schedule(uuid, { name: 'one' })
    const again = await call('POST', uuid, '', owner(), body({ name: 'one' }))
    expect([again.status, again.body.errors]).toEqual([409, ['schedule with name already exists']])
    await k.schedule(uuid, { name: 'two' })
    const full = await call('POST', uuid, '', owner(), body({ name: 'three' }))
    expect([full.status, full.body.errors]).toEqual([417, ['maximum number of schedules reached']])
    const none = await k.server(0)
    expect((await call('POST', none, '', owner(), body())).status).toBe(417)
  })
})

describe('GET /api/client/servers/{server}/schedules and /{schedule}', () => {
  test('lists oldest first with search; one schedule by uuid; 400 bad uuid, 404 other server', async () => {
    const uuid = await k.server()
    const a = await k.schedule(uuid, { name: 'alpha' })
    await k.schedule(uuid, { name: 'beta' })
    const list = await call('GET', uuid, '', owner())
    expect(list.body.schedules.data.map((s: any) => s.name)).toEqual(['alpha', 'beta'])
    expect((await call('GET', uuid, '?search=BET', owner())).body.schedules.data.map((s: any) => s.name)).toEqual(['beta'])
    const one = await call('GET', uuid, `/${a.uuid}`, owner())
    expect(one.status).toBe(200)
    expectModel(Schedule, one.body.schedule)
    expect((await call('GET', uuid, '/nope', owner())).body.errors).toEqual(['invalid schedule uuid'])
    const other = await k.server()
    expect((await call('GET', other, `/${a.uuid}`, owner())).status).toBe(404)
  })
})

describe('PATCH and DELETE /api/client/servers/{server}/schedules/{schedule}', () => {
  test('changes given fields, checks them, logs and syncs; a disabled schedule leaves the node', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid, { name: 'a' })
    await k.schedule(uuid, { name: 'b' })
    expect((await call('PATCH', uuid, `/${s.uuid}`, owner(), { name: 'renamed', enabled: false })).status).toBe(200)
    const got = (await call('GET', uuid, `/${s.uuid}`, owner())).body.schedule
    expect(got).toMatchObject({ name: 'renamed', enabled: false, triggers: [{ type: 'cron', schedule: '0 4 * * *' }] })
    expect((await k.hasEvent(uuid, 'server:schedule.update'))[0][1]).toMatchObject({ uuid: s.uuid, name: 'renamed', enabled: false })
    const clash = await call('PATCH', uuid, `/${s.uuid}`, owner(), { name: 'b' })
    expect([clash.status, clash.body.errors]).toEqual([409, ['schedule with name already exists']])
    expect((await call('PATCH', uuid, `/${s.uuid}`, owner(), { triggers: [{ type: 'cron', schedule: 'every day' }] })).status).toBe(400)
    expect((await call('PATCH', uuid, `/${s.uuid}`, owner(), { condition: nest(4) })).status).toBe(400)
    await k.synced()
    expect(k.onNode(uuid).map((x) => x.uuid)).not.toContain(s.uuid)
    expect(k.onNode(uuid)).toHaveLength(1)
  })

  test('delete removes the schedule and its steps, logs it and syncs', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    await k.step(uuid, s.uuid, { type: 'sleep', duration: 10 })
    expect((await call('DELETE', uuid, `/${s.uuid}`, owner())).status).toBe(200)
    expect((await call('GET', uuid, `/${s.uuid}`, owner())).status).toBe(404)
    expect(await k.hasEvent(uuid, 'server:schedule.delete')).toEqual([['server:schedule.delete', { uuid: s.uuid, name: s.name }]])
    await k.synced()
    expect(k.onNode(uuid)).toEqual([])
    expect((await call('DELETE', uuid, `/${s.uuid}`, owner())).status).toBe(404)
  })
})

describe('guards', () => {
  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const base = `/schedules/${s.uuid}`
    await k.expectGuarded(
      uuid,
      [
        ['GET', '/schedules', undefined, 'schedules.read'],
        ['POST', '/schedules', body(), 'schedules.create'],
        ['GET', base, undefined, 'schedules.read'],
        ['PATCH', base, {}, 'schedules.update'],
        ['DELETE', base, undefined, 'schedules.delete'],
        ['POST', '/schedules/import', { ...body(), steps: [] }, 'schedules.create'],
        ['GET', `${base}/export`, undefined, 'schedules.read'],
        ['POST', `${base}/duplicate`, { name: 'copy' }, 'schedules.create'],
        ['GET', `${base}/status`, undefined, 'schedules.read'],
        ['POST', `${base}/trigger`, {}, 'schedules.update'],
        ['POST', `${base}/abort`, undefined, 'schedules.update'],
        ['GET', `${base}/steps`, undefined, 'schedules.read'],
        ['POST', `${base}/steps`, { action: { type: 'sleep', duration: 5 }, order: 1 }, 'schedules.update'],
        ['PUT', `${base}/steps/order`, { schedule_step_order: [] }, 'schedules.update'],
      ],
      'files.read',
    )
    const reader = await k.subuser(uuid, ['schedules.read'])
    expect((await call('GET', uuid, '', reader)).status).toBe(200)
    const denied = await call('DELETE', uuid, `/${s.uuid}`, reader)
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: schedules.delete']])
    const updater = await k.subuser(uuid, ['schedules.update'])
    expect((await call('PATCH', uuid, `/${s.uuid}`, updater, {})).body.errors).toEqual([
      'you do not have permission to perform this action: schedules.read',
    ])
  })
})

import { describe, expect, test } from 'bun:test'
import { expectModel, useTestApp } from 'hatchery/testing'
import { Step } from '../model'
import { scheduleKit } from '../test-kit'

const t = useTestApp()
const k = scheduleKit(t)
const { call, asOwner: owner } = k

const command = (text = 'say hi') => ({ type: 'send_command', ignore_failure: false, command: text })

describe('POST /api/client/servers/{server}/schedules/{schedule}/steps', () => {
  test('adds a step with defaults filled in, logs it and pushes it in run order to the node', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const res = await call('POST', uuid, `/${s.uuid}/steps`, owner(), {
      action: { type: 'delete_backup', backup: { mode: 'latest' } },
      order: 2,
    })
    expect(res.status).toBe(200)
    expectModel(Step, res.body.schedule_step)
    expect(res.body.schedule_step.action).toEqual({
      type: 'delete_backup',
      ignore_failure: false,
      backup: { mode: 'latest', backup_group_uuid: null },
    })
    const first = await k.step(uuid, s.uuid, command(), 1)
    expect(await k.hasEvent(uuid, 'server:schedule.step.create')).toHaveLength(2)
    await k.synced()
    expect(k.onNode(uuid)[0].actions.map((a: any) => [a.uuid, a.type])).toEqual([
      [first.uuid, 'send_command'],
      [res.body.schedule_step.uuid, 'delete_backup'],
    ])
  })

  test('bad actions are 400: unknown type, a regex that does not compile, a bad URL, a too deep condition, out-of-range values', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const add = (action: unknown, order = 1) => call('POST', uuid, `/${s.uuid}/steps`, owner(), { action, order })
    expect((await add({ type: 'explode' })).status).toBe(400)
    const regex = await add({ type: 'match_regex', input: 'x', regex: '(', output_into: [] })
    expect([regex.status, regex.body.errors]).toEqual([400, ['action.regex: invalid regex']])
    const url = { type: 'http_request', ignore_failure: false, method: 'get', url: 'not a url', timeout: 1000 }
    expect((await add(url)).body.errors).toEqual(['action.url: invalid url'])
    const deep = await add({
      type: 'if',
      condition: {
        type: 'not',
        condition: { type: 'not', condition: { type: 'not', condition: { type: 'not', condition: { type: 'none' } } } },
      },
    })
    expect(deep.body.errors).toEqual(['action.condition: condition may not nest groups more than 3 levels deep'])
    expect((await add({ type: 'sleep', duration: 0 })).status).toBe(400)
    expect((await add({ type: 'sleep', duration: 10 }, 40_000)).status).toBe(400)
    expect((await add({ type: 'send_command', ignore_failure: false, command: '' })).status).toBe(400)
    expect((await call('GET', uuid, `/${s.uuid}/steps`, owner())).body.schedule_steps).toEqual([])
  })

  test('a step doing what the caller may not do is 403; what they may do passes', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const editor = await k.subuser(uuid, ['schedules.read', 'schedules.update', 'control.start'])
    const add = (action: unknown) => call('POST', uuid, `/${s.uuid}/steps`, editor, { action, order: 1 })
    const refused = await add(command())
    expect([refused.status, refused.body.errors]).toEqual([
      403,
      ['unable to create schedule step that requires permission: control.console'],
    ])
    const kill = await add({ type: 'send_power', ignore_failure: false, action: 'kill' })
    expect(kill.body.errors).toEqual(['unable to create schedule step that requires permission: control.stop'])
    const backup = await add({ type: 'create_backup', ignore_failure: false, foreground: false, name: null, ignored_files: [] })
    expect(backup.body.errors).toEqual(['unable to create schedule step that requires permission: backups.create'])
    expect((await add({ type: 'send_power', ignore_failure: false, action: 'start' })).status).toBe(200)
    expect((await add({ type: 'sleep', duration: 1000 })).status).toBe(200)
    const mine = await k.step(uuid, s.uuid, command())
    const change = await call('PATCH', uuid, `/${s.uuid}/steps/${mine.uuid}`, editor, { action: command('stop') })
    expect(change.body.errors).toEqual(['unable to update schedule step that requires permission: control.console'])
    expect((await call('PATCH', uuid, `/${s.uuid}/steps/${mine.uuid}`, editor, { order: 9 })).status).toBe(200)
    const copy = await call('POST', uuid, `/${s.uuid}/steps/${mine.uuid}/duplicate`, editor)
    expect(copy.body.errors).toEqual(['unable to create schedule step that requires permission: control.console'])
  })

  test('417 at server.max_schedule_step_count, for creation and duplication', async () => {
    await t.kernel.settings.update({ 'server.max_schedule_step_count': 2 })
    try {
      const uuid = await k.server()
      const s = await k.schedule(uuid)
      const one = await k.step(uuid, s.uuid, command())
      await k.step(uuid, s.uuid, command())
      const full = await call('POST', uuid, `/${s.uuid}/steps`, owner(), { action: command(), order: 3 })
      expect([full.status, full.body.errors]).toEqual([417, ['maximum number of schedule steps reached']])
      expect((await call('POST', uuid, `/${s.uuid}/steps/${one.uuid}/duplicate`, owner())).status).toBe(417)
    } finally {
      await t.kernel.settings.update({ 'server.max_schedule_step_count': 50 })
    }
  })
})

describe('steps: list, order, change, delete, duplicate', () => {
  test('order gives listed steps their position; PATCH changes, DELETE removes, duplicate copies; each logged', async () => {
    const uuid = await k.server()
    const s = await k.schedule(uuid)
    const a = await k.step(uuid, s.uuid, command('a'), 1)
    const b = await k.step(uuid, s.uuid, command('b'), 2)
    const c = await k.step(uuid, s.uuid, command('c'), 3)
    const names = async () => (await call('GET', uuid, `/${s.uuid}/steps`, owner())).body.schedule_steps.map((x: any) => x.action.command)
    expect(await names()).toEqual(['a', 'b', 'c'])
    expect((await call('PUT', uuid, `/${s.uuid}/steps/order`, owner(), { schedule_step_order: [c.uuid, a.uuid] })).status).toBe(200)
    expect(await names()).toEqual(['c', 'a', 'b']) // b keeps order 2 and was created after a
    expect((await k.hasEvent(uuid, 'server:schedule.step.update-order'))[0][1]).toEqual({
      schedule_uuid: s.uuid,
      schedule_step_order: [c.uuid, a.uuid],
    })
    expect((await call('PATCH', uuid, `/${s.uuid}/steps/${b.uuid}`, owner(), { action: command('B'), order: 0 })).status).toBe(200)
    expect(await names()).toEqual(['B', 'c', 'a'])
    const copy = await call('POST', uuid, `/${s.uuid}/steps/${b.uuid}/duplicate`, owner())
    expect(copy.body.schedule_step).toMatchObject({ action: command('B'), order: 0 })
    expect((await call('DELETE', uuid, `/${s.uuid}/steps/${a.uuid}`, owner())).status).toBe(200)
    expect(await names()).toEqual(['B', 'B', 'c'])
    expect((await k.hasEvent(uuid, 'server:schedule.step.delete'))[0][1]).toMatchObject({ uuid: a.uuid, schedule_uuid: s.uuid })
    expect((await k.hasEvent(uuid, 'server:schedule.step.duplicate'))[0][1]).toMatchObject({ source_uuid: b.uuid })
    expect((await call('DELETE', uuid, `/${s.uuid}/steps/${a.uuid}`, owner())).body.errors).toEqual(['schedule step not found'])
    expect((await call('PATCH', uuid, `/${s.uuid}/steps/nope`, owner(), {})).body.errors).toEqual(['invalid schedule step uuid'])
    const other = await k.schedule(uuid)
    expect((await call('DELETE', uuid, `/${other.uuid}/steps/${b.uuid}`, owner())).status).toBe(404)
    await k.synced()
    expect(
      k
        .onNode(uuid)
        .find((x) => x.uuid === s.uuid)
        .actions.map((x: any) => x.command),
    ).toEqual(['B', 'B', 'c'])
  })
})

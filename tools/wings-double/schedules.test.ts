import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { useDouble } from './harness'

const kit = useDouble()
const { call, createServer } = kit

const step = (action: Record<string, unknown>) => ({ uuid: randomUUID(), ...action })

/** A server whose configuration holds one schedule with these actions (and triggers); its uuids. */
async function withSchedule(actions: Record<string, unknown>[], triggers: unknown[] = [], condition: unknown = { type: 'none' }) {
  const schedule = randomUUID()
  const uuid = await createServer({ patch: { schedules: [{ uuid: schedule, triggers, condition, actions }] } })
  return { uuid, schedule, base: `/api/servers/${uuid}/schedules/${schedule}` }
}

const reports = (schedule: string) =>
  kit.panel.calls
    .filter((c) => c.method === 'POST' && c.path === '/api/remote/schedule')
    .flatMap((c) => (c.body as { data: any[] }).data)
    .filter((r) => r.uuid === schedule)

async function until<T>(probe: () => T | undefined, what: string, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const found = probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

describe('schedules on the double', () => {
  test('a triggered run sends its command into the console and reports success to POST /api/remote/schedule', async () => {
    const command = step({ type: 'send_command', ignore_failure: false, command: 'say backup soon' })
    const { uuid, schedule, base } = await withSchedule([command])
    await call('POST', `/api/servers/${uuid}/power`, { action: 'start' })
    expect(await call('POST', `${base}/trigger`, { skip_condition: false })).toMatchObject({ status: 200, json: {} })
    const [run] = await until(() => (reports(schedule).length ? reports(schedule) : undefined), 'the report')
    expect(run).toMatchObject({ uuid: schedule, successful: true, errors: {} })
    expect(new Date(run.timestamp).getTime()).toBeGreaterThan(Date.now() - 10_000)
    expect(kit.wings.servers.get(uuid)?.console).toContain('say backup soon')
    expect(await call('GET', base)).toMatchObject({ status: 202, json: { status: { running: false, errors: {}, step: null } } })
  })

  test('a failing step is reported with its error and stops the run; ignore_failure goes on', async () => {
    const failing = step({ type: 'send_command', ignore_failure: false, command: 'say one' })
    const never = step({ type: 'send_command', ignore_failure: false, command: 'say two' })
    const { schedule, base } = await withSchedule([failing, never])
    await call('POST', `${base}/trigger`, { skip_condition: true })
    const [run] = await until(() => (reports(schedule).length ? reports(schedule) : undefined), 'the report')
    expect(run).toMatchObject({ successful: false, errors: { [failing.uuid]: 'server is not running.' } })
    expect((await call('GET', base)).json.status.errors).toEqual({ [failing.uuid]: 'server is not running.' })

    const tolerated = step({ type: 'send_command', ignore_failure: true, command: 'say one' })
    const second = await withSchedule([tolerated, step({ type: 'exit', successful: true })])
    await call('POST', `${second.base}/trigger`, { skip_condition: false })
    const [ok] = await until(() => (reports(second.schedule).length ? reports(second.schedule) : undefined), 'the report')
    expect(ok).toMatchObject({ successful: true, errors: { [tolerated.uuid]: 'server is not running.' } })
  })

  test('a condition that does not hold runs nothing unless skipped', async () => {
    const { uuid, schedule, base } = await withSchedule([step({ type: 'send_command', ignore_failure: false, command: 'say hi' })], [], {
      type: 'server_state',
      state: 'running',
    })
    await call('POST', `/api/servers/${uuid}/power`, { action: 'start' })
    await call('POST', `/api/servers/${uuid}/power`, { action: 'kill' })
    await call('POST', `${base}/trigger`, { skip_condition: false })
    await kit.wings.idle()
    expect(reports(schedule)).toEqual([])
    await call('POST', `${base}/trigger`, { skip_condition: true })
    await until(() => (reports(schedule).length ? true : undefined), 'the report')
  })

  test('abort stops a sleeping run without a report; status tells the running step', async () => {
    const sleep = step({ type: 'sleep', duration: 60_000 })
    const { schedule, base } = await withSchedule([sleep])
    await call('POST', `${base}/trigger`, { skip_condition: false })
    await Bun.sleep(20)
    expect((await call('GET', base)).json.status).toEqual({ running: true, errors: {}, step: sleep.uuid })
    expect(await call('POST', `${base}/abort`)).toMatchObject({ status: 200, json: {} })
    expect((await call('GET', base)).json.status).toMatchObject({ running: false, step: null })
    await kit.wings.idle()
    expect(reports(schedule)).toEqual([])
  })

  test('a cron trigger runs the schedule on its own; power and state triggers fire', async () => {
    const { schedule } = await withSchedule([step({ type: 'exit', successful: true })], [{ type: 'cron', schedule: '* * * * * *' }])
    await until(() => (reports(schedule).length ? true : undefined), 'a cron run', 4000)
    const powered = await withSchedule([step({ type: 'exit', successful: false })], [{ type: 'power_action', action: 'start' }])
    await call('POST', `/api/servers/${powered.uuid}/power`, { action: 'start' })
    const [run] = await until(() => (reports(powered.schedule).length ? reports(powered.schedule) : undefined), 'the power run')
    expect(run.successful).toBe(false)
  })

  test('unknown schedules are 404; a trigger without skip_condition is 400', async () => {
    const { uuid, base } = await withSchedule([])
    expect(await call('GET', `/api/servers/${uuid}/schedules/${randomUUID()}`)).toMatchObject({
      status: 404,
      json: { error: 'schedule not found' },
    })
    expect((await call('POST', `/api/servers/${uuid}/schedules/${randomUUID()}/abort`)).status).toBe(404)
    expect((await call('POST', `${base}/trigger`, {})).status).toBe(400)
  })
})

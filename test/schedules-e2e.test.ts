// Schedules end to end, panel and Wings double as two processes (as test/wings-e2e.test.ts): a
// schedule with a cron trigger and a `send_command` step reaches the configuration the node holds,
// and a run triggered through the panel executes on the node and is recorded by the panel from the
// node's report (`POST /api/remote/schedule`).
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { api, onNode, serverBody, token, until, useTwoProcesses, wingsPort } from './helpers/two-processes'

setDefaultTimeout(90_000)

useTwoProcesses()

describe('a schedule, panel and node as separate processes', () => {
  test('a cron schedule with a send_command step reaches the node; a triggered run executes there and is recorded', async () => {
    const created = await api('POST', '/api/admin/servers', {
      ...serverBody('e2e-scheduled', null),
      skip_installer: true,
      feature_limits: { allocations: 1, databases: 0, backups: 0, schedules: 1 },
    })
    expect(created.status).toBe(200)
    const uuid = created.body.server.uuid as string
    const base = `/api/client/servers/${uuid}/schedules`

    const schedule = await api('POST', base, {
      name: 'nightly say',
      enabled: true,
      triggers: [{ type: 'cron', schedule: '0 4 * * *' }],
      condition: { type: 'none' },
    })
    expect(schedule.status).toBe(200)
    const scheduleUuid = schedule.body.schedule.uuid as string
    const step = await api('POST', `${base}/${scheduleUuid}/steps`, {
      action: { type: 'send_command', ignore_failure: false, command: 'say hello from a schedule' },
      order: 1,
    })
    expect(step.status).toBe(200)

    // The node holds the schedule as the panel pushed it: the cron trigger and the step as an action.
    const held = await until('the schedule in the node configuration', async () => {
      const schedules = (await onNode(`/api/servers/${uuid}`)).body?.configuration?.schedules as any[] | undefined
      return schedules?.[0]?.actions?.length ? schedules[0] : undefined
    })
    expect(held).toEqual({
      uuid: scheduleUuid,
      triggers: [{ type: 'cron', schedule: '0 4 * * *' }],
      condition: { type: 'none' },
      actions: [{ uuid: step.body.schedule_step.uuid, type: 'send_command', ignore_failure: false, command: 'say hello from a schedule' }],
    })

    expect((await api('POST', `/api/client/servers/${uuid}/power`, { action: 'start' })).status).toBe(200)
    const triggered = await api('POST', `${base}/${scheduleUuid}/trigger`, { skip_condition: false })
    expect([triggered.status, triggered.body]).toEqual([200, {}])

    const recorded = await until('the run recorded by the panel', async () => {
      const s = (await api('GET', `${base}/${scheduleUuid}`)).body.schedule
      return s.last_run ? s : undefined
    })
    expect(recorded.last_failure).toBeNull()
    expect(Date.now() - new Date(recorded.last_run).getTime()).toBeLessThan(60_000)
    const logs = await fetch(`http://127.0.0.1:${wingsPort}/api/servers/${uuid}/logs`, {
      headers: { authorization: `Bearer ${token.secret}` },
    })
    expect(await logs.text()).toContain('say hello from a schedule')
    const steps = await api('GET', `${base}/${scheduleUuid}/steps`)
    expect(steps.body.schedule_steps[0].error).toBeNull()
    expect((await api('GET', `${base}/${scheduleUuid}/status`)).body).toEqual({ status: { running: false, errors: {}, step: null } })
  })
})

import { describe, expect, test } from 'bun:test'
import { adminCaller, relaxRateLimits, testApp, useTestApp, type AdminCaller, type TestApp } from 'hatchery/testing'
import { UNKNOWN, countRows, eventually, extensionTestPlugins, listExtensions, toggle as toggleAs } from './test-helpers'

// A toggle in one panel process reaches the others through the settings table: routes and jobs.
const t = useTestApp(async () => ({ plugins: await extensionTestPlugins() }))
const plugins = extensionTestPlugins

let admin: AdminCaller
const setup = async () => {
  if (admin) return admin
  await relaxRateLimits(t)
  admin = await adminCaller(t)
  return admin
}

const toggle = (app: TestApp, name: string, enabled: boolean) => toggleAs(app, admin.cookie, name, enabled)
const list = (app: TestApp) => listExtensions(app, admin.cookie)
const jobRuns = (app: TestApp) => countRows(app, 'greeter_job_runs')

describe('across panel processes and restarts', () => {
  test('a second panel on the same database follows a toggle within a few seconds; a restart keeps it', async () => {
    await setup()
    const other = await testApp({ db: t.db, plugins: await plugins() })
    try {
      const user = await adminCaller(other)
      const greetings = () => other.request('GET', '/api/client/greetings', { cookie: user.cookie })
      expect((await greetings()).status).toBe(200)
      expect((await toggle(t, 'greeter-fan', false)).status).toBe(200)
      expect((await toggle(t, 'greeter', false)).status).toBe(200)
      // Asked only on a public route (which reads no settings): the switch refreshes by itself.
      await eventually(async () => (await other.request('GET', '/api/greeter/slow')).status === 404)
      expect(await greetings()).toMatchObject(UNKNOWN)
      expect((await other.request('GET', '/api/settings')).body.disabled_extensions.sort()).toEqual(['greeter', 'greeter-fan'])

      // A restart on the same data: still disabled from the first request on.
      const restarted = await testApp({ db: t.db, plugins: await plugins() })
      try {
        // Its very first request, on a route of no authenticated namespace.
        expect(await restarted.request('GET', '/api/greeter/slow')).toMatchObject(UNKNOWN)
        expect(await restarted.request('GET', '/api/client/greetings', { cookie: user.cookie })).toMatchObject(UNKNOWN)
        expect((await list(restarted)).disabled).toEqual(['greeter', 'greeter-fan'])
      } finally {
        await restarted.close()
      }

      expect((await toggle(t, 'greeter', true)).status).toBe(200)
      await eventually(async () => (await greetings()).status === 200)
    } finally {
      await other.close()
    }
    expect((await toggle(t, 'greeter-fan', true)).status).toBe(200)
  }, 30_000)

  test("the scheduler skips a disabled plugin's jobs and resumes them when it is enabled", async () => {
    await setup()
    const worker = await testApp({ db: t.db, plugins: await plugins() })
    try {
      expect((await toggle(t, 'greeter-fan', false)).status).toBe(200)
      expect((await toggle(t, 'greeter', false)).status).toBe(200)
      // The worker may run a tick until it has seen the change (within 2 s); from then on none.
      await eventually(async () => (await worker.kernel.extensions.fresh()).has('greeter'))
      worker.kernel.jobs.start()
      await Bun.sleep(300)
      const before = await jobRuns(t)
      await Bun.sleep(2500)
      expect(await jobRuns(t)).toBe(before)
      expect((await toggle(t, 'greeter', true)).status).toBe(200)
      await eventually(async () => (await jobRuns(t)) > before)
    } finally {
      await worker.close()
    }
    expect((await toggle(t, 'greeter-fan', true)).status).toBe(200)
  }, 30_000)
})

/** Test support for the schedule routes (test files only): the servers plugin's client kit, and schedules of its servers. */
import { expect } from 'bun:test'
import { login, makeUser, type TestApp } from 'hatchery/testing'
import { serverSubusers } from '../servers'
import { clientKit } from '../servers/client/test-kit'
import serverSchedulesPlugin from '.'

export type Who = { cookie?: string; token?: string }

/**
 * The servers' client kit (admin, owner, stranger, a node on the Wings double, an egg) plus:
 * `server()` allowing 10 schedules, `schedule()` made through the API, `subuser()` holding given
 * permissions, `call()` under `/api/client/servers/{uuid}/schedules`, and `synced()` waiting for
 * the background pushes.
 */
export function scheduleKit(t: TestApp) {
  const k = clientKit(t)
  const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
    t.request(method, `/api/client/servers/${uuid}/schedules${rest}`, { ...who, body })
  const asOwner = () => ({ cookie: k.owner.cookie })
  const serverOf = k.server
  return Object.assign(k, {
    call,
    asOwner,
    server: (limit = 10) => serverOf({ feature_limits: { allocations: 1, databases: 0, backups: 0, schedules: limit } }),
    async schedule(uuid: string, over: Record<string, unknown> = {}) {
      const res = await call('POST', uuid, '', asOwner(), {
        name: `s${Math.random().toString(36).slice(2, 8)}`,
        enabled: true,
        triggers: [{ type: 'cron', schedule: '0 4 * * *' }],
        condition: { type: 'none' },
        ...over,
      })
      expect(res.status).toBe(200)
      return res.body.schedule as { uuid: string; name: string }
    },
    async step(uuid: string, schedule: string, action: Record<string, unknown>, order = 1) {
      const res = await call('POST', uuid, `/${schedule}/steps`, asOwner(), { action, order })
      expect(res.status).toBe(200)
      return res.body.schedule_step as { uuid: string; action: Record<string, unknown>; order: number }
    },
    /** A user with a session, a subuser of `uuid` with `permissions`. */
    async subuser(uuid: string, permissions: string[]) {
      const user = await makeUser(t)
      await t.kernel.database.db.insert(serverSubusers).values({ server_uuid: uuid, user_uuid: user.uuid, permissions, ignored_files: [] })
      return { cookie: await login(t, user) }
    },
    synced: () => t.kernel.contexts.get('server-schedules')!.api(serverSchedulesPlugin).sync.settled(),
    /** The last configuration the double holds for `uuid`. */
    onNode: (uuid: string) => k.at.wings.servers.get(uuid)!.config.settings.schedules as any[],
    hasEvent: async (uuid: string, event: string) => (await k.events(uuid)).filter(([e]) => e === event),
  })
}

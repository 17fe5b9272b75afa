import { afterAll, beforeAll, expect } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, plainCaller, SETUP_TIMEOUT, type AdminCaller, type TestApp } from 'hatchery/testing'
import { makeEgg, nodeOnDouble, serverBody, serversApi, type DoubleNode } from '../test-fixtures'
import { serverActivities, servers } from '../tables'

/**
 * The callers of a client-area test (an admin with `servers.read`, the servers' owner, a
 * stranger), a node on the Wings double and an egg, set up in `beforeAll`; `server()` creates an
 * installed server of the owner through the admin API.
 * @example const k = clientKit(t); test('…', async () => { const uuid = await k.server() })
 */
export function clientKit(t: TestApp) {
  const kit = {
    admin: undefined as unknown as AdminCaller,
    owner: undefined as unknown as AdminCaller,
    stranger: undefined as unknown as AdminCaller,
    at: undefined as unknown as DoubleNode,
    egg: undefined as unknown as Awaited<ReturnType<typeof makeEgg>>,
    db: () => t.kernel.database.db,
    row: async (uuid: string) => (await t.kernel.database.db.select().from(servers).where(eq(servers.uuid, uuid)))[0],
    events: async (uuid: string) =>
      (await t.kernel.database.db.select().from(serverActivities).where(eq(serverActivities.server_uuid, uuid))).map((e) => [
        e.event,
        e.data,
      ]),
    async server(over: Record<string, unknown> = {}, egg?: string): Promise<string> {
      const res = await t.request('POST', '/api/admin/servers', {
        cookie: kit.admin.cookie,
        body: serverBody(
          { node_uuid: kit.at.node.uuid, owner_uuid: kit.owner.uuid, egg_uuid: egg ?? kit.egg.uuid },
          { name: `srv${Math.random().toString(36).slice(2, 8)}`, ...over },
        ),
      })
      expect(res.status).toBe(200)
      return res.body.server.uuid
    },
  }
  beforeAll(async () => {
    ;({ admin: kit.admin, plain: kit.owner } = await adminCallers(t, ['servers.read']))
    kit.stranger = await plainCaller(t)
    kit.at = await nodeOnDouble(t, kit.admin)
    kit.egg = await makeEgg(t)
    serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  }, SETUP_TIMEOUT)
  afterAll(() => kit.at?.wings.stop())
  return kit
}

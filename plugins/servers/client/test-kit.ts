import { afterAll, beforeAll, expect } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, makeApiKey, plainCaller, SETUP_TIMEOUT, type AdminCaller, type TestApp } from 'hatchery/testing'
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
  /**
   * Each `[method, path, body, permission]` (path under the server) answers 401 without a session,
   * 404 to a stranger and 403 to an owner's API key holding only `grant`.
   */
  async function expectGuarded(uuid: string, cases: [string, string, unknown, string][], grant = 'settings.rename') {
    const key = await makeApiKey(t, kit.owner.cookie, { server_permissions: [grant] })
    const at = (method: string, path: string, who: { cookie?: string; token?: string }, body: unknown) =>
      t.request(method, `/api/client/servers/${uuid}${path}`, { ...who, body })
    for (const [method, path, body, permission] of cases) {
      expect((await at(method, path, {}, body)).status).toBe(401)
      expect((await at(method, path, { cookie: kit.stranger.cookie }, body)).status).toBe(404)
      const denied = await at(method, path, { token: key.key }, body)
      expect([denied.status, denied.body.errors]).toEqual([403, [`you do not have permission to perform this action: ${permission}`]])
    }
  }
  beforeAll(async () => {
    ;({ admin: kit.admin, plain: kit.owner } = await adminCallers(t, ['servers.read']))
    kit.stranger = await plainCaller(t)
    kit.at = await nodeOnDouble(t, kit.admin)
    kit.egg = await makeEgg(t)
    serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 1_000 }
  }, SETUP_TIMEOUT)
  afterAll(() => kit.at?.wings.stop())
  return Object.assign(kit, { expectGuarded })
}

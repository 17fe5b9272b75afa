// GET /api/client/servers/{server} answered by the kernel's ready lane once the caller's scope
// resolution and the object are cached: the same answers as the full pipeline, to the byte.
import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { useTestApp, type TestApp } from 'hatchery/testing'
import { servers } from '../tables'
import { clientKit } from './test-kit'

// One database served twice: with the ready lane, and by the full pipeline only.
const fast = useTestApp()
const slow = useTestApp(async () => ({ db: fast.db, readyLane: false }))
const k = clientKit(fast)

async function get(t: TestApp, path: string, cookie: string, accept = 'application/json') {
  const before = t.readyLane.answered
  const res = await t.handle(new Request(`http://localhost${path}`, { headers: { cookie, accept } }))
  const text = new TextDecoder().decode(new Uint8Array(await res.arrayBuffer()))
  const headers = [...res.headers].filter(([name]) => !['x-request-id', 'date', 'content-length', 'set-cookie'].includes(name))
  return { status: res.status, headers, text, viaLane: t.readyLane.answered > before }
}

/** Both panels answer alike; whether the fast one's answer came from the lane (its second try: the first fills the caches). */
async function same(path: string, cookie: string): Promise<boolean> {
  let viaLane = false
  for (const accept of ['application/json', 'application/msgpack', 'text/xml']) {
    for (let i = 0; i < 2; i++) {
      const a = await get(fast, path, cookie, accept)
      const b = await get(slow, path, cookie, accept)
      const { viaLane: lane, ...answer } = a
      const { viaLane: _, ...expected } = b
      expect({ path, ...answer }).toEqual({ path, ...expected })
      viaLane ||= lane
    }
  }
  return viaLane
}

describe('GET /api/client/servers/{server} through the ready lane', () => {
  test('owner, administrator, stranger; by uuid, upper case and short id; unknown names', async () => {
    const uuid = await k.server()
    const short = uuid.slice(0, 8)
    for (const id of [uuid, uuid.toUpperCase(), short]) {
      expect({ id, viaLane: await same(`/api/client/servers/${id}`, k.owner.cookie) }).toEqual({ id, viaLane: true })
      expect({ id, viaLane: await same(`/api/client/servers/${id}`, k.admin.cookie) }).toEqual({ id, viaLane: true })
      expect({ id, viaLane: await same(`/api/client/servers/${id}`, k.stranger.cookie) }).toEqual({ id, viaLane: false })
    }
    for (const id of ['nonsense', crypto.randomUUID(), `${uuid}/`, `${uuid}x`])
      expect({ id, viaLane: await same(`/api/client/servers/${id}`, k.owner.cookie) }).toEqual({ id, viaLane: false })
    expect((await get(fast, `/api/client/servers/${uuid}`, k.stranger.cookie)).status).toBe(404)
  })

  test('a change is seen at once: renamed, suspended (still answered: the route is exempt from the state gate)', async () => {
    const uuid = await k.server()
    const path = `/api/client/servers/${uuid}`
    expect(await same(path, k.owner.cookie)).toBe(true)
    await fast.kernel.database.db.update(servers).set({ name: 'renamed-now' }).where(eq(servers.uuid, uuid))
    const renamed = await get(fast, path, k.owner.cookie)
    expect(JSON.parse(renamed.text).server.name).toBe('renamed-now')
    await fast.kernel.database.db.update(servers).set({ suspended: true }).where(eq(servers.uuid, uuid))
    const suspended = await get(fast, path, k.owner.cookie)
    expect([suspended.status, JSON.parse(suspended.text).server.is_suspended]).toEqual([200, true])
    expect(await same(path, k.owner.cookie)).toBe(true)
    // A route behind the state gate: 409 from the pipeline, never an answer of the lane.
    const gated = await get(fast, `${path}/allocations`, k.owner.cookie)
    expect([gated.status, gated.viaLane]).toEqual([409, false])
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { servers } from './tables'
import { insertServer, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
let admin: AdminCaller
let at: DoubleNode
let egg: { uuid: string; nest: string }
let owner: string

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, []))
  at = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  owner = (await makeUser(t)).uuid
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const refs = () => ({ node: at.node.uuid, owner, egg: egg.uuid })
const removeServer = (uuid: string) => t.kernel.database.db.delete(servers).where(eq(servers.uuid, uuid))
const request = (method: string, path: string) => t.request(method, path, { cookie: admin.cookie })

describe("what the servers plugin fills in other plugins' routes", () => {
  test('GET /api/admin/stats/general counts servers', async () => {
    const before = (await request('GET', '/api/admin/stats/general')).body.stats.servers
    const row = await insertServer(t, refs())
    expect((await request('GET', '/api/admin/stats/general')).body.stats.servers).toBe(before + 1)
    await removeServer(row.uuid)
  })

  test("GET /api/admin/nodes/{node}/capacity sums the node's servers", async () => {
    const a = await insertServer(t, refs(), { cpu: 150, memory: 2048, memory_overhead: 256, disk: 10_000 })
    const b = await insertServer(t, refs(), { cpu: 50, memory: 1024, disk: 5_000 })
    const res = await request('GET', `/api/admin/nodes/${at.node.uuid}/capacity`)
    expect(res.body).toEqual({
      limits: { memory: 8192, disk: 65536 },
      allocated: { servers: 2, cpu: 200, memory: 3072, memory_overhead: 256, disk: 15_000 },
    })
    await removeServer(a.uuid)
    await removeServer(b.uuid)
    expect((await request('GET', `/api/admin/nodes/${at.node.uuid}/capacity`)).body.allocated).toEqual({
      servers: 0,
      cpu: 0,
      memory: 0,
      memory_overhead: 0,
      disk: 0,
    })
  })

  test('a node, an egg or a user with servers cannot be deleted', async () => {
    const row = await insertServer(t, refs())
    expect(await request('DELETE', `/api/admin/nodes/${at.node.uuid}`)).toMatchObject({
      status: 409,
      body: { errors: ['node has servers, cannot delete'] },
    })
    expect(await request('DELETE', `/api/admin/nests/${egg.nest}/eggs/${egg.uuid}`)).toMatchObject({
      status: 409,
      body: { errors: ['egg has servers, cannot delete'] },
    })
    expect(await request('DELETE', `/api/admin/users/${owner}`)).toMatchObject({
      status: 409,
      body: { errors: ['user has servers, cannot delete'] },
    })
    await removeServer(row.uuid)
    expect((await request('DELETE', `/api/admin/users/${owner}`)).status).toBe(200)
    expect((await request('DELETE', `/api/admin/nests/${egg.nest}/eggs/${egg.uuid}`)).status).toBe(200)
  })

  test('a node that is the destination of a transfer cannot be deleted either', async () => {
    const other = await nodeOnDouble(t, admin)
    const user = (await makeUser(t)).uuid
    const second = await makeEgg(t)
    const row = await insertServer(t, { node: other.node.uuid, owner: user, egg: second.uuid }, { destination_node_uuid: at.node.uuid })
    expect((await request('DELETE', `/api/admin/nodes/${at.node.uuid}`)).status).toBe(409)
    await removeServer(row.uuid)
    expect((await request('DELETE', `/api/admin/nodes/${at.node.uuid}`)).status).toBe(200)
    await other.wings.stop()
  })
})

/** Test support for transfers (test files only): two nodes on Wings doubles, allocations on each, servers on the first. */
import { afterAll, beforeAll, expect } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, plainCaller, SETUP_TIMEOUT, type AdminCaller, type TestApp } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { makeEgg, nodeOnDouble, serverBody, serverEvents, serversApi, type DoubleNode } from '../servers/test-fixtures'
import { tables as serverTables } from '../servers'

const na = allocationTables.nodeAllocations

/**
 * The cast of a transfer test: an administrator (`who.limited` holds only the transfer
 * permissions), a server owner, a source and a destination node on doubles with 20 ports each.
 */
export function transferKit(t: TestApp) {
  const kit = {
    who: undefined as unknown as Awaited<ReturnType<typeof adminCallers>>,
    owner: undefined as unknown as AdminCaller,
    src: undefined as unknown as DoubleNode,
    dst: undefined as unknown as DoubleNode,
    egg: undefined as unknown as Awaited<ReturnType<typeof makeEgg>>,
    db: () => t.kernel.database.db,
    row: async (uuid: string) =>
      (await t.kernel.database.db.select().from(serverTables.servers).where(eq(serverTables.servers.uuid, uuid)))[0],
    /** The data of the server's `server:transfer.failure` activity entries, oldest first. */
    failures: async (uuid: string) =>
      (await serverEvents(t, uuid)).filter(([event]) => event === 'server:transfer.failure').map(([, data]) => data),
    /** The node-allocation uuids the server holds, as `node uuid → count`. */
    async held(uuid: string): Promise<Record<string, number>> {
      const { serverAllocations } = serverTables
      const rows = await kit
        .db()
        .select({ node: na.node_uuid })
        .from(serverAllocations)
        .innerJoin(na, eq(na.uuid, serverAllocations.allocation_uuid))
        .where(eq(serverAllocations.server_uuid, uuid))
      const out: Record<string, number> = {}
      for (const r of rows) out[r.node] = (out[r.node] ?? 0) + 1
      return out
    },
    /** Free node allocations of `node` (not held by any server), by port. */
    async free(node: string, n: number): Promise<string[]> {
      const { serverAllocations } = serverTables
      const held = new Set((await kit.db().select({ a: serverAllocations.allocation_uuid }).from(serverAllocations)).map((r) => r.a))
      const rows = await kit.db().select().from(na).where(eq(na.node_uuid, node))
      return rows
        .sort((a, b) => a.port - b.port)
        .filter((r) => !held.has(r.uuid))
        .slice(0, n)
        .map((r) => r.uuid)
    },
    /** A server of the owner on the source node with a primary there and `files` on the double, allowed `backups` backups. */
    async server(
      files: Record<string, string> = { 'server.properties': 'motd=hello', 'world/level.dat': 'level' },
      backups = 0,
    ): Promise<string> {
      const [primary] = await kit.free(kit.src.node.uuid, 1)
      const res = await t.request('POST', '/api/admin/servers', {
        cookie: kit.who.admin.cookie,
        body: serverBody(
          { node_uuid: kit.src.node.uuid, owner_uuid: kit.owner.uuid, egg_uuid: kit.egg.uuid },
          {
            name: `srv${Math.random().toString(36).slice(2, 8)}`,
            allocation_uuid: primary,
            feature_limits: { allocations: 5, databases: 0, backups, schedules: 0 },
          },
        ),
      })
      expect(res.status).toBe(200)
      const uuid = res.body.server.uuid as string
      const onNode = kit.src.wings.servers.get(uuid)!
      for (const [path, text] of Object.entries(files)) onNode.files.write(path, new TextEncoder().encode(text))
      return uuid
    },
    /** A transfer body to the destination with its first free allocation as the primary and `extra` others. */
    async body(extra = 0, over: Record<string, unknown> = {}) {
      const [primary, ...others] = await kit.free(kit.dst.node.uuid, 1 + extra)
      return {
        node_uuid: kit.dst.node.uuid,
        allocation_uuid: primary,
        allocation_uuids: others,
        backups: [],
        delete_source_backups: false,
        archive_format: 'tar_gz',
        multiplex_channels: 0,
        ...over,
      }
    },
    /** Both doubles have finished what they were doing (streams, callbacks). */
    async settle() {
      await kit.src.wings.idle()
      await kit.dst.wings.idle()
      await Bun.sleep(50)
    },
  }
  beforeAll(async () => {
    kit.who = await adminCallers(t, ['servers.transfer', 'nodes.transfers'])
    kit.owner = await plainCaller(t)
    kit.src = await nodeOnDouble(t, kit.who.admin)
    kit.dst = await nodeOnDouble(t, kit.who.admin)
    kit.egg = await makeEgg(t)
    serversApi(t).wingsOptions = { connectTimeoutMs: 300, timeoutMs: 3_000 }
    const ports = Array.from({ length: 20 }, (_, i) => 40000 + i)
    for (const [node, ip] of [
      [kit.src.node.uuid, '10.8.0.1'],
      [kit.dst.node.uuid, '10.9.0.1'],
    ]) {
      const res = await t.request('POST', `/api/admin/nodes/${node}/allocations`, {
        cookie: kit.who.admin.cookie,
        body: { ip, ip_alias: null, ports },
      })
      expect(res.status).toBe(200)
    }
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await kit.src?.wings.stop()
    await kit.dst?.wings.stop()
  })
  return kit
}

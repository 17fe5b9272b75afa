import { describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminEvents, expectModel, expectRoutesGuarded, runJob, useTestApp } from 'hatchery/testing'
import { tables as serverTables } from '../servers'
import { serverTransfers } from './tables'
import { eventually } from '../server-mounts/test-kit'
import { transferKit } from './test-kit'
import { TransferProgress } from './model'

const t = useTestApp()
const k = transferKit(t)
const transfer = (uuid: string, body: unknown, cookie = k.who.limited.cookie) =>
  t.request('POST', `/api/admin/servers/${uuid}/transfer`, { cookie, body })
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined)

describe('server-transfers routes are guarded', () => {
  test('admin routes: 401, 403 outside the admin area, 403 naming the permission; remote: 401', async () => {
    const body = await k.body()
    const swept = await expectRoutesGuarded(t, {
      namespace: 'admin',
      plugin: 'server-transfers',
      bodies: {
        'POST /api/admin/servers/:server/transfer': body,
        'POST /api/admin/nodes/:node/servers/transfer': {
          servers: { type: 'all' },
          node_uuid: k.dst.node.uuid,
          allocation_mode: 'none',
          transfer_backups: false,
          delete_source_backups: false,
          archive_format: 'tar_gz',
          multiplex_channels: 0,
        },
      },
    })
    expect(swept.length).toBe(5)
    await expectRoutesGuarded(t, { namespace: 'remote', plugin: 'server-transfers' })
  })
})

describe('POST /api/admin/servers/{server}/transfer', () => {
  test('moves the server: files on the destination, node and allocations switched, the source copy deleted', async () => {
    const uuid = await k.server()
    const body = await k.body(1)
    const res = await transfer(uuid, body)
    expect([res.status, res.body]).toEqual([202, {}])
    await k.settle()
    const row = await k.row(uuid)
    expect(row.node_uuid).toBe(k.dst.node.uuid)
    expect(row.destination_node_uuid).toBeNull()
    expect(await k.held(uuid)).toEqual({ [k.dst.node.uuid]: 2 })
    const moved = k.dst.wings.servers.get(uuid)!
    expect(text(moved.files.get('world/level.dat')?.data)).toBe('level')
    expect(text(moved.files.get('server.properties')?.data)).toBe('motd=hello')
    expect(k.src.wings.servers.has(uuid)).toBe(false)
    // The destination gets the moved server's configuration in the background.
    await eventually(() => moved.config.settings.allocations.default?.ip === '10.9.0.1')
    const admin = await t.request('GET', `/api/admin/servers/${uuid}`, { cookie: k.who.admin.cookie })
    expect(admin.body.server.allocation.uuid).toBe(row.allocation_uuid)
    expect((await adminEvents(t, k.who.admin, 'server:transfer')).map((e) => e.data)).toContainEqual({
      uuid,
      destination_node_uuid: k.dst.node.uuid,
    })
    expect(k.src.wings.problems.concat(k.dst.wings.problems)).toEqual([])
    expect(await k.db().select().from(serverTransfers).where(eq(serverTransfers.server_uuid, uuid))).toEqual([])
  })

  test('while it moves: client routes 409, the node lists it, a second transfer 409', async () => {
    const uuid = await k.server()
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 600, route: 'POST /api/transfers' })
    expect((await transfer(uuid, await k.body())).status).toBe(202)
    const gated = await t.request('GET', `/api/client/servers/${uuid}/allocations`, { cookie: k.owner.cookie })
    expect([gated.status, gated.body.errors]).toEqual([409, ['server is being transferred']])
    const again = await transfer(uuid, await k.body())
    expect([again.status, again.body.errors]).toEqual([409, ['server is already being transferred']])
    const listed = await t.request('GET', `/api/admin/nodes/${k.src.node.uuid}/transfers/servers`, { cookie: k.who.limited.cookie })
    expect(listed.status).toBe(200)
    expect(listed.body.servers.data.map((s: { uuid: string }) => s.uuid)).toEqual([uuid])
    const progress = await t.request('GET', `/api/admin/nodes/${k.src.node.uuid}/transfers`, { cookie: k.who.limited.cookie })
    expect(progress.status).toBe(200)
    expectModel(TransferProgress, progress.body.transfers[uuid])
    await k.settle()
    heal()
    expect((await k.row(uuid)).node_uuid).toBe(k.dst.node.uuid)
    const after = await t.request('GET', `/api/client/servers/${uuid}/allocations`, { cookie: k.owner.cookie })
    expect(after.status).toBe(200)
  })

  test('a destination failing midway leaves the server on its source, usable; a retry succeeds', async () => {
    const uuid = await k.server()
    const heal = k.dst.wings.fail({ kind: 'transfer-fails' })
    expect((await transfer(uuid, await k.body(1))).status).toBe(202)
    await k.settle()
    heal()
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid, row.destination_allocation_uuid, row.status]).toEqual([
      k.src.node.uuid,
      null,
      null,
      null,
    ])
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
    expect(k.dst.wings.servers.has(uuid)).toBe(false)
    expect(k.dst.wings.callbacks.map((c) => [c.path, c.status])).toContainEqual([`/api/remote/servers/${uuid}/transfer/failure`, 200])
    expect(text(k.src.wings.servers.get(uuid)?.files.get('world/level.dat')?.data)).toBe('level')
    const power = await t.request('POST', `/api/client/servers/${uuid}/power`, { cookie: k.owner.cookie, body: { action: 'start' } })
    expect(power.status).toBe(200)
    expect(k.src.wings.servers.get(uuid)?.state).toBe('running')
    expect((await transfer(uuid, await k.body())).status).toBe(202)
    await k.settle()
    expect((await k.row(uuid)).node_uuid).toBe(k.dst.node.uuid)
    expect(text(k.dst.wings.servers.get(uuid)?.files.get('world/level.dat')?.data)).toBe('level')
  })

  test('a source that cannot be reached: 502, nothing kept', async () => {
    const uuid = await k.server()
    const heal = k.src.wings.fail({ kind: 'down' })
    const res = await transfer(uuid, await k.body(1))
    heal()
    expect([res.status, res.body.errors]).toEqual([502, [`node ${k.src.node.name} is unreachable`]])
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid]).toEqual([k.src.node.uuid, null])
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
    expect((await transfer(uuid, await k.body())).status).toBe(202)
    await k.settle()
  })

  test('refusals: same node, unknown node, installing, too many channels, foreign or taken allocations, bad body', async () => {
    const uuid = await k.server()
    const cases: [Record<string, unknown>, number, string][] = [
      [{ node_uuid: k.src.node.uuid }, 409, 'cannot transfer server to the same node'],
      [{ node_uuid: crypto.randomUUID() }, 404, 'node not found'],
      [{ multiplex_channels: 17 }, 400, 'multiplex channels cannot exceed 16'],
      [{ allocation_uuid: (await k.free(k.src.node.uuid, 1))[0] }, 400, 'all allocations must belong to the destination node'],
      [{ allocation_uuid: (await k.row(uuid)).allocation_uuid }, 400, 'all allocations must belong to the destination node'],
    ]
    for (const [over, status, message] of cases) {
      const res = await transfer(uuid, await k.body(0, over))
      expect([res.status, res.body.errors]).toEqual([status, [message]])
    }
    const other = await k.server()
    const taken = await k.body()
    expect((await transfer(other, taken)).status).toBe(202)
    await k.settle()
    const clash = await transfer(uuid, taken)
    expect([clash.status, clash.body.errors]).toEqual([409, ['the primary allocation is already assigned to a server']])
    await k.db().update(serverTables.servers).set({ status: 'installing' }).where(eq(serverTables.servers.uuid, uuid))
    const installing = await transfer(uuid, await k.body())
    expect([installing.status, installing.body.errors]).toEqual([
      409,
      ['server is installing or restoring a backup and cannot be transferred'],
    ])
    expect((await transfer(uuid, { node_uuid: k.dst.node.uuid })).status).toBe(400)
    expect((await transfer(crypto.randomUUID(), await k.body())).status).toBe(404)
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
  })
})

describe('POST /api/admin/servers/{server}/transfer/cancel', () => {
  test('cancels: the source aborts, the server stays, reservations released, logged; then 409', async () => {
    const uuid = await k.server()
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 800, route: 'POST /api/transfers' })
    expect((await transfer(uuid, await k.body(1))).status).toBe(202)
    await Bun.sleep(100)
    const res = await t.request('POST', `/api/admin/servers/${uuid}/transfer/cancel`, { cookie: k.who.limited.cookie })
    expect([res.status, res.body]).toEqual([200, {}])
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid]).toEqual([k.src.node.uuid, null])
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
    expect(k.src.wings.requests.some((r) => r.method === 'DELETE' && r.path === `/api/servers/${uuid}/transfer` && r.status === 200)).toBe(
      true,
    )
    expect((await adminEvents(t, k.who.admin, 'server:abort-transfer')).map((e) => e.data)).toContainEqual({
      uuid,
      destination_node_uuid: k.dst.node.uuid,
    })
    const again = await t.request('POST', `/api/admin/servers/${uuid}/transfer/cancel`, { cookie: k.who.limited.cookie })
    expect([again.status, again.body.errors]).toEqual([409, ['server is not being transferred']])
    expect(await k.failures(uuid)).toEqual([{ destination_node_uuid: k.dst.node.uuid, reason: 'cancelled' }])
    await k.settle()
    heal()
    expect((await k.row(uuid)).node_uuid).toBe(k.src.node.uuid)
    expect(k.src.wings.servers.has(uuid)).toBe(true)
  })

  test('a source that is down does not keep the server stuck', async () => {
    const uuid = await k.server()
    const slow = k.dst.wings.fail({ kind: 'slow', ms: 800, route: 'POST /api/transfers' })
    expect((await transfer(uuid, await k.body())).status).toBe(202)
    const down = k.src.wings.fail({ kind: 'down' })
    const res = await t.request('POST', `/api/admin/servers/${uuid}/transfer/cancel`, { cookie: k.who.admin.cookie })
    down()
    expect(res.status).toBe(200)
    expect((await k.row(uuid)).destination_node_uuid).toBeNull()
    await k.settle()
    slow()
  })
})

describe('the expire-transfers job', () => {
  test('ends a transfer past server_transfers.timeout_minutes as failed; a fresh one stays', async () => {
    const uuid = await k.server()
    const fresh = await k.server()
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 1_500, route: 'POST /api/transfers' })
    expect((await transfer(uuid, await k.body(1))).status).toBe(202)
    expect((await transfer(fresh, await k.body())).status).toBe(202)
    await k
      .db()
      .update(serverTransfers)
      .set({ started: new Date(Date.now() - 61 * 60_000) })
      .where(eq(serverTransfers.server_uuid, uuid))
    await t.kernel.settings.update({ 'server_transfers.timeout_minutes': 60 })
    await runJob(t, 'server-transfers:expire-transfers')
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid]).toEqual([k.src.node.uuid, null])
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
    expect((await k.row(fresh)).destination_node_uuid).toBe(k.dst.node.uuid)
    expect(await k.failures(uuid)).toEqual([{ destination_node_uuid: k.dst.node.uuid, reason: 'timed_out' }])
    expect(await k.failures(fresh)).toEqual([])
    await k.settle()
    heal()
    expect((await k.row(fresh)).node_uuid).toBe(k.dst.node.uuid)
  })
})

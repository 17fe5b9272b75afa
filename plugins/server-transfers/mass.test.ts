import { describe, expect, test } from 'bun:test'
import { adminEvents, useTestApp } from 'hatchery/testing'
import { transferKit } from './test-kit'

const t = useTestApp()
const k = transferKit(t)
const massBody = (over: Record<string, unknown> = {}) => ({
  servers: { type: 'all' },
  node_uuid: k.dst.node.uuid,
  allocation_mode: 'random_primary',
  transfer_backups: false,
  delete_source_backups: false,
  archive_format: 'tar_gz',
  multiplex_channels: 0,
  ...over,
})
const mass = (node: string, body: unknown) =>
  t.request('POST', `/api/admin/nodes/${node}/servers/transfer`, { cookie: k.who.limited.cookie, body })

describe('POST /api/admin/nodes/{node}/servers/transfer', () => {
  // First: the destination's ports are all free yet, so the port is there to keep.
  test('preserve_ports keeps the ports', async () => {
    const uuid = await k.server()
    const before = (await t.request('GET', `/api/admin/servers/${uuid}`, { cookie: k.who.admin.cookie })).body.server.allocation.port
    const res = await mass(k.src.node.uuid, massBody({ servers: { type: 'uuids', uuids: [uuid] }, allocation_mode: 'preserve_ports' }))
    expect([res.status, res.body]).toEqual([202, { affected: 1 }])
    await k.settle()
    const after = (await t.request('GET', `/api/admin/servers/${uuid}`, { cookie: k.who.admin.cookie })).body.server
    expect([after.node.uuid, after.allocation.port, after.allocation.ip]).toEqual([k.dst.node.uuid, before, '10.9.0.1'])
  })

  test('moves the selected servers with a random primary each; logged', async () => {
    const a = await k.server()
    const b = await k.server()
    const stay = await k.server()
    const res = await mass(k.src.node.uuid, massBody({ servers: { type: 'uuids', uuids: [a, b] } }))
    expect([res.status, res.body]).toEqual([202, { affected: 2 }])
    await k.settle()
    for (const uuid of [a, b]) {
      const row = await k.row(uuid)
      expect(row.node_uuid).toBe(k.dst.node.uuid)
      expect(row.allocation_uuid).not.toBeNull()
      expect(await k.held(uuid)).toEqual({ [k.dst.node.uuid]: 1 })
    }
    expect((await k.row(stay)).node_uuid).toBe(k.src.node.uuid)
    const events = await adminEvents(t, k.who.admin, 'node:servers.transfer')
    expect(events[0].data).toMatchObject({ node_uuid: k.src.node.uuid, destination_node_uuid: k.dst.node.uuid })
  })

  test('refusals: the same node 409, an unknown node 404, too many channels 400', async () => {
    const same = await mass(k.src.node.uuid, massBody({ node_uuid: k.src.node.uuid }))
    expect([same.status, same.body.errors]).toEqual([409, ['cannot transfer servers to the same node']])
    const unknown = await mass(k.src.node.uuid, massBody({ node_uuid: crypto.randomUUID() }))
    expect([unknown.status, unknown.body.errors]).toEqual([404, ['node not found']])
    const missing = await mass(crypto.randomUUID(), massBody())
    expect([missing.status, missing.body.errors]).toEqual([404, ['node not found']])
    const channels = await mass(k.src.node.uuid, massBody({ multiplex_channels: 17 }))
    expect([channels.status, channels.body.errors]).toEqual([400, ['multiplex channels cannot exceed 16']])
    expect((await mass(k.src.node.uuid, massBody({ allocation_mode: 'sideways' }))).status).toBe(400)
  })
})

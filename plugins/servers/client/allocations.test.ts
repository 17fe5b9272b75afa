import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as allocationTables } from '../../allocations'
import { tables as eggConfigTables } from '../../egg-configurations'
import { serverAllocations } from '../tables'
import { makeEgg } from '../test-fixtures'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
const na = allocationTables.nodeAllocations
/** The node allocations on 10.1.0.1 (ports 50000…); a new server's primary is the first one free. */
let free: string[] = []
let plainEgg: string

beforeAll(async () => {
  const ports = Array.from({ length: 30 }, (_, i) => 50000 + i)
  for (const [address, list] of [
    ['10.1.0.1', ports],
    ['10.2.0.1', [50000, 50001, 50002]],
  ] as const) {
    const res = await t.request('POST', `/api/admin/nodes/${k.at.node.uuid}/allocations`, {
      cookie: k.admin.cookie,
      body: { ip: address, ip_alias: null, ports: list },
    })
    expect(res.status).toBe(200)
  }
  const rows = await k.db().select().from(na).where(eq(na.node_uuid, k.at.node.uuid))
  free = rows
    .filter((r) => String(r.ip).startsWith('10.1.0.1'))
    .sort((a, b) => a.port - b.port)
    .map((r) => r.uuid)
  const [config] = await k
    .db()
    .insert(eggConfigTables.eggConfigurations)
    .values({
      name: `self assign ${Math.random()}`,
      config_allocations: {
        user_self_assign: { enabled: true, require_primary_allocation: true, start_port: 50000, end_port: 50100 },
        deployment: { dedicated: false, primary: null, additional: [] },
      },
    })
    .returning()
  await k
    .db()
    .insert(eggConfigTables.eggConfigurationEggs)
    .values({ egg_configuration_uuid: config.uuid, egg_uuid: k.egg.uuid, position: 0 })
  plainEgg = (await makeEgg(t)).uuid
}, SETUP_TIMEOUT)

/** A server of the owner with a primary on 10.1.0.1 and room for `limit` allocations. */
async function server(limit: number, egg?: string) {
  const held = new Set((await k.db().select({ a: serverAllocations.allocation_uuid }).from(serverAllocations)).map((r) => r.a))
  const primary = free.find((a) => !held.has(a))
  return k.server({ allocation_uuid: primary, feature_limits: { allocations: limit, databases: 0, backups: 0, schedules: 0 } }, egg)
}

type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}/allocations${rest}`, { ...who, body })
const list = async (uuid: string) => (await call('GET', uuid, '', { cookie: k.owner.cookie })).body.allocations.data

describe('client server allocations (spec 03 §3.2)', () => {
  test('self-assign: a free port on the primary IP in range, not primary; logged; 417 at the limit', async () => {
    const uuid = await server(2)
    const res = await call('POST', uuid, '', { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.allocation).toMatchObject({ ip: '10.1.0.1', is_primary: false, notes: null })
    expect(res.body.allocation.port).toBeGreaterThanOrEqual(50000)
    const { ip, ip_alias, port } = res.body.allocation
    expect(await k.events(uuid)).toContainEqual(['server:allocation.create', { ip: `${ip}/32`, ip_alias, port }])
    const full = await call('POST', uuid, '', { cookie: k.owner.cookie })
    expect([full.status, full.body.errors]).toEqual([417, ['maximum number of allocations reached']])
    expect((await list(uuid)).map((a: { is_primary: boolean }) => a.is_primary)).toEqual([true, false])
  })

  test('two concurrent self-assigns with room for one: exactly one succeeds', async () => {
    const uuid = await server(2)
    const both = await Promise.all([call('POST', uuid, '', { cookie: k.owner.cookie }), call('POST', uuid, '', { cookie: k.owner.cookie })])
    expect(both.map((r) => r.status).sort()).toEqual([200, 417])
    expect(await list(uuid)).toHaveLength(2)
  })

  test('self-assign without an egg configuration that enables it: 417', async () => {
    const uuid = await server(5, plainEgg)
    const res = await call('POST', uuid, '', { cookie: k.owner.cookie })
    expect([res.status, res.body.errors]).toEqual([417, ['self-assigning allocations is not enabled for this server']])
  })

  test('PATCH notes and primary; the primary cannot be unset nor deleted while required; DELETE the other', async () => {
    const uuid = await server(3)
    const extra = (await call('POST', uuid, '', { cookie: k.owner.cookie })).body.allocation
    const primary = (await list(uuid)).find((a: { is_primary: boolean }) => a.is_primary)
    const noted = await call('PATCH', uuid, `/${extra.uuid}`, { cookie: k.owner.cookie }, { notes: 'game port' })
    expect([noted.status, noted.body]).toEqual([200, {}])
    expect(await k.events(uuid)).toContainEqual([
      'server:allocation.update',
      { ip: `${extra.ip}/32`, ip_alias: null, port: extra.port, notes: 'game port', primary: null },
    ])
    const unset = await call('PATCH', uuid, `/${primary.uuid}`, { cookie: k.owner.cookie }, { primary: false })
    expect([unset.status, unset.body.errors]).toEqual([400, ['cannot unset primary allocation']])
    const undeletable = await call('DELETE', uuid, `/${primary.uuid}`, { cookie: k.owner.cookie })
    expect([undeletable.status, undeletable.body.errors]).toEqual([400, ['cannot delete primary allocation']])
    expect((await call('PATCH', uuid, `/${extra.uuid}`, { cookie: k.owner.cookie }, { primary: true })).status).toBe(200)
    expect((await k.row(uuid)).allocation_uuid).toBe(extra.uuid)
    expect((await call('PATCH', uuid, `/${extra.uuid}`, { cookie: k.owner.cookie }, { notes: '' })).status).toBe(400)
    const removed = await call('DELETE', uuid, `/${primary.uuid}`, { cookie: k.owner.cookie })
    expect([removed.status, removed.body]).toEqual([200, {}])
    expect(await k.events(uuid)).toContainEqual([
      'server:allocation.delete',
      { ip: `${primary.ip}/32`, ip_alias: null, port: primary.port },
    ])
    expect((await list(uuid)).map((a: { uuid: string; notes: string }) => [a.uuid, a.notes])).toEqual([[extra.uuid, 'game port']])
    const gone = await call('DELETE', uuid, `/${primary.uuid}`, { cookie: k.owner.cookie })
    expect([gone.status, gone.body.errors]).toEqual([404, ['allocation not found']])
  })

  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    const uuid = await server(3)
    const primary = (await list(uuid))[0].uuid
    const cases: [string, string, unknown, string][] = [
      ['GET', '', undefined, 'allocations.read'],
      ['POST', '', undefined, 'allocations.create'],
      ['PATCH', `/${primary}`, { notes: 'x' }, 'allocations.update'],
      ['DELETE', `/${primary}`, undefined, 'allocations.delete'],
    ]
    await k.expectGuarded(
      uuid,
      cases.map(([m, rest, body, p]) => [m, `/allocations${rest}`, body, p]),
    )
    expect(await list(uuid)).toHaveLength(1)
  })
})

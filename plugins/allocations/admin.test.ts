import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { t as tb } from 'elysia'
import { asc, eq, sql } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  bundledPluginsWithout,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Conflict } from 'hatchery'
import { tables as locationTables } from '../locations'
import { tables as nodeTables } from '../nodes'
import { Created, Deleted, Ips, NodeAllocation, Updated } from './model'
import { nodeAllocations } from './tables'
import { isIpAddress, parseRanges } from './service'
import allocationsPlugin from '.'

// The servers plugin is left out: a stand-in gives the assignments below (the real ones: plugins/servers).
const t = useTestApp(async () => ({ plugins: await bundledPluginsWithout('servers') }))
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nodes.read']))
}, SETUP_TIMEOUT)

const Allocation = NodeAllocation(tb.Object({}, { additionalProperties: true }))
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 9)}`
const db = () => t.kernel.database.db
const hooks = () => t.kernel.contexts.get('allocations')!.api(allocationsPlugin)

/** A node inserted directly (the nodes routes live in another plugin), in a location of its own. */
async function makeNode(): Promise<string> {
  const [location] = await db()
    .insert(locationTables.locations)
    .values({ name: uniq('loc') })
    .returning()
  const [node] = await db()
    .insert(nodeTables.nodes)
    .values({
      location_uuid: location.uuid,
      name: uniq('node'),
      url: 'https://node.example.com:8080',
      sftp_port: 2022,
      memory: 0,
      disk: 0,
      token_id: uniq('t').slice(0, 16),
      token: 'not-a-real-token',
    })
    .returning()
  return node.uuid
}

const base = (node: string) => `/api/admin/nodes/${node}/allocations`
const create = (node: string, body: Record<string, unknown>) => t.request('POST', base(node), { cookie: admin.cookie, body })
async function created(node: string, body: Record<string, unknown>): Promise<number> {
  const res = await create(node, body)
  expect([res.status, res.body.errors]).toEqual([200, undefined])
  expectModel(Created, res.body)
  return res.body.created
}
const rows = (node: string) =>
  db().select().from(nodeAllocations).where(eq(nodeAllocations.node_uuid, node)).orderBy(asc(nodeAllocations.ip), asc(nodeAllocations.port))
const count = async (node: string) => (await rows(node)).length
async function list(node: string, query = '', path = '') {
  const res = await t.request('GET', `${base(node)}${path}${query ? `?${query}` : ''}`, { cookie: admin.cookie })
  expect([res.status, res.body.errors]).toEqual([200, undefined])
  for (const item of res.body.allocations.data) expectModel(Allocation, item)
  return res.body.allocations as { total: number; data: { uuid: string; ip: string; port: number; ip_alias: string | null; server: any }[] }
}
const ports = (page: { data: { port: number }[] }) => page.data.map((a) => a.port)
const addr = (page: { data: { ip: string; port: number }[] }) => page.data.map((a) => `${a.ip}:${a.port}`)

test('every route is guarded', async () => {
  const swept = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'allocations', admin })
  expect(swept.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
    [
      'DELETE /api/admin/nodes/:node/allocations',
      'GET /api/admin/nodes/:node/allocations',
      'GET /api/admin/nodes/:node/allocations/available',
      'GET /api/admin/nodes/:node/allocations/ips',
      'PATCH /api/admin/nodes/:node/allocations',
      'POST /api/admin/nodes/:node/allocations',
    ].sort(),
  )
  for (const r of swept) expect(r.permissions).toEqual(['admin:nodes.read', 'admin:nodes.allocations'])
})

test('a role and a key holding only nodes.read get 403 on every allocation route', async () => {
  const node = await makeNode()
  const denied = [{ cookie: reader.cookie }, { token: readerKey }]
  const selector = { type: 'all' }
  for (const route of [
    { method: 'GET', path: base(node) },
    { method: 'GET', path: `${base(node)}/available` },
    { method: 'GET', path: `${base(node)}/ips` },
    { method: 'POST', path: base(node), body: { ip: '10.0.0.1', ports: [1] } },
    { method: 'PATCH', path: base(node), body: { selector, ip: '10.0.0.2' } },
    { method: 'DELETE', path: base(node), body: { selector } },
  ])
    await expectGuarded(t, route, plain, denied, 'nodes.allocations')
  expect(await count(node)).toBe(0)
})

describe('the node segment', () => {
  test('a malformed uuid is 400, an unknown node 404', async () => {
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['GET', '/available', undefined],
      ['GET', '/ips', undefined],
      ['POST', '', { ip: '10.0.0.1', ports: [1] }],
      ['PATCH', '', { selector: { type: 'all' }, ip: '10.0.0.1' }],
      ['DELETE', '', { selector: { type: 'all' } }],
    ] as const) {
      const bad = await t.request(method, `/api/admin/nodes/nope/allocations${suffix}`, { cookie: admin.cookie, body })
      expect([bad.status, bad.body.errors]).toEqual([400, ['invalid node uuid']])
      const missing = await t.request(method, `${base(NO_SUCH)}${suffix}`, { cookie: admin.cookie, body })
      expect([missing.status, missing.body.errors]).toEqual([404, ['node not found']])
    }
  })
})

describe('POST /api/admin/nodes/{node}/allocations', () => {
  test('creates the ports, drops 0, skips repeats and existing ones, and logs node:allocation.create', async () => {
    const node = await makeNode()
    expect(await created(node, { ip: '10.0.0.1', ip_alias: 'play.example.com', ports: [25566, 25565, 0, 25566] })).toBe(2)
    const [event] = await adminEvents(t, admin, 'node:allocation.create')
    expect(event.data).toEqual({ node_uuid: node, ip: '10.0.0.1/32', ip_alias: 'play.example.com', ports: [25566, 25565, 0, 25566] })
    // Re-posting (as billing scripts do) creates only what is new.
    expect(await created(node, { ip: '10.0.0.1', ports: [25565, 25566, 25567] })).toBe(1)
    expect(await created(node, { ip: '10.0.0.1', ports: [0] })).toBe(0)
    const page = await list(node)
    expect(page.total).toBe(3)
    expect(page.data.map((a) => [a.ip, a.port, a.ip_alias, a.server])).toEqual([
      ['10.0.0.1', 25565, 'play.example.com', null],
      ['10.0.0.1', 25566, 'play.example.com', null],
      ['10.0.0.1', 25567, null, null],
    ])
    // Another node may hold the same address and port.
    expect(await created(await makeNode(), { ip: '10.0.0.1', ports: [25565] })).toBe(1)
  })

  test('a range of 1,000 ports in one request', async () => {
    const node = await makeNode()
    expect(await created(node, { ip: '10.1.0.1', port_ranges: ['30000-30999'] })).toBe(1000)
    expect(await count(node)).toBe(1000)
    const stored = await rows(node)
    expect([stored[0].port, stored[999].port]).toEqual([30000, 30999])
    expect((await list(node, 'per_page=100&page=10')).data.at(-1)!.port).toBe(30999)
    const [event] = await adminEvents(t, admin, 'node:allocation.create')
    expect(event.data).toEqual({ node_uuid: node, ip: '10.1.0.1/32', ip_alias: null, ports: [], port_ranges: ['30000-30999'] })
  })

  test('overlapping ranges and ports merge; existing ports are skipped', async () => {
    const node = await makeNode()
    // 100..250 (151 ports) plus 90; 100 is named three times.
    expect(await created(node, { ip: '10.2.0.1', ports: [90, 100], port_ranges: ['100-200', '150-250', '100-100'] })).toBe(152)
    expect(await created(node, { ip: '10.2.0.1', port_ranges: ['240-260'] })).toBe(10)
    expect(await created(node, { ip: '10.2.0.1', ports: [], port_ranges: ['90-90', '100-260'] })).toBe(0)
    expect(await count(node)).toBe(162)
    // 65535 ports named in all is the bound, not more (zeros count: they are named).
    expect(await created(node, { ip: '10.2.0.2', ports: new Array(65534).fill(0), port_ranges: ['7-7'] })).toBe(1)
    expect(await count(node)).toBe(163)
  })

  test('concurrent overlapping creates: every port once, no error', async () => {
    const node = await makeNode()
    const ranges = ['1000-1400', '1200-1600', '1000-1600', '1500-1700', '900-1100']
    const answers = await Promise.all(ranges.map((r) => create(node, { ip: '10.3.0.1', port_ranges: [r] })))
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
    expect(answers.reduce((sum, r) => sum + r.body.created, 0)).toBe(801)
    expect(await count(node)).toBe(801)
  })

  test('IPv6 addresses, stored and answered in canonical form', async () => {
    const node = await makeNode()
    expect(await created(node, { ip: '2001:db8::1', ports: [25565, 25566] })).toBe(2)
    // The same address spelt out: the same host, so nothing new.
    expect(await created(node, { ip: '2001:0DB8:0000:0000:0000:0000:0000:0001', ports: [25565] })).toBe(0)
    const [event] = await adminEvents(t, admin, 'node:allocation.create')
    expect(event.data.ip).toBe('2001:db8::1/128')
    expect(await created(node, { ip: '::1', ports: [80] })).toBe(1)
    expect(await created(node, { ip: '10.0.0.9', ports: [80] })).toBe(1)
    // IPv4 sorts before IPv6.
    expect(addr(await list(node))).toEqual(['10.0.0.9:80', '::1:80', '2001:db8::1:25565', '2001:db8::1:25566'])
    expect(await list(node, 'ip=2001:0db8::0001').then(addr)).toEqual(['2001:db8::1:25565', '2001:db8::1:25566'])
  })

  test('bad input is a 400 naming the field, and creates nothing', async () => {
    const node = await makeNode()
    const cases: [Record<string, unknown>, string][] = [
      [{ ip: 'garbage', ports: [1] }, 'ip: not a valid IP address'],
      [{ ip: '10.0.0.1/24', ports: [1] }, 'ip: not a valid IP address'],
      [{ ip: '10.0.0.1/32', ports: [1] }, 'ip: not a valid IP address'],
      [{ ip: 'fe80::1%eth0', ports: [1] }, 'ip: not a valid IP address'],
      [{ ip: '256.0.0.1', ports: [1] }, 'ip: not a valid IP address'],
      [{ ip: '', ports: [1] }, 'ip: not a valid IP address'],
      [{ ports: [1] }, 'ip: required'],
      [{ ip: '10.0.0.1', ports: [70000] }, 'ports[0]: greater than 65535'],
      [{ ip: '10.0.0.1', ports: [1, -1] }, 'ports[1]: lower than 0'],
      [{ ip: '10.0.0.1', ports: [1.5] }, 'ports[0]: expected an integer'],
      [{ ip: '10.0.0.1', ports: [true] }, 'ports[0]: expected an integer'],
      [{ ip: '10.0.0.1', ports: [] }, 'ports: length is lower than 1'],
      [{ ip: '10.0.0.1', ports: [], port_ranges: [] }, 'ports: length is lower than 1'],
      [{ ip: '10.0.0.1' }, 'ports: required'],
      [{ ip: '10.0.0.1', ip_alias: '', ports: [1] }, 'ip_alias: length is lower than 1'],
      [{ ip: '10.0.0.1', ip_alias: 'x'.repeat(256), ports: [1] }, 'ip_alias: length is greater than 255'],
      [{ ip: '10.0.0.1', port_ranges: ['1-10', '10-5'] }, 'port_ranges[1]: the start 10 is above the end 5'],
      [{ ip: '10.0.0.1', port_ranges: ['a-b'] }, 'port_ranges[0]: expected "start-end" (e.g. "25565-25600"), got "a-b"'],
      [{ ip: '10.0.0.1', port_ranges: ['25565'] }, 'port_ranges[0]: expected "start-end" (e.g. "25565-25600"), got "25565"'],
      [{ ip: '10.0.0.1', port_ranges: ['0-10'] }, 'port_ranges[0]: ports must be between 1 and 65535'],
      [{ ip: '10.0.0.1', port_ranges: ['65000-70000'] }, 'port_ranges[0]: ports must be between 1 and 65535'],
      [{ ip: '10.0.0.1', port_ranges: [5] }, 'port_ranges[0]: expected a string'],
      [
        { ip: '10.0.0.1', ports: [1], port_ranges: ['1-65535'] },
        'ports: at most 65535 ports per request (ports and port_ranges together), got 65536',
      ],
      [
        { ip: '10.0.0.1', port_ranges: ['1-60000', '1-60000'] },
        'ports: at most 65535 ports per request (ports and port_ranges together), got 120000',
      ],
    ]
    for (const [body, error] of cases) {
      const res = await create(node, body)
      expect([res.status, res.body.errors, body]).toEqual([400, [error], body])
    }
    const many = await create(node, { ip: '10.0.0.1', ports: new Array(65536).fill(1) })
    expect([many.status, many.body.errors]).toEqual([400, ['ports: length is greater than 65535']])
    const raw = JSON.stringify({ ip: '10.0.0.1', ports: [1, 2] }).replace('2]', '1e999]')
    const infinite = await t.request('POST', base(node), {
      cookie: admin.cookie,
      body: raw,
      headers: { 'content-type': 'application/json' },
    })
    expect([infinite.status, infinite.body.errors]).toEqual([400, ['ports[1]: number out of range']])
    expect(await count(node)).toBe(0)
  })

  test('ranges and addresses are checked the same outside the route', () => {
    expect(parseRanges([1, 2], ['3-4', '10-10'])).toEqual({ starts: [3, 10], ends: [4, 10] })
    for (const ok of ['::1', '2001:db8::1', '::ffff:10.0.0.1', '0.0.0.0']) expect(isIpAddress(ok)).toBe(true)
    for (const bad of ['010.0.0.1', '1.2.3', '1::2::3', ' 10.0.0.1', '::1/128']) expect(isIpAddress(bad)).toBe(false)
  })
})

describe('GET /api/admin/nodes/{node}/allocations', () => {
  test('filters by search, ip, port range and assigned; ordered by address then port', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.20', ip_alias: 'mc.example.com', ports: [25565, 25566, 8080] })
    await created(node, { ip: '10.0.0.3', ports: [25565, 9000] })
    expect(addr(await list(node))).toEqual(['10.0.0.3:9000', '10.0.0.3:25565', '10.0.0.20:8080', '10.0.0.20:25565', '10.0.0.20:25566'])
    expect(addr(await list(node, 'search=0.20:2556'))).toEqual(['10.0.0.20:25565', '10.0.0.20:25566'])
    expect(addr(await list(node, 'search=MC.example.com:8080'))).toEqual(['10.0.0.20:8080'])
    expect(addr(await list(node, 'search=%25'))).toEqual([])
    expect(addr(await list(node, 'ip=10.0.0.3'))).toEqual(['10.0.0.3:9000', '10.0.0.3:25565'])
    expect(addr(await list(node, 'port_from=9000&port_to=25565'))).toEqual(['10.0.0.3:9000', '10.0.0.3:25565', '10.0.0.20:25565'])
    expect((await list(node, 'assigned=false')).total).toBe(5)
    expect((await list(node, 'assigned=true')).total).toBe(0)
    const page = await list(node, 'per_page=2&page=2')
    expect([page.total, addr(page)]).toEqual([5, ['10.0.0.20:8080', '10.0.0.20:25565']])
    expect((await list(node, 'per_page=2&page=9')).total).toBe(5)
    expect((await list(await makeNode())).total).toBe(0)
  })

  test('bad filters are 400 naming the field', async () => {
    const node = await makeNode()
    for (const [query, error] of [
      ['ip=nope', 'ip: not a valid IP address'],
      ['port_from=0', 'port_from: lower than 1'],
      ['port_to=65536', 'port_to: greater than 65535'],
      ['port_from=1.5', 'port_from: expected an integer'],
      ['assigned=maybe', 'assigned: expected a boolean'],
      ['per_page=101', 'per_page: greater than 100'],
      [`search=${'x'.repeat(129)}`, 'search: length is greater than 128'],
    ]) {
      const res = await t.request('GET', `${base(node)}?${query}`, { cookie: admin.cookie })
      expect([res.status, res.body.errors]).toEqual([400, [error]])
    }
  })
})

describe('GET /api/admin/nodes/{node}/allocations/available and /ips', () => {
  test('free allocations, searchable; distinct addresses in address order', async () => {
    const node = await makeNode()
    await created(node, { ip: '192.168.1.10', ports: [2, 1] })
    await created(node, { ip: '2001:db8::5', ip_alias: 'v6.example.com', ports: [3] })
    await created(node, { ip: '192.168.1.9', ports: [4] })
    const page = await list(node, '', '/available')
    expect(addr(page)).toEqual(['192.168.1.9:4', '192.168.1.10:1', '192.168.1.10:2', '2001:db8::5:3'])
    expect(page.data.every((a) => a.server === null)).toBe(true)
    expect(addr(await list(node, 'search=v6.example.com:3', '/available'))).toEqual(['2001:db8::5:3'])
    expect(addr(await list(node, 'search=.10:2', '/available'))).toEqual(['192.168.1.10:2'])
    const ips = await t.request('GET', `${base(node)}/ips`, { cookie: admin.cookie })
    expect(ips.status).toBe(200)
    expectModel(Ips, ips.body)
    expect(ips.body.ips).toEqual(['192.168.1.9', '192.168.1.10', '2001:db8::5'])
    const none = await t.request('GET', `${base(await makeNode())}/ips`, { cookie: admin.cookie })
    expect(none.body).toEqual({ ips: [] })
  })
})

describe('PATCH /api/admin/nodes/{node}/allocations', () => {
  const patch = (node: string, body: Record<string, unknown>) => t.request('PATCH', base(node), { cookie: admin.cookie, body })

  test('moves the selection, skipping ports the new address already has', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ip_alias: 'old', ports: [1, 2, 3] })
    await created(node, { ip: '10.0.0.2', ports: [2] })
    const selector = { type: 'filter', filter: { ip: '10.0.0.1' } }
    const res = await patch(node, { selector, ip: '10.0.0.2' })
    expect([res.status, res.body]).toEqual([200, { updated: 2, skipped: 1 }])
    expectModel(Updated, res.body)
    expect(addr(await list(node))).toEqual(['10.0.0.1:2', '10.0.0.2:1', '10.0.0.2:2', '10.0.0.2:3'])
    // Absent ip_alias: kept.
    expect((await list(node)).data.map((a) => a.ip_alias)).toEqual(['old', 'old', null, 'old'])
    const [event] = await adminEvents(t, admin, 'node:allocation.update')
    expect(event.data).toEqual({
      node_uuid: node,
      ip: '10.0.0.2/32',
      ip_alias: null,
      selector: { type: 'filter', filter: { search: null, ip: '10.0.0.1', port_from: null, port_to: null, assigned: null } },
      updated: 2,
      skipped: 1,
    })
  })

  test('one allocation per port is eligible (the lowest uuid); ip_alias null clears, a value sets', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.3', ip_alias: 'three', ports: [5000] })
    await created(node, { ip: '10.0.0.4', ip_alias: 'four', ports: [5000, 5001] })
    const all = await rows(node)
    const at5000 = all.filter((r) => r.port === 5000).map((r) => r.uuid)
    const res = await patch(node, { selector: { type: 'uuids', uuids: at5000 }, ip: '2001:db8::9', ip_alias: null })
    expect([res.status, res.body]).toEqual([200, { updated: 1, skipped: 1 }])
    const moved = (await rows(node)).find((r) => r.ip === '2001:db8::9')!
    expect([moved.uuid, moved.port, moved.ip_alias]).toEqual([[...at5000].sort()[0], 5000, null])
    const renamed = await patch(node, { selector: { type: 'all' }, ip: '10.0.0.7', ip_alias: 'seven' })
    expect(renamed.body).toEqual({ updated: 2, skipped: 1 })
    expect((await list(node)).data.map((a) => `${a.ip}:${a.port}:${a.ip_alias}`).sort()).toEqual(
      [
        '10.0.0.7:5000:seven',
        '10.0.0.7:5001:seven',
        `${all.find((r) => r.port === 5000 && r.uuid !== moved.uuid)!.ip}:5000:${all.find((r) => r.port === 5000 && r.uuid !== moved.uuid)!.ip_alias}`,
      ].sort(),
    )
    // Uuids of another node match nothing.
    const other = await makeNode()
    const none = await patch(other, { selector: { type: 'uuids', uuids: at5000 }, ip: '10.9.9.9' })
    expect(none.body).toEqual({ updated: 0, skipped: 0 })
  })

  test('bad input is 400: an empty filter, a bad address, a bad selector', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1] })
    const cases: [Record<string, unknown>, string][] = [
      [
        { selector: { type: 'filter', filter: {} }, ip: '10.0.0.2' },
        'selector.filter: filter must narrow the selection by at least one criterion, use the all selector to target every allocation',
      ],
      [
        { selector: { type: 'filter', filter: { search: '' } }, ip: '10.0.0.2' },
        'selector.filter: filter must narrow the selection by at least one criterion, use the all selector to target every allocation',
      ],
      [{ selector: { type: 'filter', filter: { ip: 'x' } }, ip: '10.0.0.2' }, 'selector.filter.ip: not a valid IP address'],
      [{ selector: { type: 'filter', filter: { port_to: 70000 } }, ip: '10.0.0.2' }, 'selector.filter.port_to: greater than 65535'],
      [{ selector: { type: 'all' }, ip: '10.0.0.0/8' }, 'ip: not a valid IP address'],
      [{ selector: { type: 'all' } }, 'ip: required'],
      [{ selector: { type: 'some' }, ip: '10.0.0.2' }, 'selector.type: must be one of: uuids, all, filter'],
      [{ selector: { type: 'uuids', uuids: ['nope'] }, ip: '10.0.0.2' }, 'selector.uuids[0]: not a valid uuid'],
      [{ selector: { type: 'all' }, ip: '10.0.0.2', ip_alias: '' }, 'ip_alias: length is lower than 1'],
    ]
    for (const [body, error] of cases) {
      const res = await patch(node, body)
      expect([res.status, res.body.errors, body]).toEqual([400, [error], body])
    }
    expect(addr(await list(node))).toEqual(['10.0.0.1:1'])
  })
})

describe('DELETE /api/admin/nodes/{node}/allocations', () => {
  const del = (node: string, body: Record<string, unknown>) => t.request('DELETE', base(node), { cookie: admin.cookie, body })

  test('deletes by uuids, filter or all, and logs node:allocation.delete', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', port_ranges: ['1-10'] })
    const [first] = await rows(node)
    const one = await del(node, { selector: { type: 'uuids', uuids: [first.uuid, NO_SUCH] } })
    expect([one.status, one.body]).toEqual([200, { deleted: 1, skipped: 0 }])
    expectModel(Deleted, one.body)
    const [event] = await adminEvents(t, admin, 'node:allocation.delete')
    expect(event.data).toEqual({
      node_uuid: node,
      selector: { type: 'uuids', uuids: [first.uuid, NO_SUCH] },
      force: false,
      deleted: 1,
      skipped: 0,
    })
    expect((await del(node, { selector: { type: 'filter', filter: { port_from: 8 } } })).body).toEqual({ deleted: 3, skipped: 0 })
    expect((await del(node, { selector: { type: 'filter', filter: { search: 'nothing' } } })).body).toEqual({ deleted: 0, skipped: 0 })
    expect(await count(node)).toBe(6)
    expect((await del(node, { selector: { type: 'all' }, force: true })).body).toEqual({ deleted: 6, skipped: 0 })
    expect(await count(node)).toBe(0)
  })

  test('an empty filter or a bad selector is 400', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1] })
    for (const [body, error] of [
      [
        { selector: { type: 'filter', filter: {} } },
        'selector.filter: filter must narrow the selection by at least one criterion, use the all selector to target every allocation',
      ],
      [{ selector: { type: 'all' }, force: 'yes' }, 'force: expected a boolean'],
      [{}, 'selector: required'],
    ] as const) {
      const res = await del(node, body)
      expect([res.status, res.body.errors]).toEqual([400, [error]])
    }
    expect(await count(node)).toBe(1)
  })

  test('deleting a node deletes its allocations', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', port_ranges: ['1-5'] })
    await db().delete(nodeTables.nodes).where(eq(nodeTables.nodes.uuid, node))
    expect(await count(node)).toBe(0)
  })
})

describe('assignments, through the hooks the servers plugin fills', () => {
  let takeBack: (() => void) | undefined
  afterEach(() => {
    takeBack?.()
    takeBack = undefined
    hooks().deletionGuards.clear()
  })

  /** A stand-in for the servers plugin: these allocations are assigned, to a server named after the port, with a note. */
  function fakeServers(assigned: string[]) {
    takeBack = hooks().provideAssignments({
      assigned: (a) => sql`${a} = any(${sql.param(assigned)}::uuid[])`,
      notesMatch: (a, pattern) => sql`(${a} = any(${sql.param(assigned)}::uuid[]) and 'reserved for the lobby' ilike ${pattern})`,
      servers: async (_db, uuids) => new Map(uuids.filter((u) => assigned.includes(u)).map((u) => [u, { uuid: u, name: 'lobby' }])),
      model: tb.Object({ uuid: tb.String(), name: tb.String() }),
    })
  }

  test('assigned allocations: server in the list, the filters, /available', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1, 2, 3] })
    const [a1, a2] = await rows(node)
    fakeServers([a1.uuid, a2.uuid])
    const page = await list(node)
    expect(page.data.map((a) => a.server)).toEqual([{ uuid: a1.uuid, name: 'lobby' }, { uuid: a2.uuid, name: 'lobby' }, null])
    expect(ports(await list(node, 'assigned=true'))).toEqual([1, 2])
    expect(ports(await list(node, 'assigned=false'))).toEqual([3])
    expect(ports(await list(node, 'search=LOBBY'))).toEqual([1, 2])
    expect(ports(await list(node, 'search=lobby', '/available'))).toEqual([])
    const available = await list(node, '', '/available')
    expect([ports(available), available.data[0].server]).toEqual([[3], null])
  })

  test('DELETE skips assigned allocations without force, 409 when all are; force deletes them', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1, 2, 3] })
    const [a1, a2] = await rows(node)
    fakeServers([a1.uuid, a2.uuid])
    const del = (body: Record<string, unknown>) => t.request('DELETE', base(node), { cookie: admin.cookie, body })
    const refused = await del({ selector: { type: 'filter', filter: { assigned: true } } })
    expect([refused.status, refused.body.errors]).toEqual([
      409,
      ['every matched allocation is assigned to a server, force deletion to remove them anyway'],
    ])
    expect((await del({ selector: { type: 'all' } })).body).toEqual({ deleted: 1, skipped: 2 })
    expect(ports({ data: await rows(node) })).toEqual([1, 2])
    expect((await del({ selector: { type: 'uuids', uuids: [a1.uuid] }, force: true })).body).toEqual({ deleted: 1, skipped: 0 })
    const [event] = await adminEvents(t, admin, 'node:allocation.delete')
    expect(event.data).toMatchObject({ force: true, deleted: 1, skipped: 0 })
    expect(ports({ data: await rows(node) })).toEqual([2])
  })

  test('a deletion guard sees what would go and may refuse: nothing is deleted', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1, 2] })
    const seen: unknown[] = []
    hooks().deletionGuards.add(async (_tx, n, doomed, force) => {
      seen.push({ node: n.uuid, ports: doomed.map((d) => `${d.ip}:${d.port}:${d.assigned}`), force })
      throw new Conflict('allocation is in use by a transfer')
    })
    const res = await t.request('DELETE', base(node), { cookie: admin.cookie, body: { selector: { type: 'all' } } })
    expect([res.status, res.body]).toEqual([409, { errors: ['allocation is in use by a transfer'] }])
    expect(seen).toEqual([{ node, ports: ['10.0.0.1:1:false', '10.0.0.1:2:false'], force: false }])
    expect(await count(node)).toBe(2)
    expect((await adminEvents(t, admin, 'node:allocation.delete')).some((e) => e.data.node_uuid === node)).toBe(false)
  })

  test('PATCH filters by assignment too', async () => {
    const node = await makeNode()
    await created(node, { ip: '10.0.0.1', ports: [1, 2] })
    const [a1] = await rows(node)
    fakeServers([a1.uuid])
    const res = await t.request('PATCH', base(node), {
      cookie: admin.cookie,
      body: { selector: { type: 'filter', filter: { assigned: false } }, ip: '10.0.0.2' },
    })
    expect(res.body).toEqual({ updated: 1, skipped: 0 })
    expect(addr(await list(node))).toEqual(['10.0.0.1:1', '10.0.0.2:2'])
  })

  test('the provider is given once', () => {
    fakeServers([])
    expect(() => hooks().provideAssignments({ assigned: () => sql`true`, servers: async () => new Map(), model: tb.Object({}) })).toThrow(
      'already provided',
    )
  })
})

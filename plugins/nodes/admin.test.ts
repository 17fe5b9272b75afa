import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { parse } from 'yaml'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Conflict, Empty } from 'hatchery'
import { Capacity, JoinDocument, Node, NodeToken } from './model'
import { nodes } from './tables'
import { tables as userTables } from '../users'
import nodesPlugin from '.'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nodes.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'node') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(nodes).where(eq(nodes.uuid, uuid)))[0]
const hooks = () => t.kernel.contexts.get('nodes')!.api(nodesPlugin)

async function makeBackupConfiguration() {
  const res = await t.request('POST', '/api/admin/backup-configurations', {
    cookie: admin.cookie,
    body: { name: uniq('bc'), maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {} },
  })
  expect(res.status).toBe(200)
  return res.body.backup_configuration as { uuid: string; name: string }
}

async function makeLocation(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq('loc'), ...over } })
  expect(res.status).toBe(200)
  return res.body.location as { uuid: string; name: string }
}

let sharedLocation: { uuid: string } | undefined
async function body(over: Record<string, unknown> = {}) {
  sharedLocation ??= await makeLocation()
  return {
    location_uuid: sharedLocation.uuid,
    name: uniq(),
    deployment_enabled: true,
    maintenance_enabled: false,
    url: 'https://wings.example.com:8443',
    sftp_port: 2022,
    memory: 4096,
    disk: 10240,
    ...over,
  }
}

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/nodes', { cookie: admin.cookie, body: await body(over) })
  expect(res.status).toBe(200)
  return res.body.node as { uuid: string; name: string; url: string; public_url: string | null; location: { uuid: string } }
}

const tokenOf = async (uuid: string) => (await t.request('GET', `/api/admin/nodes/${uuid}/token`, { cookie: admin.cookie })).body

test('every route is guarded', async () => {
  await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'nodes',
    admin,
    bodies: {
      'POST /api/admin/nodes': await body(),
      'POST /api/admin/nodes/:node/mounts': { mount_uuid: NO_SUCH },
      'POST /api/admin/nodes/:node/database-hosts': { database_host_uuid: NO_SUCH },
    },
  })
})

describe('POST /api/admin/nodes', () => {
  test('creates with its location and backup configuration, URLs normalised, no token; logs node:create', async () => {
    const bc = await makeBackupConfiguration()
    const location = await makeLocation({ backup_configuration_uuid: bc.uuid })
    const res = await t.request('POST', '/api/admin/nodes', {
      cookie: admin.cookie,
      body: {
        location_uuid: location.uuid,
        backup_configuration_uuid: bc.uuid,
        name: 'Node One',
        description: 'first',
        deployment_enabled: true,
        maintenance_enabled: true,
        url: 'HTTPS://Node1.Example.COM:443',
        public_url: 'http://panel-node.example.com:80/wings',
        sftp_host: 'sftp.example.com',
        sftp_port: 2022,
        memory: 0,
        disk: 2048,
      },
    })
    expect(res.status).toBe(200)
    const n = res.body.node
    expectModel(Node, n)
    expect(n).toMatchObject({
      name: 'Node One',
      description: 'first',
      url: 'https://node1.example.com/',
      public_url: 'http://panel-node.example.com/wings',
      location: { uuid: location.uuid, name: location.name, backup_configuration: { uuid: bc.uuid } },
      backup_configuration: { uuid: bc.uuid, name: bc.name },
      sftp_host: 'sftp.example.com',
      memory: 0,
      disk: 2048,
    })
    const row = await stored(n.uuid)
    expect(row.token_id).toMatch(/^[A-Za-z0-9]{16}$/)
    const token = (await tokenOf(n.uuid)).token
    expect(token).toMatch(/^[A-Za-z0-9]{64}$/)
    expect(row.token).not.toContain(token)
    expect(res.text).not.toContain(token)
    expect(res.text).not.toContain(row.token_id)
    const [event] = await adminEvents(t, admin, 'node:create')
    expect(event.data).toEqual({
      uuid: n.uuid,
      location_uuid: location.uuid,
      name: 'Node One',
      description: 'first',
      deployment_enabled: true,
      maintenance_enabled: true,
      public_url: 'http://panel-node.example.com/wings',
      url: 'https://node1.example.com/',
      sftp_host: 'sftp.example.com',
      sftp_port: 2022,
      memory: 0,
      disk: 2048,
    })
    expect(JSON.stringify(event)).not.toContain(token)
  })

  test('the default port is dropped and an empty path gains a slash', async () => {
    expect((await make({ url: 'http://wings.example.com:80' })).url).toBe('http://wings.example.com/')
    expect((await make({ url: 'https://wings.example.com:8080' })).url).toBe('https://wings.example.com:8080/')
    expect((await make()).public_url).toBeNull()
  })

  test('unknown relations are 400 relation errors', async () => {
    const loc = await t.request('POST', '/api/admin/nodes', { cookie: admin.cookie, body: await body({ location_uuid: NO_SUCH }) })
    expect([loc.status, loc.body.errors]).toEqual([400, ['invalid relation `location` provided']])
    const bc = await t.request('POST', '/api/admin/nodes', {
      cookie: admin.cookie,
      body: await body({ backup_configuration_uuid: NO_SUCH }),
    })
    expect([bc.status, bc.body.errors]).toEqual([400, ['invalid relation `backup_configuration` provided']])
  })

  test('a taken name is 409', async () => {
    const a = await make()
    const res = await t.request('POST', '/api/admin/nodes', { cookie: admin.cookie, body: await body({ name: a.name }) })
    expect([res.status, res.body.errors]).toEqual([409, ['node with name already exists']])
  })

  test('bad input is 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(256) }, 'name'],
      [{ description: '' }, 'description'],
      [{ description: 'x'.repeat(1025) }, 'description'],
      [{ url: 'ab' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'ftp://wings.example.com' }, 'url'],
      [{ url: `https://${'x'.repeat(250)}.com` }, 'url'],
      [{ public_url: 'nope nope' }, 'public_url'],
      [{ sftp_host: 'ab' }, 'sftp_host'],
      [{ sftp_port: 0 }, 'sftp_port'],
      [{ sftp_port: 65536 }, 'sftp_port'],
      [{ sftp_port: 22.5 }, 'sftp_port'],
      [{ memory: -1 }, 'memory'],
      [{ memory: 1.5 }, 'memory'],
      [{ disk: 'ten' }, 'disk'],
      [{ location_uuid: 'nope' }, 'location_uuid'],
      [{ deployment_enabled: undefined }, 'deployment_enabled'],
    ]
    for (const [over, field] of cases) {
      const res = await t.request('POST', '/api/admin/nodes', { cookie: admin.cookie, body: await body(over) })
      expect([JSON.stringify(over), res.status]).toEqual([JSON.stringify(over), 400])
      expect(res.body.errors.join('\n')).toContain(`${field}`)
    }
    // The kernel's JSON parser refuses a number JSON cannot hold, naming the field.
    const raw = JSON.stringify(await body()).replace('"memory":4096', '"memory":1e999')
    const inf = await t.request('POST', '/api/admin/nodes', {
      cookie: admin.cookie,
      body: raw,
      headers: { 'content-type': 'application/json' },
    })
    expect([inf.status, inf.body.errors]).toEqual([400, ['memory: number out of range']])
  })

  test('a reader may list but not create (session and narrowed key)', async () => {
    await expectGuarded(t, { method: 'POST', path: '/api/admin/nodes', body: await body() }, plain, denied(), 'nodes.create')
    for (const who of denied()) expect((await t.request('GET', '/api/admin/nodes', who)).status).toBe(200)
  })
})

describe('GET /api/admin/nodes', () => {
  test('lists by creation, searchable by name; never the token, in any encoding', async () => {
    const a = await make({ name: uniq('findme') })
    const b = await make({ name: uniq('FINDME') })
    const res = await t.request('GET', '/api/admin/nodes?search=findme', { token: readerKey })
    expect(res.status).toBe(200)
    expect(res.body.nodes).toMatchObject({ total: 2, page: 1 })
    expect(res.body.nodes.data.map((n: any) => n.uuid)).toEqual([a.uuid, b.uuid])
    for (const n of res.body.nodes.data) expectModel(Node, n)
    const secret = await tokenOf(a.uuid)
    for (const as of ['json', 'msgpack', 'xml'] as const) {
      const list = await t.request('GET', '/api/admin/nodes?search=findme', { cookie: admin.cookie, as })
      const one = await t.request('GET', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie, as })
      for (const r of [list, one]) {
        expect(r.status).toBe(200)
        expect(r.text).not.toContain(secret.token)
        expect(r.text).not.toContain(secret.token_id)
        expect(r.text).not.toContain('token')
      }
    }
    expect((await t.request('GET', '/api/admin/nodes?page=0', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', '/api/admin/nodes')).status).toBe(401)
    expect((await t.request('GET', '/api/admin/nodes', { cookie: plain.cookie })).status).toBe(403)
  })
})

describe('GET /api/admin/nodes/{node}', () => {
  test('reads one; malformed 400, unknown 404', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/nodes/${a.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(Node, res.body.node)
    expect(res.body.node).toEqual(a)
    const bad = await t.request('GET', '/api/admin/nodes/nope', { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid node uuid']])
    const none = await t.request('GET', `/api/admin/nodes/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['node not found']])
    expect((await t.request('GET', `/api/admin/nodes/${a.uuid}`)).status).toBe(401)
  })
})

describe('PATCH /api/admin/nodes/{node}', () => {
  test('updates, null clears, logs node:update; the token stays', async () => {
    const bc = await makeBackupConfiguration()
    const other = await makeLocation()
    const a = await make({ description: 'old', sftp_host: 'sftp.example.com', public_url: 'https://p.example.com' })
    const before = await tokenOf(a.uuid)
    const res = await t.request('PATCH', `/api/admin/nodes/${a.uuid}`, {
      cookie: admin.cookie,
      body: {
        name: `${a.name}-x`,
        location_uuid: other.uuid,
        backup_configuration_uuid: bc.uuid,
        public_url: null,
        sftp_host: null,
        memory: 1,
      },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toMatchObject({
      name: `${a.name}-x`,
      location_uuid: other.uuid,
      backup_configuration_uuid: bc.uuid,
      public_url: null,
      sftp_host: null,
      description: 'old',
      memory: 1,
    })
    const [event] = await adminEvents(t, admin, 'node:update')
    expect(event.data).toMatchObject({ uuid: a.uuid, name: `${a.name}-x`, location_uuid: other.uuid, description: 'old', memory: 1 })
    expect(Object.keys(event.data).sort()).toEqual(
      [
        'uuid',
        'location_uuid',
        'name',
        'description',
        'deployment_enabled',
        'maintenance_enabled',
        'public_url',
        'url',
        'sftp_host',
        'sftp_port',
        'memory',
        'disk',
      ].sort(),
    )
    expect(await tokenOf(a.uuid)).toEqual(before)
  })

  test('409, relation 400s, bad input 400, 404, 401, 403', async () => {
    const a = await make()
    const b = await make()
    const taken = await t.request('PATCH', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie, body: { name: b.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['node with name already exists']])
    for (const [over, message] of [
      [{ location_uuid: NO_SUCH }, 'invalid relation `location` provided'],
      [{ backup_configuration_uuid: NO_SUCH }, 'invalid relation `backup_configuration` provided'],
    ] as const) {
      const rel = await t.request('PATCH', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie, body: over })
      expect([rel.status, rel.body.errors]).toEqual([400, [message]])
    }
    for (const over of [{ url: 'gopher://x.example.com' }, { sftp_port: 70000 }, { disk: -5 }, { name: '' }]) {
      expect((await t.request('PATCH', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie, body: over })).status).toBe(400)
    }
    expect((await t.request('PATCH', `/api/admin/nodes/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    expect((await t.request('PATCH', `/api/admin/nodes/${a.uuid}`, { body: {} })).status).toBe(401)
    await expectGuarded(t, { method: 'PATCH', path: `/api/admin/nodes/${a.uuid}`, body: {} }, plain, denied(), 'nodes.update')
  })
})

describe('DELETE /api/admin/nodes/{node}', () => {
  test('deletes and logs node:delete; then 404', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'DELETE', path: `/api/admin/nodes/${a.uuid}` }, plain, denied(), 'nodes.delete')
    const res = await t.request('DELETE', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'node:delete')
    expect(event.data).toEqual({ uuid: a.uuid, name: a.name })
    const again = await t.request('DELETE', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['node not found']])
  })

  test("a deletion guard (the servers plugin's) refuses with its 409 and nothing is deleted", async () => {
    const api = hooks()
    const a = await make()
    const guard = async () => {
      throw new Conflict('node has servers, cannot delete')
    }
    api.deletionGuards.add(guard)
    try {
      const res = await t.request('DELETE', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie })
      expect([res.status, res.body.errors]).toEqual([409, ['node has servers, cannot delete']])
      expect(await stored(a.uuid)).toBeDefined()
    } finally {
      api.deletionGuards.delete(guard)
    }
  })
})

describe('location with nodes', () => {
  test('refuses deleting it (409) until its nodes are gone; lists them under /locations/{location}/nodes', async () => {
    const location = await makeLocation()
    const a = await make({ location_uuid: location.uuid })
    const list = await t.request('GET', `/api/admin/locations/${location.uuid}/nodes`, { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.nodes.total).toBe(1)
    expectModel(Node, list.body.nodes.data[0])
    expect(list.body.nodes.data[0].uuid).toBe(a.uuid)
    const refused = await t.request('DELETE', `/api/admin/locations/${location.uuid}`, { cookie: admin.cookie })
    expect([refused.status, refused.body.errors]).toEqual([409, ['location has nodes, cannot delete']])
    expect((await t.request('DELETE', `/api/admin/nodes/${a.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect((await t.request('DELETE', `/api/admin/locations/${location.uuid}`, { cookie: admin.cookie })).status).toBe(200)
  })

  test("a backup configuration's nodes, and the nodes count of stats/general", async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ backup_configuration_uuid: bc.uuid })
    const list = await t.request('GET', `/api/admin/backup-configurations/${bc.uuid}/nodes`, { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.nodes.data.map((n: any) => n.uuid)).toEqual([a.uuid])
    expectModel(Node, list.body.nodes.data[0])
    const stats = await t.request('GET', '/api/admin/stats/general', { cookie: admin.cookie })
    expect(stats.body.stats.nodes).toBe(await t.kernel.database.db.$count(nodes))
    expect(stats.body.stats.nodes).toBeGreaterThan(0)
  })
})

describe('POST /api/admin/nodes/{node}/duplicate', () => {
  test('copies every field but the name, with a new token; logs node:duplicate', async () => {
    const bc = await makeBackupConfiguration()
    const a = await make({ description: 'd', backup_configuration_uuid: bc.uuid, sftp_host: 'sftp.example.com' })
    const res = await t.request('POST', `/api/admin/nodes/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: `${a.name}-copy` } })
    expect(res.status).toBe(200)
    const copy = res.body.node
    expectModel(Node, copy)
    const { uuid: _a, name: _n, created: _c, ...same } = a as any
    expect(copy).toMatchObject({ ...same, name: `${a.name}-copy` })
    expect(copy.uuid).not.toBe(a.uuid)
    const [src, dst] = [await tokenOf(a.uuid), await tokenOf(copy.uuid)]
    expect(dst.token_id).not.toBe(src.token_id)
    expect(dst.token).not.toBe(src.token)
    const [event] = await adminEvents(t, admin, 'node:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, source_name: a.name, uuid: copy.uuid, name: `${a.name}-copy` })
  })

  test('409, 400, 404, 403', async () => {
    const a = await make()
    const taken = await t.request('POST', `/api/admin/nodes/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: a.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['node with name already exists']])
    expect((await t.request('POST', `/api/admin/nodes/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } })).status).toBe(400)
    expect(
      (await t.request('POST', `/api/admin/nodes/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: { name: uniq() } })).status,
    ).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nodes/${a.uuid}/duplicate`, body: { name: uniq() } },
      plain,
      denied(),
      'nodes.create',
    )
  })
})

describe('token', () => {
  test('GET /token answers the pair; POST /reset-token replaces it and logs node:reset-token without it', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/nodes/${a.uuid}/token`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(NodeToken, res.body)
    const old = res.body
    await expectGuarded(t, { method: 'GET', path: `/api/admin/nodes/${a.uuid}/token` }, plain, denied(), 'nodes.read-token')
    const reset = await t.request('POST', `/api/admin/nodes/${a.uuid}/reset-token`, { cookie: admin.cookie })
    expect(reset.status).toBe(200)
    expectModel(NodeToken, reset.body)
    expect(reset.body.token).toMatch(/^[A-Za-z0-9]{64}$/)
    expect(reset.body.token_id).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(reset.body.token).not.toBe(old.token)
    expect(reset.body.token_id).not.toBe(old.token_id)
    expect(await tokenOf(a.uuid)).toEqual(reset.body)
    expect((await stored(a.uuid)).token_id).toBe(reset.body.token_id)
    const [event] = await adminEvents(t, admin, 'node:reset-token')
    expect(event.data).toEqual({ node_uuid: a.uuid })
    expect(JSON.stringify(event)).not.toContain(reset.body.token)
    // No activity row of any kind holds a token, old or new.
    const rows = JSON.stringify(await t.kernel.database.db.select().from(userTables.adminActivities))
    for (const secret of [old.token, reset.body.token]) expect(rows).not.toContain(secret)
    await expectGuarded(t, { method: 'POST', path: `/api/admin/nodes/${a.uuid}/reset-token` }, plain, denied(), 'nodes.reset-token')
    expect((await t.request('POST', `/api/admin/nodes/${NO_SUCH}/reset-token`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', `/api/admin/nodes/nope/token`, { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('GET /api/admin/nodes/{node}/join', () => {
  test('YAML by default with the token, the port of the url and the panel origin; JSON on request', async () => {
    await t.request('PUT', '/api/admin/settings', {
      cookie: admin.cookie,
      body: { app: { url: 'https://Panel.Example.com:8443/some/path' } },
    })
    const a = await make({ url: 'https://wings.example.com:8443', sftp_port: 2222 })
    const secret = await tokenOf(a.uuid)
    const res = await t.request('GET', `/api/admin/nodes/${a.uuid}/join`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('application/yaml')
    const doc = parse(res.text)
    expectModel(JoinDocument, doc)
    expect(doc).toEqual({
      uuid: a.uuid,
      token_id: secret.token_id,
      token: secret.token,
      api: { port: 8443, disable_openapi_docs: true, upload_limit: 0 },
      system: { sftp: { bind_port: 2222 } },
      remote: 'https://panel.example.com:8443',
    })
    const json = await t.request('GET', `/api/admin/nodes/${a.uuid}/join?format=json`, { cookie: admin.cookie })
    expect(json.status).toBe(200)
    expect(json.headers.get('content-type')).toStartWith('application/json')
    expect(json.body).toEqual(doc)
    const plainUrl = await make({ url: 'https://wings.example.com' })
    const dflt = await t.request('GET', `/api/admin/nodes/${plainUrl.uuid}/join?format=json`, { cookie: admin.cookie })
    expect(dflt.body.api.port).toBe(8080)
    expect((await t.request('GET', `/api/admin/nodes/${a.uuid}/join?format=toml`, { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('GET', `/api/admin/nodes/${NO_SUCH}/join`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(t, { method: 'GET', path: `/api/admin/nodes/${a.uuid}/join` }, plain, denied(), 'nodes.read-token')
  })
})

describe('GET /api/admin/nodes/{node}/capacity', () => {
  test('limits from the node, allocated zeros until a provider fills it', async () => {
    const a = await make({ memory: 2048, disk: 4096 })
    const res = await t.request('GET', `/api/admin/nodes/${a.uuid}/capacity`, { token: readerKey })
    expect(res.status).toBe(200)
    expectModel(Capacity, res.body)
    expect(res.body).toEqual({
      limits: { memory: 2048, disk: 4096 },
      allocated: { servers: 0, cpu: 0, memory: 0, memory_overhead: 0, disk: 0 },
    })
    expect((await t.request('GET', `/api/admin/nodes/${NO_SUCH}/capacity`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', `/api/admin/nodes/${a.uuid}/capacity`)).status).toBe(401)
    expect((await t.request('GET', `/api/admin/nodes/${a.uuid}/capacity`, { cookie: plain.cookie })).status).toBe(403)
  })
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  expectModel,
  makeApiKey,
  plainCaller,
  roleCaller,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { insertServer, makeEgg, serversApi } from '../test-fixtures'
import { servers } from '../tables'
import { ClientServer } from './model'
import { serverIdentifier, stateGate } from './scope'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let stranger: AdminCaller
let reader: AdminCaller
let node: { uuid: string; name: string }
let location: { uuid: string; name: string }
let egg: { uuid: string }

const uniq = (p: string) => `${p}_${Math.random().toString(36).slice(2, 9)}`

beforeAll(async () => {
  ;({ admin, plain: owner, limited: reader } = await adminCallers(t, ['servers.read']))
  stranger = await plainCaller(t)
  location = (await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq('loc'), flag: 'de' } })).body
    .location
  node = (
    await t.request('POST', '/api/admin/nodes', {
      cookie: admin.cookie,
      body: {
        location_uuid: location.uuid,
        name: uniq('node'),
        deployment_enabled: true,
        maintenance_enabled: false,
        url: 'https://wings.example.com:8080',
        sftp_port: 2022,
        memory: 8192,
        disk: 65536,
      },
    })
  ).body.node
  egg = await makeEgg(t)
}, SETUP_TIMEOUT)

const server = (over: Parameters<typeof insertServer>[2] = {}) =>
  insertServer(t, { node: node.uuid, owner: owner.uuid, egg: egg.uuid }, over)
const get = (id: string, who: { cookie?: string; token?: string }) => t.request('GET', `/api/client/servers/${id}`, who)

describe('GET /api/client/servers/{server}', () => {
  test('the owner gets the client Server object, by uuid or short id', async () => {
    const s = await server({ name: uniq('srv'), description: 'mine' })
    const res = await get(s.uuid, { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expectModel(ClientServer, res.body.server)
    expect(res.body.server).toMatchObject({
      uuid: s.uuid,
      uuid_short: s.uuid.slice(0, 8),
      is_owner: true,
      permissions: ['*'],
      location_uuid: location.uuid,
      location_flag: 'de',
      node_uuid: node.uuid,
      sftp_host: 'wings.example.com',
      sftp_port: 2022,
      egg: { uuid: egg.uuid, name: 'Paper', docker_images: { 'Java 21': 'ghcr.io/pterodactyl/yolks:java_21' } },
      egg_configuration: {
        allocation_self_assign_enabled: false,
        allocation_self_assign_require_primary: false,
        startup_allow_custom_command: false,
        route_order: null,
      },
      limits: { cpu: 100, memory: 1024, swap: 0, disk: 4096 },
      auto_kill: { enabled: false, seconds: 30 },
      auto_start_behavior: 'unless_stopped',
      description: 'mine',
    })
    for (const id of [s.uuid.slice(0, 8), s.uuid.slice(0, 8).toUpperCase(), s.uuid.toUpperCase()]) {
      expect((await get(id, { cookie: owner.cookie })).body.server.uuid).toBe(s.uuid)
    }
  })

  test('a short id whose first bit is set (a negative uuid_short) is found too', async () => {
    const uuid = 'f' + crypto.randomUUID().slice(1)
    const s = await server({ uuid, uuid_short: Number.parseInt(uuid.slice(0, 8), 16) | 0 })
    expect(s.uuid_short).toBeLessThan(0)
    const res = await get(uuid.slice(0, 8), { cookie: owner.cookie })
    expect([res.status, res.body.server.uuid_short]).toEqual([200, uuid.slice(0, 8)])
  })

  test('404 for strangers, unknown ids and malformed ones; administrators and servers.read roles see it', async () => {
    const s = await server()
    for (const id of [crypto.randomUUID(), 'zzzzzzzz', 'nope', `${s.uuid}x`]) {
      const res = await get(id, { cookie: owner.cookie })
      expect([res.status, res.body.errors]).toEqual([404, ['server not found']])
    }
    expect((await get(s.uuid, { cookie: stranger.cookie })).status).toBe(404)
    const byAdmin = await get(s.uuid, { cookie: admin.cookie })
    expect([byAdmin.status, byAdmin.body.server.is_owner, byAdmin.body.server.permissions]).toEqual([200, false, ['*']])
    expect((await get(s.uuid, { cookie: reader.cookie })).status).toBe(200)
    // An administrator whose role lacks servers.read does not see foreign servers (spec 03 §1.2).
    const roleAdmin = await roleCaller(t, admin, ['nodes.read'])
    expect((await get(s.uuid, { cookie: roleAdmin.cookie })).status).toBe(404)
  })

  test('401 without credentials; answers for a suspended or installing server (exempt from the state gate)', async () => {
    const s = await server({ suspended: true, status: 'installing' })
    expect((await t.request('GET', `/api/client/servers/${s.uuid}`)).status).toBe(401)
    const res = await get(s.uuid, { cookie: owner.cookie })
    expect([res.status, res.body.server.is_suspended, res.body.server.status]).toEqual([200, true, 'installing'])
  })

  test('an API key reaches it with any permissions; subusers come from the subuser slot', async () => {
    const s = await server()
    const key = await makeApiKey(t, owner.cookie, { user_permissions: ['servers.read'] })
    expect((await get(s.uuid, { token: key.key })).status).toBe(200)
    const seen: string[] = []
    const api = serversApi(t)
    ;(api.subusers as any).lookup = async (_db: unknown, row: { uuid: string }, user: string) => {
      seen.push(`${row.uuid} ${user}`)
      return row.uuid === s.uuid && user === stranger.uuid ? { permissions: ['files.read'], ignored_files: [] } : null
    }
    try {
      const res = await get(s.uuid, { cookie: stranger.cookie })
      expect([res.status, res.body.server.is_owner, res.body.server.permissions]).toEqual([200, false, ['files.read']])
      expect(seen).toEqual([`${s.uuid} ${stranger.uuid}`])
    } finally {
      ;(api.subusers as any).lookup = null
    }
  })
})

describe('GET /api/client/servers', () => {
  test('lists the servers the caller owns, searched by name; other=true lists the rest for servers.read admins', async () => {
    const mine = await server({ name: uniq('listed') })
    const foreign = await insertServer(t, { node: node.uuid, owner: stranger.uuid, egg: egg.uuid }, { name: uniq('foreign') })
    const res = await t.request('GET', `/api/client/servers?search=${mine.name}`, { cookie: owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.servers).toMatchObject({ total: 1, page: 1 })
    expectModel(ClientServer, res.body.servers.data[0])
    const all = (await t.request('GET', '/api/client/servers?per_page=100', { cookie: owner.cookie })).body.servers.data
    expect(all.every((s: any) => s.is_owner)).toBe(true)
    expect(all.map((s: any) => s.uuid)).not.toContain(foreign.uuid)
    // `other` without the admin permission is ignored.
    const ignored = await t.request('GET', `/api/client/servers?other=true&search=${foreign.name}`, { cookie: owner.cookie })
    expect(ignored.body.servers.total).toBe(0)
    const other = await t.request('GET', `/api/client/servers?other=true&search=${foreign.name}`, { cookie: admin.cookie })
    expect(other.body.servers.data.map((s: any) => s.uuid)).toEqual([foreign.uuid])
  })

  test('401 without credentials, 403 for an API key without servers.read, 400 for bad paging', async () => {
    expect((await t.request('GET', '/api/client/servers')).status).toBe(401)
    const key = await makeApiKey(t, owner.cookie, { user_permissions: [] })
    const denied = await t.request('GET', '/api/client/servers', { token: key.key })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: servers.read']])
    expect((await t.request('GET', '/api/client/servers?per_page=0', { cookie: owner.cookie })).status).toBe(400)
    expect((await t.request('GET', '/api/client/servers?other=maybe', { cookie: owner.cookie })).status).toBe(400)
  })

  test('msgpack and xml answers carry the same page', async () => {
    const s = await server({ name: uniq('enc') })
    const packed = await t.request('GET', `/api/client/servers?search=${s.name}`, { cookie: owner.cookie, as: 'msgpack' })
    expect([packed.status, packed.body.servers.data[0].uuid]).toEqual([200, s.uuid])
    const xml = await t.request('GET', `/api/client/servers?search=${s.name}`, { cookie: owner.cookie, as: 'xml' })
    expect(xml.status).toBe(200)
    expect(xml.text).toContain(`<uuid>${s.uuid}</uuid>`)
  })
})

describe('the state gate and identifiers', () => {
  const row = (over: Record<string, unknown>) => ({ suspended: false, destination_node_uuid: null, status: null, ...over }) as any
  const user = { user: { admin: false } } as any
  const adminP = { user: { admin: true } } as any

  test('gate order: suspended (admins pass everything), transfer, then status', () => {
    expect(() => stateGate(row({ suspended: true, status: 'installing' }), user)).toThrow('server is suspended')
    expect(() => stateGate(row({ suspended: true, status: 'installing' }), adminP)).not.toThrow()
    expect(() => stateGate(row({ destination_node_uuid: 'x', status: 'installing' }), adminP)).toThrow('server is being transferred')
    expect(() => stateGate(row({ status: 'installing' }), user)).toThrow('server is currently installing')
    expect(() => stateGate(row({ status: 'install_failed' }), user)).toThrow('your server has failed its installation process')
    expect(() => stateGate(row({ status: 'restoring_backup' }), user)).toThrow('server is restoring from a backup')
    expect(() => stateGate(row({ status: 'backup_restore_failed' }), user)).toThrow('your server has failed to restore a backup')
    expect(() => stateGate(row({}), user)).not.toThrow()
  })

  test('identifiers: uuid or 8 hex digits, nothing else', () => {
    expect(serverIdentifier('12345678')).not.toBeNull()
    expect(serverIdentifier('1234567')).toBeNull()
    expect(serverIdentifier('1234567g')).toBeNull()
    expect(serverIdentifier('00000000-0000-4000-8000-000000000000')).not.toBeNull()
  })

  test('the uuid_short of a stored server is the first 32 bits of its uuid', async () => {
    const s = await server()
    const [stored] = await t.kernel.database.db.select().from(servers).where(eq(servers.uuid, s.uuid))
    expect((stored.uuid_short >>> 0).toString(16).padStart(8, '0')).toBe(s.uuid.slice(0, 8))
  })
})

describe('GET /api/admin/users/{user}/servers', () => {
  test("a user's servers, searched by name or by the owner's name; 400/404 for a bad user; guarded", async () => {
    const s = await server({ name: uniq('usr') })
    const both = await roleCaller(t, admin, ['users.read', 'servers.read'])
    const res = await t.request('GET', `/api/admin/users/${owner.uuid}/servers?per_page=100`, { cookie: both.cookie })
    expect(res.status).toBe(200)
    expect(res.body.servers.data.map((x: any) => x.uuid)).toContain(s.uuid)
    expect(res.body.servers.data.every((x: any) => x.owner.uuid === owner.uuid)).toBe(true)
    const byName = await t.request('GET', `/api/admin/users/${owner.uuid}/servers?search=${s.name}`, { cookie: admin.cookie })
    expect(byName.body.servers.data.map((x: any) => x.uuid)).toEqual([s.uuid])
    const byOwner = await t.request('GET', `/api/admin/users/${owner.uuid}/servers?search=${owner.username}`, { cookie: admin.cookie })
    expect(byOwner.body.servers.total).toBe(res.body.servers.total)
    const ownedOnly = await t.request('GET', `/api/admin/users/${owner.uuid}/servers?owned=true&search=${owner.username}`, {
      cookie: admin.cookie,
    })
    expect(ownedOnly.body.servers.total).toBe(0)
    expect((await t.request('GET', '/api/admin/users/nope/servers', { cookie: admin.cookie })).body.errors).toEqual(['invalid user uuid'])
    const missing = await t.request('GET', `/api/admin/users/${crypto.randomUUID()}/servers`, { cookie: admin.cookie })
    expect([missing.status, missing.body.errors]).toEqual([404, ['user not found']])
    expect((await t.request('GET', `/api/admin/users/${owner.uuid}/servers`, { cookie: owner.cookie })).status).toBe(403)
    const usersOnly = await roleCaller(t, admin, ['users.read'])
    const denied = await t.request('GET', `/api/admin/users/${owner.uuid}/servers`, { cookie: usersOnly.cookie })
    expect([denied.status, denied.body.errors]).toEqual([403, ['you do not have permission to perform this action: servers.read']])
  })
})

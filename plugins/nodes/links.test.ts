import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { adminCallers, adminEvents, expectGuarded, expectModel, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { Empty } from 'hatchery'
import { MountNodeLink, NodeDatabaseHost, NodeMount } from './model'
import { nodeDatabaseHosts, nodeMounts } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nodes.read']))
}, SETUP_TIMEOUT)

const uniq = (p = 'n') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const db = () => t.kernel.database.db

let locationUuid: string | undefined
async function makeNode() {
  if (!locationUuid) {
    const loc = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq('loc') } })
    locationUuid = loc.body.location.uuid
  }
  const res = await t.request('POST', '/api/admin/nodes', {
    cookie: admin.cookie,
    body: {
      location_uuid: locationUuid,
      name: uniq('node'),
      deployment_enabled: true,
      maintenance_enabled: false,
      url: 'https://wings.example.com:8080',
      sftp_port: 2022,
      memory: 0,
      disk: 0,
    },
  })
  expect(res.status).toBe(200)
  return res.body.node as { uuid: string; name: string }
}

async function makeMount() {
  const n = uniq('m')
  const res = await t.request('POST', '/api/admin/mounts', {
    cookie: admin.cookie,
    body: { name: n, source: `/srv/${n}`, target: `/mnt/${n}`, read_only: false, user_mountable: false },
  })
  expect(res.status).toBe(200)
  return res.body.mount as { uuid: string; name: string }
}

async function makeHost() {
  const res = await t.request('POST', '/api/admin/database-hosts', {
    cookie: admin.cookie,
    body: {
      name: uniq('db'),
      type: 'mysql',
      deployment_enabled: true,
      maintenance_enabled: false,
      credentials: { type: 'details', host: '127.0.0.1', port: 3306, username: 'root', password: 'very-secret-pw' },
    },
  })
  expect(res.status).toBe(200)
  return res.body.database_host as { uuid: string; name: string }
}

describe('/api/admin/nodes/{node}/mounts', () => {
  test('link, list (also from the mount side), unlink; events node:mount.create|delete', async () => {
    const node = await makeNode()
    const [a, b] = [await makeMount(), await makeMount()]
    for (const m of [a, b]) {
      const res = await t.request('POST', `/api/admin/nodes/${node.uuid}/mounts`, { cookie: admin.cookie, body: { mount_uuid: m.uuid } })
      expect(res.status).toBe(200)
      expectModel(Empty, res.body)
    }
    const [created] = await adminEvents(t, admin, 'node:mount.create')
    expect(created.data).toEqual({ node_uuid: node.uuid, mount_uuid: b.uuid })
    const list = await t.request('GET', `/api/admin/nodes/${node.uuid}/mounts`, { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.mounts.total).toBe(2)
    expect(list.body.mounts.data.map((l: any) => l.mount.uuid)).toEqual([a.uuid, b.uuid])
    for (const l of list.body.mounts.data) expectModel(NodeMount, l)
    const searched = await t.request('GET', `/api/admin/nodes/${node.uuid}/mounts?search=${b.name}`, { cookie: admin.cookie })
    expect(searched.body.mounts.data.map((l: any) => l.mount.uuid)).toEqual([b.uuid])

    const fromMount = await t.request('GET', `/api/admin/mounts/${a.uuid}/nodes`, { cookie: admin.cookie })
    expect(fromMount.status).toBe(200)
    expect(fromMount.body.node_mounts.total).toBe(1)
    expectModel(MountNodeLink, fromMount.body.node_mounts.data[0])
    expect(fromMount.body.node_mounts.data[0].node.uuid).toBe(node.uuid)
    expect(fromMount.text).not.toContain('token')

    const del = await t.request('DELETE', `/api/admin/nodes/${node.uuid}/mounts/${a.uuid}`, { cookie: admin.cookie })
    expect(del.status).toBe(200)
    const [deleted] = await adminEvents(t, admin, 'node:mount.delete')
    expect(deleted.data).toEqual({ node_uuid: node.uuid, mount_uuid: a.uuid })
    const again = await t.request('DELETE', `/api/admin/nodes/${node.uuid}/mounts/${a.uuid}`, { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['mount not found']])
  })

  test('400 relation, 409 linked, 400 malformed, 404 node, 401, 403', async () => {
    const node = await makeNode()
    const m = await makeMount()
    const path = `/api/admin/nodes/${node.uuid}/mounts`
    const rel = await t.request('POST', path, { cookie: admin.cookie, body: { mount_uuid: NO_SUCH } })
    expect([rel.status, rel.body.errors]).toEqual([400, ['invalid relation `mount` provided']])
    expect((await t.request('POST', path, { cookie: admin.cookie, body: { mount_uuid: m.uuid } })).status).toBe(200)
    const dup = await t.request('POST', path, { cookie: admin.cookie, body: { mount_uuid: m.uuid } })
    expect([dup.status, dup.body.errors]).toEqual([409, ['mount already exists']])
    expect((await t.request('POST', path, { cookie: admin.cookie, body: { mount_uuid: 'nope' } })).status).toBe(400)
    const bad = await t.request('DELETE', `${path}/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid mount uuid']])
    expect((await t.request('GET', `/api/admin/nodes/${NO_SUCH}/mounts`, { cookie: admin.cookie })).status).toBe(404)
    expect((await t.request('GET', path)).status).toBe(401)
    for (const [method, p, body] of [
      ['GET', path, undefined],
      ['POST', path, { mount_uuid: m.uuid }],
      ['DELETE', `${path}/${m.uuid}`, undefined],
    ] as const) {
      await expectGuarded(t, { method, path: p, body }, plain, denied(), 'nodes.mounts')
    }
  })
})

describe('/api/admin/nodes/{node}/database-hosts', () => {
  test('link, list (credentials never answered), unlink; events node:database-host.create|delete', async () => {
    const node = await makeNode()
    const host = await makeHost()
    const path = `/api/admin/nodes/${node.uuid}/database-hosts`
    const res = await t.request('POST', path, { cookie: admin.cookie, body: { database_host_uuid: host.uuid } })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const [created] = await adminEvents(t, admin, 'node:database-host.create')
    expect(created.data).toEqual({ node_uuid: node.uuid, database_host_uuid: host.uuid })
    const list = await t.request('GET', path, { cookie: admin.cookie })
    expect(list.status).toBe(200)
    expect(list.body.database_hosts.total).toBe(1)
    expectModel(NodeDatabaseHost, list.body.database_hosts.data[0])
    expect(list.body.database_hosts.data[0].database_host).toMatchObject({ uuid: host.uuid, credentials: { password: '' } })
    expect(list.text).not.toContain('very-secret-pw')
    const del = await t.request('DELETE', `${path}/${host.uuid}`, { cookie: admin.cookie })
    expect(del.status).toBe(200)
    const [deleted] = await adminEvents(t, admin, 'node:database-host.delete')
    expect(deleted.data).toEqual({ node_uuid: node.uuid, database_host_uuid: host.uuid })
    const again = await t.request('DELETE', `${path}/${host.uuid}`, { cookie: admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['database host not found']])
  })

  test('400 relation, 409 linked, 400 malformed, 404 node, 401, 403', async () => {
    const node = await makeNode()
    const host = await makeHost()
    const path = `/api/admin/nodes/${node.uuid}/database-hosts`
    const rel = await t.request('POST', path, { cookie: admin.cookie, body: { database_host_uuid: NO_SUCH } })
    expect([rel.status, rel.body.errors]).toEqual([400, ['invalid relation `database_host` provided']])
    expect((await t.request('POST', path, { cookie: admin.cookie, body: { database_host_uuid: host.uuid } })).status).toBe(200)
    const dup = await t.request('POST', path, { cookie: admin.cookie, body: { database_host_uuid: host.uuid } })
    expect([dup.status, dup.body.errors]).toEqual([409, ['database host already exists on this node']])
    const bad = await t.request('DELETE', `${path}/nope`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid database host uuid']])
    expect(
      (
        await t.request('POST', `/api/admin/nodes/${NO_SUCH}/database-hosts`, {
          cookie: admin.cookie,
          body: { database_host_uuid: host.uuid },
        })
      ).status,
    ).toBe(404)
    expect((await t.request('GET', path)).status).toBe(401)
    for (const [method, p, body] of [
      ['GET', path, undefined],
      ['POST', path, { database_host_uuid: host.uuid }],
      ['DELETE', `${path}/${host.uuid}`, undefined],
    ] as const) {
      await expectGuarded(t, { method, path: p, body }, plain, denied(), 'nodes.database-hosts')
    }
  })
})

describe('links follow their node', () => {
  test('duplicate copies mount and database-host links; delete cascades them', async () => {
    const node = await makeNode()
    const [m, h] = [await makeMount(), await makeHost()]
    await t.request('POST', `/api/admin/nodes/${node.uuid}/mounts`, { cookie: admin.cookie, body: { mount_uuid: m.uuid } })
    await t.request('POST', `/api/admin/nodes/${node.uuid}/database-hosts`, { cookie: admin.cookie, body: { database_host_uuid: h.uuid } })
    const dup = await t.request('POST', `/api/admin/nodes/${node.uuid}/duplicate`, { cookie: admin.cookie, body: { name: uniq('copy') } })
    expect(dup.status).toBe(200)
    const copy = dup.body.node.uuid
    const mounts = await t.request('GET', `/api/admin/nodes/${copy}/mounts`, { cookie: admin.cookie })
    expect(mounts.body.mounts.data.map((l: any) => l.mount.uuid)).toEqual([m.uuid])
    const hosts = await t.request('GET', `/api/admin/nodes/${copy}/database-hosts`, { cookie: admin.cookie })
    expect(hosts.body.database_hosts.data.map((l: any) => l.database_host.uuid)).toEqual([h.uuid])

    expect((await t.request('DELETE', `/api/admin/nodes/${node.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect(await db().select().from(nodeMounts).where(eq(nodeMounts.node_uuid, node.uuid))).toEqual([])
    expect(await db().select().from(nodeDatabaseHosts).where(eq(nodeDatabaseHosts.node_uuid, node.uuid))).toEqual([])
    // the copy keeps its own links
    expect((await db().select().from(nodeMounts).where(eq(nodeMounts.node_uuid, copy))).length).toBe(1)
    // deleting the mount or the host cascades the copy's links
    expect((await t.request('DELETE', `/api/admin/mounts/${m.uuid}`, { cookie: admin.cookie })).status).toBe(200)
    expect(await db().select().from(nodeMounts).where(eq(nodeMounts.node_uuid, copy))).toEqual([])
  })
})

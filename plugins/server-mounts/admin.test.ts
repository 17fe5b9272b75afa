import { beforeAll, describe, expect, test } from 'bun:test'
import { adminCallers, adminEvents, expectModel, expectRoutesGuarded, useTestApp, type AdminCallers } from 'hatchery/testing'
import { clientKit } from '../servers/client/test-kit'
import { AdminServerMount } from './model'
import { eventually, makeMount } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
let who: AdminCallers
let linked: string
let hidden: string
let nodeOnly: string

const path = (uuid: string, rest = '') => `/api/admin/servers/${uuid}/mounts${rest}`
const uuids = (body: { mounts: { data: { mount: { uuid: string } }[] } }) => body.mounts.data.map((m) => m.mount.uuid)

beforeAll(async () => {
  who = await adminCallers(t, ['servers.mounts'])
  const both = { node: k.at.node.uuid, egg: k.egg }
  linked = await makeMount(t, k.admin, both)
  hidden = await makeMount(t, k.admin, both, false)
  nodeOnly = await makeMount(t, k.admin, { node: k.at.node.uuid })
})

describe('admin server mounts', () => {
  test('every route is guarded', async () => {
    const swept = await expectRoutesGuarded(t, {
      namespace: 'admin',
      plugin: 'server-mounts',
      bodies: { 'POST /api/admin/servers/:server/mounts': { mount_uuid: crypto.randomUUID() } },
    })
    expect(swept.length).toBe(4)
  })

  test('GET …/mounts/available lists every mount linked to node and egg, user-mountable or not', async () => {
    const uuid = await k.server()
    const res = await t.request('GET', path(uuid, '/available'), { cookie: who.limited.cookie })
    expect(res.status).toBe(200)
    expect(uuids(res.body)).toEqual([linked, hidden])
    for (const item of res.body.mounts.data) expectModel(AdminServerMount, item)
    expect(res.body.mounts.data[0].created).toBeNull()
  })

  test('POST attaches a linked mount (even not user-mountable), logs server:mount.create, syncs; 409 again; 404 unlinked', async () => {
    const uuid = await k.server()
    const res = await t.request('POST', path(uuid), { cookie: who.limited.cookie, body: { mount_uuid: hidden } })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(uuids((await t.request('GET', path(uuid), { cookie: who.admin.cookie })).body)).toEqual([hidden])
    const events = await adminEvents(t, who.admin, 'server:mount.create')
    expect(events.map((e) => e.data)).toContainEqual({ server_uuid: uuid, mount_uuid: hidden })
    await eventually(() => (k.at.wings.servers.get(uuid)?.config.settings.mounts ?? []).length === 1)
    const again = await t.request('POST', path(uuid), { cookie: who.admin.cookie, body: { mount_uuid: hidden } })
    expect([again.status, again.body.errors]).toEqual([409, ['mount already exists']])
    const unlinked = await t.request('POST', path(uuid), { cookie: who.admin.cookie, body: { mount_uuid: nodeOnly } })
    expect([unlinked.status, unlinked.body.errors]).toEqual([404, ['mount not found']])
    const missing = await t.request('POST', path(crypto.randomUUID()), { cookie: who.admin.cookie, body: { mount_uuid: linked } })
    expect([missing.status, missing.body.errors]).toEqual([404, ['server not found']])
    expect((await t.request('POST', path(uuid), { cookie: who.admin.cookie, body: { mount_uuid: 1 } })).status).toBe(400)
  })

  test("DELETE detaches and logs server:mount.delete; 404 when not attached; the mount's servers list follows", async () => {
    const uuid = await k.server()
    expect((await t.request('POST', path(uuid), { cookie: who.admin.cookie, body: { mount_uuid: linked } })).status).toBe(200)
    const servers = await t.request('GET', `/api/admin/mounts/${linked}/servers`, { cookie: who.admin.cookie })
    expect(servers.status).toBe(200)
    expect(servers.body.server_mounts.data.map((s: { server: { uuid: string } }) => s.server.uuid)).toContain(uuid)
    const res = await t.request('DELETE', path(uuid, `/${linked}`), { cookie: who.limited.cookie })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await adminEvents(t, who.admin, 'server:mount.delete')).map((e) => e.data)).toContainEqual({
      server_uuid: uuid,
      mount_uuid: linked,
    })
    const again = await t.request('DELETE', path(uuid, `/${linked}`), { cookie: who.admin.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['mount not found']])
  })

  test('deleting the mount detaches it from its servers (cascade)', async () => {
    const uuid = await k.server()
    const gone = await makeMount(t, k.admin, { node: k.at.node.uuid, egg: k.egg })
    expect((await t.request('POST', path(uuid), { cookie: who.admin.cookie, body: { mount_uuid: gone } })).status).toBe(200)
    expect((await t.request('DELETE', `/api/admin/mounts/${gone}`, { cookie: who.admin.cookie })).status).toBe(200)
    expect(uuids((await t.request('GET', path(uuid), { cookie: who.admin.cookie })).body)).toEqual([])
  })
})

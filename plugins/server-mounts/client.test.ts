import { beforeAll, describe, expect, test } from 'bun:test'
import { expectModel, useTestApp } from 'hatchery/testing'
import { clientKit } from '../servers/client/test-kit'
import { ClientServerMount } from './model'
import { eventually, makeMount } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}/mounts${rest}`, { ...who, body })

let usable: string
let hidden: string
let nodeOnly: string
let eggOnly: string

beforeAll(async () => {
  const both = { node: k.at.node.uuid, egg: k.egg }
  usable = await makeMount(t, k.admin, both, true, true)
  hidden = await makeMount(t, k.admin, both, false)
  nodeOnly = await makeMount(t, k.admin, { node: k.at.node.uuid })
  eggOnly = await makeMount(t, k.admin, { egg: k.egg })
})

describe('GET /api/client/servers/{server}/mounts', () => {
  test('the user-mountable mounts linked to both the node and the egg, attached or not', async () => {
    const uuid = await k.server()
    const res = await call('GET', uuid, '', { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.mounts.data.map((m: { uuid: string }) => m.uuid)).toEqual([usable])
    expectModel(ClientServerMount, res.body.mounts.data[0])
    expect(res.body.mounts.data[0]).toMatchObject({ read_only: true, created: null })
    expect((await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid: usable })).status).toBe(200)
    const after = await call('GET', uuid, '?search=zzz-none', { cookie: k.owner.cookie })
    expect(after.body.mounts.total).toBe(0)
    const attached = (await call('GET', uuid, '', { cookie: k.owner.cookie })).body.mounts.data[0]
    expect(typeof attached.created).toBe('string')
  })
})

describe('POST /api/client/servers/{server}/mounts', () => {
  test('attaches, logs server:mounts.attach and pushes the mount to the node', async () => {
    const uuid = await k.server()
    const res = await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid: usable })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await k.events(uuid)).toContainEqual(['server:mounts.attach', { mount_uuid: usable }])
    const onNode = () => k.at.wings.servers.get(uuid)?.config.settings.mounts ?? []
    await eventually(() => onNode().length === 1)
    expect(onNode()[0]).toMatchObject({ target: expect.stringMatching(/^\/mnt\//), read_only: true })
    const again = await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid: usable })
    expect([again.status, again.body.errors]).toEqual([409, ['mount already exists']])
  })

  test('refuses mounts not linked to both node and egg, not user-mountable, or unknown (404); a bad body (400)', async () => {
    const uuid = await k.server()
    for (const mount_uuid of [hidden, nodeOnly, eggOnly, crypto.randomUUID()]) {
      const res = await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid })
      expect([res.status, res.body.errors]).toEqual([404, ['mount not found']])
    }
    expect((await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid: 'nope' })).status).toBe(400)
    expect((await call('POST', uuid, '', { cookie: k.owner.cookie }, {})).status).toBe(400)
    expect((await k.events(uuid)).filter(([e]) => e === 'server:mounts.attach')).toEqual([])
  })
})

describe('DELETE /api/client/servers/{server}/mounts/{mount}', () => {
  test('detaches, logs server:mounts.detach and the node loses the mount; then 404', async () => {
    const uuid = await k.server()
    expect((await call('POST', uuid, '', { cookie: k.owner.cookie }, { mount_uuid: usable })).status).toBe(200)
    const onNode = () => k.at.wings.servers.get(uuid)?.config.settings.mounts ?? []
    await eventually(() => onNode().length === 1)
    const res = await call('DELETE', uuid, `/${usable}`, { cookie: k.owner.cookie })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await k.events(uuid)).toContainEqual(['server:mounts.detach', { mount_uuid: usable }])
    await eventually(() => onNode().length === 0)
    const again = await call('DELETE', uuid, `/${usable}`, { cookie: k.owner.cookie })
    expect([again.status, again.body.errors]).toEqual([404, ['mount not found']])
  })

  test('a mount an admin attached that is not user-mountable: 404 to the client, still attached; malformed: 400', async () => {
    const uuid = await k.server()
    const admin = await t.request('POST', `/api/admin/servers/${uuid}/mounts`, { cookie: k.admin.cookie, body: { mount_uuid: hidden } })
    expect(admin.status).toBe(200)
    const res = await call('DELETE', uuid, `/${hidden}`, { cookie: k.owner.cookie })
    expect([res.status, res.body.errors]).toEqual([404, ['mount not found']])
    const attached = await t.request('GET', `/api/admin/servers/${uuid}/mounts`, { cookie: k.admin.cookie })
    expect(attached.body.mounts.data.map((m: { mount: { uuid: string } }) => m.mount.uuid)).toEqual([hidden])
    expect((await call('DELETE', uuid, '/not-a-uuid', { cookie: k.owner.cookie })).status).toBe(400)
  })
})

describe('client mounts are guarded', () => {
  test('401 without a session, 404 to a stranger, 403 naming the permission to a narrowed key', async () => {
    const uuid = await k.server()
    await k.expectGuarded(uuid, [
      ['GET', '/mounts', undefined, 'mounts.read'],
      ['POST', '/mounts', { mount_uuid: usable }, 'mounts.attach'],
      ['DELETE', `/mounts/${usable}`, undefined, 'mounts.detach'],
    ])
  })
})

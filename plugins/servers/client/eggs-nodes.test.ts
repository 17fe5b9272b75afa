import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { login, makeApiKey, makeUser, useTestApp } from 'hatchery/testing'
import { tables as accountTables } from '../../account'
import { serverSubusers } from '../tables'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
// Made before any test reads the node's usage (cached 15 s per node), so that usage lists it.
let reached: string
beforeAll(async () => void (reached = await k.server()))

describe('GET /api/client/servers/eggs/{egg}/command-snippets (spec 03 §6.1)', () => {
  test("your snippets naming the egg or none, oldest first; others' and other eggs' are not listed", async () => {
    const egg = crypto.randomUUID()
    const s = accountTables.userCommandSnippets
    await k
      .db()
      .insert(s)
      .values([
        { user_uuid: k.owner.uuid, name: 'for egg', eggs: [egg], command: 'say hi', created: new Date(Date.now() - 1000) },
        { user_uuid: k.owner.uuid, name: 'any egg', eggs: [], command: 'list' },
        { user_uuid: k.owner.uuid, name: 'other egg', eggs: [crypto.randomUUID()], command: 'stop' },
        { user_uuid: k.stranger.uuid, name: 'theirs', eggs: [egg], command: 'op me' },
      ])
    const res = await t.request('GET', `/api/client/servers/eggs/${egg}/command-snippets`, { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.command_snippets.map((x: { name: string }) => x.name)).toEqual(['for egg', 'any egg'])
    expect((await t.request('GET', `/api/client/servers/eggs/${egg}/command-snippets`, {})).status).toBe(401)
    expect((await t.request('GET', `/api/client/servers/eggs/nope/command-snippets`, { cookie: k.owner.cookie })).status).toBe(400)
    const key = await makeApiKey(t, k.owner.cookie, { user_permissions: ['servers.create'] })
    expect((await t.request('GET', `/api/client/servers/eggs/${egg}/command-snippets`, { token: key.key })).status).toBe(403)
  })
})

describe('GET /api/client/servers/nodes/{node}/resources (spec 03 §6.2)', () => {
  test('the usage of your servers on the node; a stranger gets {} without asking the node; an admin sees all', async () => {
    const uuid = await k.server()
    const mine = await t.request('GET', `/api/client/servers/nodes/${k.at.node.uuid}/resources`, { cookie: k.owner.cookie })
    expect(mine.status).toBe(200)
    expect(Object.keys(mine.body.resources)).toContain(uuid)
    const before = k.at.wings.requests.length
    const none = await t.request('GET', `/api/client/servers/nodes/${k.at.node.uuid}/resources`, { cookie: k.stranger.cookie })
    expect([none.status, none.body]).toEqual([200, { resources: {} }])
    expect(k.at.wings.requests.length).toBe(before)
    const all = await t.request('GET', `/api/client/servers/nodes/${k.at.node.uuid}/resources`, { cookie: k.admin.cookie })
    expect(Object.keys(all.body.resources)).toContain(uuid)
    expect((await t.request('GET', `/api/client/servers/nodes/${crypto.randomUUID()}/resources`, { cookie: k.admin.cookie })).status).toBe(
      404,
    )
    expect((await t.request('GET', `/api/client/servers/nodes/x/resources`, { cookie: k.owner.cookie })).status).toBe(400)
    expect((await t.request('GET', `/api/client/servers/nodes/${k.at.node.uuid}/resources`, {})).status).toBe(401)
  })
})

describe('GET /api/client/servers/eggs (spec 03 §6.1)', () => {
  test("the eggs of your servers, once each; a stranger's list is empty; an admin's holds every server's", async () => {
    await k.server()
    await k.server()
    const res = await t.request('GET', '/api/client/servers/eggs', { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.nest_eggs.data.map((e: { uuid: string }) => e.uuid)).toEqual([k.egg.uuid])
    expect(res.body.nest_eggs.data[0]).toMatchObject({
      name: 'Paper',
      startup_commands: { Default: 'java -jar server.jar' },
      docker_images: { 'Java 21': 'ghcr.io/pterodactyl/yolks:java_21' },
      separate_port: false,
      features: [],
    })
    expect((await t.request('GET', '/api/client/servers/eggs', { cookie: k.stranger.cookie })).body.nest_eggs.data).toEqual([])
    const admin = await t.request('GET', '/api/client/servers/eggs?search=Pap', { cookie: k.admin.cookie })
    expect(admin.body.nest_eggs.data.map((e: { uuid: string }) => e.uuid)).toContain(k.egg.uuid)
    expect((await t.request('GET', '/api/client/servers/eggs', {})).status).toBe(401)
    expect((await t.request('GET', '/api/client/servers/eggs?page=x', { cookie: k.owner.cookie })).status).toBe(400)
  })
})

describe('GET /api/client/servers/nodes/{node}/resources: the servers a user reaches, cached 15 s', () => {
  test('served from the cache while unchanged; a subuser added or removed through the routes shows at once', async () => {
    const uuid = reached
    const friend = await makeUser(t)
    const cookie = await login(t, friend)
    const resources = async () =>
      Object.keys((await t.request('GET', `/api/client/servers/nodes/${k.at.node.uuid}/resources`, { cookie })).body.resources)
    expect(await resources()).toEqual([])
    // A grant written behind the panel's back is not seen until the entry expires.
    await k.db().insert(serverSubusers).values({ server_uuid: uuid, user_uuid: friend.uuid, permissions: [], ignored_files: [] })
    expect(await resources()).toEqual([])
    await k.db().delete(serverSubusers).where(eq(serverSubusers.user_uuid, friend.uuid))
    const subusers = `/api/client/servers/${uuid}/subusers`
    const added = await t.request('POST', subusers, {
      cookie: k.owner.cookie,
      body: { email: friend.email, permissions: [], ignored_files: [] },
    })
    expect(added.status).toBe(200)
    expect(await resources()).toEqual([uuid])
    expect((await t.request('DELETE', `${subusers}/${friend.uuid}`, { cookie: k.owner.cookie })).status).toBe(200)
    expect(await resources()).toEqual([])
  })
})

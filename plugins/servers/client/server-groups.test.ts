import { describe, expect, test } from 'bun:test'
import { useTestApp } from 'hatchery/testing'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)

describe('GET /api/client/servers/groups/{server_group} (spec 01 §4.16) with real servers', () => {
  test("the group's servers the caller can reach, in the group's order; others' servers and unknown uuids left out", async () => {
    const [a, b] = [await k.server({ name: 'alpha server' }), await k.server({ name: 'beta server' })]
    const foreign = await k.server({ owner_uuid: k.stranger.uuid })
    const made = await t.request('POST', '/api/client/servers/groups', {
      cookie: k.owner.cookie,
      body: { name: 'favourites', server_order: [b, foreign, crypto.randomUUID(), a] },
    })
    expect(made.status).toBe(200)
    const group = made.body.server_group.uuid
    const res = await t.request('GET', `/api/client/servers/groups/${group}`, { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.servers.total).toBe(2)
    expect(res.body.servers.data.map((s: any) => s.uuid)).toEqual([b, a])
    expect(res.body.servers.data[0]).toMatchObject({ is_owner: true, permissions: ['*'] })
    const searched = await t.request('GET', `/api/client/servers/groups/${group}?search=alpha`, { cookie: k.owner.cookie })
    expect(searched.body.servers.data.map((s: any) => s.uuid)).toEqual([a])
    const paged = await t.request('GET', `/api/client/servers/groups/${group}?per_page=1&page=2`, { cookie: k.owner.cookie })
    expect([paged.body.servers.total, paged.body.servers.data.map((s: any) => s.uuid)]).toEqual([2, [a]])
    const empty = await t.request('POST', '/api/client/servers/groups', {
      cookie: k.owner.cookie,
      body: { name: 'empty', server_order: [] },
    })
    const none = await t.request('GET', `/api/client/servers/groups/${empty.body.server_group.uuid}`, { cookie: k.owner.cookie })
    expect(none.body.servers).toMatchObject({ total: 0, data: [] })
    // Someone else's group is not found.
    expect((await t.request('GET', `/api/client/servers/groups/${group}`, { cookie: k.stranger.cookie })).status).toBe(404)
  })
})

import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { activitiesOf, useTestApp, makeApiKey } from 'hatchery/testing'
import { ISO_TIME, session, UUID } from './test-helpers'

const BASE = '/api/client/servers/groups'
const S1 = '11111111-1111-4111-8111-111111111111'
const S2 = '22222222-2222-4222-8222-222222222222'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

describe('server groups', () => {
  const t = useTestApp()
  let cookie: string
  let userUuid: string
  let other: string

  beforeAll(async () => {
    const s = await session(t)
    cookie = s.cookie
    userUuid = s.user.uuid
    other = (await session(t)).cookie
  })
  afterEach(async () => {
    await t.kernel.settings.reset(['user.max_server_group_count'])
  })

  const create = (name: string, server_order: string[] = [], c = cookie) =>
    t.request('POST', BASE, { cookie: c, body: { name, server_order } })

  describe('POST /api/client/servers/groups', () => {
    test('creates a group with order 0 and records it', async () => {
      const res = await create('Minecraft', [S1, S2])
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        server_group: {
          uuid: expect.stringMatching(UUID),
          name: 'Minecraft',
          order: 0,
          server_order: [S1, S2],
          created: expect.stringMatching(ISO_TIME),
        },
      })
      const [entry] = await activitiesOf(t, userUuid, 'user:server-group.create')
      expect(entry.data).toEqual({ uuid: res.body.server_group.uuid, name: 'Minecraft', server_order: [S1, S2] })
    })

    test('names need not be unique', async () => {
      expect((await create('same')).status).toBe(200)
      expect((await create('same')).status).toBe(200)
    })

    test('400 for a bad name or server list', async () => {
      for (const [name, order, prefix] of [
        ['x', [], 'name: '],
        ['y'.repeat(32), [], 'name: '],
        ['fine', ['not-a-uuid'], 'server_order'],
        ['fine', Array.from({ length: 101 }, () => S1), 'server_order: '],
      ] as const) {
        const res = await create(name, [...order])
        expect(res.status).toBe(400)
        expect(res.body.errors[0]).toStartWith(prefix)
      }
    })

    test('user.max_server_group_count → 417', async () => {
      const fresh = await session(t)
      await t.kernel.settings.update({ 'user.max_server_group_count': 1 })
      expect((await create('one', [], fresh.cookie)).status).toBe(200)
      const res = await create('two', [], fresh.cookie)
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: ['maximum number of user server groups reached'] })
    })

    test('401 without credentials, 403 for an API key without servers.create', async () => {
      expect((await t.request('POST', BASE, { body: { name: 'anon', server_order: [] } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['servers.read'] })
      expect((await t.request('POST', BASE, { token: key, body: { name: 'nope', server_order: [] } })).status).toBe(403)
    })
  })

  describe('GET /api/client/servers/groups and PUT /api/client/servers/groups/order', () => {
    test('lists every group by order then creation; reordering sets 1-based positions of the listed groups only', async () => {
      const owner = await session(t)
      const groups: any[] = []
      for (const name of ['group-a', 'group-b', 'group-c']) groups.push((await create(name, [], owner.cookie)).body.server_group)
      const [a, b, c] = groups
      const foreign = (await create('foreign', [], other)).body.server_group

      const first = await t.request('GET', BASE, { cookie: owner.cookie })
      expect(first.status).toBe(200)
      expect(first.body.server_groups.map((g: any) => g.name)).toEqual(['group-a', 'group-b', 'group-c'])
      expect(first.body.server_groups[0]).toEqual(a)

      const res = await t.request('PUT', `${BASE}/order`, {
        cookie: owner.cookie,
        body: { server_group_order: [c.uuid, a.uuid, UNKNOWN, foreign.uuid] },
      })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      const after = await t.request('GET', BASE, { cookie: owner.cookie })
      // b keeps order 0; c → 1, a → 2.
      expect(after.body.server_groups.map((g: any) => [g.name, g.order])).toEqual([
        ['group-b', 0],
        ['group-c', 1],
        ['group-a', 2],
      ])
      const [entry] = await activitiesOf(t, owner.user.uuid, 'user:server-group.update-order')
      expect(entry.data).toEqual({ server_group_order: [c.uuid, a.uuid, UNKNOWN, foreign.uuid] })
      // Another account's group is untouched.
      const theirs = await t.request('GET', BASE, { cookie: other })
      expect(theirs.body.server_groups.find((g: any) => g.uuid === foreign.uuid).order).toBe(0)
      expect(b.order).toBe(0)
    })

    test('PUT /order: 400 for more than 25 groups or bad uuids, 401, 403 without servers.update', async () => {
      const many = await t.request('PUT', `${BASE}/order`, { cookie, body: { server_group_order: Array.from({ length: 26 }, () => S1) } })
      expect(many.status).toBe(400)
      expect(many.body.errors[0]).toStartWith('server_group_order: ')
      expect((await t.request('PUT', `${BASE}/order`, { cookie, body: { server_group_order: ['x'] } })).status).toBe(400)
      expect((await t.request('PUT', `${BASE}/order`, { body: { server_group_order: [] } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['servers.read'] })
      expect((await t.request('PUT', `${BASE}/order`, { token: key, body: { server_group_order: [] } })).status).toBe(403)
    })

    test('GET: 401 without credentials, 403 for an API key without servers.read', async () => {
      expect((await t.request('GET', BASE)).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: [] })
      expect((await t.request('GET', BASE, { token: key })).status).toBe(403)
      const { key: reader } = await makeApiKey(t, cookie, { user_permissions: ['servers.read'] })
      expect((await t.request('GET', BASE, { token: reader })).status).toBe(200)
    })
  })

  describe('GET /api/client/servers/groups/{server_group}', () => {
    test('answers an empty page for servers that do not exist or the caller cannot reach, with the true total', async () => {
      const g = (await create('with-servers', [S1, S2])).body.server_group
      const res = await t.request('GET', `${BASE}/${g.uuid}?per_page=5&page=2&search=x`, { cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ servers: { total: 0, per_page: 5, page: 2, data: [] } })
    })

    test('404 for another account’s group, 400 for a bad uuid or pagination, 401, 403', async () => {
      const g = (await create('private', [])).body.server_group
      const foreign = await t.request('GET', `${BASE}/${g.uuid}`, { cookie: other })
      expect(foreign.status).toBe(404)
      expect(foreign.body).toEqual({ errors: ['server group not found'] })
      expect((await t.request('GET', `${BASE}/not-a-uuid`, { cookie })).status).toBe(400)
      expect((await t.request('GET', `${BASE}/${g.uuid}?per_page=0`, { cookie })).status).toBe(400)
      expect((await t.request('GET', `${BASE}/${g.uuid}`)).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['servers.update'] })
      expect((await t.request('GET', `${BASE}/${g.uuid}`, { token: key })).status).toBe(403)
    })
  })

  describe('PATCH /api/client/servers/groups/{server_group}', () => {
    test('changes the given fields and records it', async () => {
      const g = (await create('rename-me', [S1])).body.server_group
      const res = await t.request('PATCH', `${BASE}/${g.uuid}`, { cookie, body: { name: 'renamed' } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      const res2 = await t.request('PATCH', `${BASE}/${g.uuid}`, { cookie, body: { server_order: [S2, S1] } })
      expect(res2.status).toBe(200)
      const list = await t.request('GET', BASE, { cookie })
      expect(list.body.server_groups.find((x: any) => x.uuid === g.uuid)).toEqual({ ...g, name: 'renamed', server_order: [S2, S1] })
      const entries = await activitiesOf(t, userUuid, 'user:server-group.update')
      expect(entries.at(-1)!.data).toEqual({ uuid: g.uuid, name: 'renamed', server_order: [S2, S1] })
    })

    test('404 for another account’s group, 400 for bad input, 401, 403', async () => {
      const g = (await create('patch-guard', [])).body.server_group
      expect((await t.request('PATCH', `${BASE}/${g.uuid}`, { cookie: other, body: { name: 'mine' } })).status).toBe(404)
      expect((await t.request('PATCH', `${BASE}/${UNKNOWN}`, { cookie, body: { name: 'mine' } })).status).toBe(404)
      expect((await t.request('PATCH', `${BASE}/${g.uuid}`, { cookie, body: { name: 'x' } })).status).toBe(400)
      expect((await t.request('PATCH', `${BASE}/${g.uuid}`, { cookie, body: { server_order: [1] } })).status).toBe(400)
      expect((await t.request('PATCH', `${BASE}/${g.uuid}`, { body: { name: 'mine' } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['servers.read', 'servers.create'] })
      expect((await t.request('PATCH', `${BASE}/${g.uuid}`, { token: key, body: { name: 'mine' } })).status).toBe(403)
    })
  })

  describe('DELETE /api/client/servers/groups/{server_group}', () => {
    test('deletes and records it; 404 afterwards', async () => {
      const g = (await create('delete-me', [])).body.server_group
      const res = await t.request('DELETE', `${BASE}/${g.uuid}`, { cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      expect((await activitiesOf(t, userUuid, 'user:server-group.delete')).at(-1)!.data).toEqual({ uuid: g.uuid, name: 'delete-me' })
      expect((await t.request('DELETE', `${BASE}/${g.uuid}`, { cookie })).status).toBe(404)
    })

    test('404 for another account’s group, 400 for a bad uuid, 401, 403', async () => {
      const g = (await create('delete-guard', [])).body.server_group
      expect((await t.request('DELETE', `${BASE}/${g.uuid}`, { cookie: other })).status).toBe(404)
      expect((await t.request('DELETE', `${BASE}/order`, { cookie })).status).toBe(400)
      expect((await t.request('DELETE', `${BASE}/${g.uuid}`)).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['servers.update'] })
      expect((await t.request('DELETE', `${BASE}/${g.uuid}`, { token: key })).status).toBe(403)
      expect((await t.request('GET', BASE, { cookie })).body.server_groups.some((x: any) => x.uuid === g.uuid)).toBe(true)
    })
  })
})

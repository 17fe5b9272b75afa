import { beforeAll, describe, expect, test } from 'bun:test'
import { makeEgg } from '../test-fixtures'
import { SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as announcementTables } from '../../announcements'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
const a = announcementTables.announcements

beforeAll(async () => {
  const base = { type: 'info' as const, enabled: true, content: 'c' }
  const other = crypto.randomUUID()
  const hour = 3_600_000
  const now = Date.now()
  await k
    .db()
    .insert(a)
    .values([
      { ...base, title: 'by node', nodes: [k.at.node.uuid], created: new Date(now - 2_000) },
      { ...base, title: 'by egg', eggs: [k.egg.uuid], created: new Date(now - 1_000) },
      { ...base, title: 'global' },
      { ...base, title: 'other node', nodes: [other] },
      { ...base, title: 'disabled', enabled: false, nodes: [k.at.node.uuid] },
      { ...base, title: 'ended', enabled_end: new Date(Date.now() - hour), nodes: [k.at.node.uuid] },
      { ...base, title: 'later', enabled_start: new Date(Date.now() + hour), eggs: [k.egg.uuid] },
    ])
}, SETUP_TIMEOUT)

describe('GET /api/client/servers/{server}/announcements (spec 03 §1.9)', () => {
  test("the enabled, current announcements targeting the server's node or egg, oldest first; no permission needed", async () => {
    const uuid = await k.server()
    const res = await t.request('GET', `/api/client/servers/${uuid}/announcements`, { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(res.body.announcements.map((x: { title: string }) => x.title)).toEqual(['by node', 'by egg'])
    expect(Object.keys(res.body.announcements[0]).sort()).toEqual(
      ['content', 'content_translations', 'dismissible', 'dismissible_end', 'title', 'title_translations', 'type', 'uuid'].sort(),
    )
    expect((await t.request('GET', `/api/client/servers/${uuid}/announcements`, {})).status).toBe(401)
    expect((await t.request('GET', `/api/client/servers/${uuid}/announcements`, { cookie: k.stranger.cookie })).status).toBe(404)
    expect((await t.request('GET', `/api/client/servers/not-a-server/announcements`, { cookie: k.owner.cookie })).status).toBe(404)
  })
})

describe('the announcements cache (60 s per server, spec 03 §1.9)', () => {
  const titles = async (uuid: string) =>
    (await t.request('GET', `/api/client/servers/${uuid}/announcements`, { cookie: k.owner.cookie })).body.announcements.map(
      (x: { title: string }) => x.title,
    )

  test('a second read is served from the cache; an announcement changed through the admin API clears it at once', async () => {
    const uuid = await k.server()
    expect(await titles(uuid)).toEqual(['by node', 'by egg'])
    // Written behind the panel's back: nothing tells the cache.
    await k
      .db()
      .insert(a)
      .values({ type: 'info', enabled: true, content: 'c', title: 'unseen', nodes: [k.at.node.uuid] })
    expect(await titles(uuid)).toEqual(['by node', 'by egg'])
    const made = await t.request('POST', '/api/admin/announcements', {
      cookie: k.admin.cookie,
      body: {
        type: 'success',
        enabled: true,
        enabled_start: null,
        enabled_end: null,
        dismissible: false,
        dismissible_end: null,
        title: 'through the api',
        title_translations: {},
        content: 'c',
        content_translations: {},
        locations: [],
        nodes: [k.at.node.uuid],
        backup_configurations: [],
        eggs: [],
      },
    })
    expect(made.status).toBe(200)
    expect(await titles(uuid)).toEqual(['by node', 'by egg', 'unseen', 'through the api'])
    const removed = await t.request('DELETE', `/api/admin/announcements/${made.body.announcement.uuid}`, { cookie: k.admin.cookie })
    expect(removed.status).toBe(200)
    expect(await titles(uuid)).toEqual(['by node', 'by egg', 'unseen'])
  })

  test('the window is judged per read, not when cached: one that ends drops out while cached', async () => {
    const uuid = await k.server({}, (await makeEgg(t)).uuid)
    await k
      .db()
      .insert(a)
      .values({
        type: 'info',
        enabled: true,
        content: 'c',
        title: 'brief',
        nodes: [k.at.node.uuid],
        enabled_end: new Date(Date.now() + 1_500),
      })
    expect(await titles(uuid)).toContain('brief')
    await Bun.sleep(1_600)
    expect(await titles(uuid)).not.toContain('brief')
  })
})

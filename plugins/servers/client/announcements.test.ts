import { beforeAll, describe, expect, test } from 'bun:test'
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

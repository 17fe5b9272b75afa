import { beforeAll, describe, expect, test } from 'bun:test'
import { adminCaller, expectModel, plainCaller, prepareAdminTests, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { PublicAnnouncement } from './model'
import { isActive } from './service/announcements'
import { GlobalBoard } from './service/board'
import { announcements } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller

beforeAll(async () => {
  await prepareAdminTests(t)
  admin = await adminCaller(t)
  plain = await plainCaller(t)
}, SETUP_TIMEOUT)

const HOUR = 3600_000
const at = (ms: number) => new Date(Date.now() + ms).toISOString()
async function make(title: string, o: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/announcements', {
    cookie: admin.cookie,
    body: {
      type: 'info',
      enabled: true,
      enabled_start: null,
      enabled_end: null,
      dismissible: false,
      dismissible_end: null,
      title,
      title_translations: {},
      content: `${title} content`,
      content_translations: { fr: 'Bonjour' },
      locations: [],
      nodes: [],
      backup_configurations: [],
      eggs: [],
      ...o,
    },
  })
  expect(res.status).toBe(200)
  return res.body.announcement as { uuid: string }
}
const titles = async (opts: { cookie?: string } = {}) => {
  const res = await t.request('GET', '/api/announcements', opts)
  expect(res.status).toBe(200)
  for (const a of res.body.announcements) expectModel(PublicAnnouncement, a)
  return res.body.announcements.map((a: { title: string }) => a.title)
}

describe('GET /api/announcements', () => {
  test('enabled global announcements inside their window, oldest first; the same for everyone', async () => {
    await make('always')
    await make('open window', { enabled_start: at(-HOUR), enabled_end: at(HOUR) })
    await make('not yet', { enabled_start: at(HOUR) })
    await make('over', { enabled_end: at(-HOUR) })
    await make('disabled', { enabled: false })
    await make('for a location', { locations: [crypto.randomUUID()] })
    await make('for a node', { nodes: [crypto.randomUUID()] })
    await make('for a backup configuration', { backup_configurations: [crypto.randomUUID()] })
    await make('for an egg', { eggs: [crypto.randomUUID()] })
    await make('started', { enabled_start: at(-HOUR) })
    expect(await titles()).toEqual(['always', 'open window', 'started'])
    expect(await titles({ cookie: plain.cookie })).toEqual(['always', 'open window', 'started'])
    expect(await titles({ cookie: admin.cookie })).toEqual(['always', 'open window', 'started'])
  })

  test('the public object: no admin fields', async () => {
    const res = await t.request('GET', '/api/announcements')
    const one = res.body.announcements.find((a: { title: string }) => a.title === 'always')
    expect(Object.keys(one)).toEqual([
      'uuid',
      'type',
      'dismissible',
      'dismissible_end',
      'title',
      'title_translations',
      'content',
      'content_translations',
    ])
    expect(one.content_translations).toEqual({ fr: 'Bonjour' })
  })

  test('admin changes show at once (the cache is cleared after the commit)', async () => {
    const a = await make('fresh')
    expect(await titles()).toContain('fresh')
    await t.request('PATCH', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie, body: { enabled: false } })
    expect(await titles()).not.toContain('fresh')
    await t.request('PATCH', `/api/admin/announcements/${a.uuid}`, {
      cookie: admin.cookie,
      body: { enabled: true, nodes: [crypto.randomUUID()] },
    })
    expect(await titles()).not.toContain('fresh')
    await t.request('PATCH', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie, body: { nodes: [] } })
    const copy = (await t.request('POST', `/api/admin/announcements/${a.uuid}/duplicate`, { cookie: admin.cookie })).body.announcement
    expect((await titles()).filter((x: string) => x === 'fresh').length).toBe(2)
    await t.request('DELETE', `/api/admin/announcements/${copy.uuid}`, { cookie: admin.cookie })
    await t.request('DELETE', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie })
    expect(await titles()).not.toContain('fresh')
  })
})

test('GET /api/announcements in MessagePack and XML (translation keys that are no XML names included)', async () => {
  await make('encoded', { title_translations: { 'zh-Hans': '公告', '1x': 'one' } })
  const packed = await t.request('GET', '/api/announcements', { as: 'msgpack' })
  expect(packed.status).toBe(200)
  expect(packed.body.announcements.find((a: { title: string }) => a.title === 'encoded').title_translations).toEqual({
    'zh-Hans': '公告',
    '1x': 'one',
  })
  const xml = await t.request('GET', '/api/announcements', { as: 'xml' })
  expect(xml.status).toBe(200)
  expect(xml.text).toContain('公告')
  expect(xml.text).toContain('key="1x"')
})

test('the window includes its bounds', () => {
  const now = new Date('2030-01-01T00:00:00Z')
  expect(isActive({ enabled_start: now, enabled_end: now }, now)).toBe(true)
  expect(isActive({ enabled_start: new Date(+now + 1), enabled_end: null }, now)).toBe(false)
  expect(isActive({ enabled_start: null, enabled_end: new Date(+now - 1) }, now)).toBe(false)
  expect(isActive({ enabled_start: null, enabled_end: null }, now)).toBe(true)
})

test("another process's change (no event here) shows once the cache's time is up", async () => {
  const board = new GlobalBoard(t.kernel.database.db, 50)
  const before = (await board.active()).length
  await t.kernel.database.db.insert(announcements).values({ type: 'info', enabled: true, title: 'elsewhere', content: 'x' })
  expect((await board.active()).length).toBe(before)
  await Bun.sleep(60)
  expect((await board.active()).map((a) => a.title)).toContain('elsewhere')
  board.forget()
  expect((await board.active()).map((a) => a.title)).toContain('elsewhere')
})

import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  narrowedAdminKey,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { AdminAnnouncement } from './model'
import { announcements } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let outsiderKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['announcements.read']))
  outsiderKey = await narrowedAdminKey(t, admin, ['stats.read'])
}, SETUP_TIMEOUT)

const uniq = (p = 'News') => `${p} ${Math.random().toString(36).slice(2, 9)}`
const body = (o: Record<string, unknown> = {}) => ({
  type: 'warning',
  enabled: true,
  enabled_start: null,
  enabled_end: null,
  dismissible: true,
  dismissible_end: null,
  title: uniq(),
  title_translations: { de: 'Wartung' },
  content: 'Maintenance tonight',
  content_translations: {},
  locations: [],
  nodes: [],
  backup_configurations: [],
  eggs: [],
  ...o,
})
async function make(o: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/announcements', { cookie: admin.cookie, body: body(o) })
  expect(res.status).toBe(200)
  return res.body.announcement as { uuid: string; title: string } & Record<string, unknown>
}
const stored = async (uuid: string) => (await t.kernel.database.db.select().from(announcements).where(eq(announcements.uuid, uuid)))[0]
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

test('every announcements admin route is guarded', async () => {
  await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'announcements', bodies: { 'POST /api/admin/announcements': body() } })
})

describe('POST /api/admin/announcements', () => {
  test('creates an announcement and records announcement:create in the admin log', async () => {
    const start = '2030-01-02T03:04:05Z'
    const location = crypto.randomUUID()
    const res = await t.request('POST', '/api/admin/announcements', {
      cookie: admin.cookie,
      body: body({ enabled_start: start, locations: [location] }),
    })
    expect(res.status).toBe(200)
    const a = res.body.announcement
    expectModel(AdminAnnouncement, a)
    expect(a).toMatchObject({
      type: 'warning',
      enabled: true,
      enabled_start: start,
      enabled_end: null,
      dismissible: true,
      locations: [location],
      eggs: [],
    })
    expect(a.title_translations).toEqual({ de: 'Wartung' })
    const [event] = await adminEvents(t, admin, 'announcement:create')
    expect(event.data).toEqual({
      uuid: a.uuid,
      type: 'warning',
      enabled: true,
      enabled_start: start,
      enabled_end: null,
      title: a.title,
      title_translations: { de: 'Wartung' },
      content: 'Maintenance tonight',
      content_translations: {},
      locations: [location],
      nodes: [],
      backup_configurations: [],
      eggs: [],
    })
  })

  test('401 / 403 without announcements.create (role and narrowed key)', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/announcements', body: body() },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'announcements.create',
    )
  })

  test('the reference limits → 400 naming the field; nothing written', async () => {
    const before = await t.kernel.database.db.$count(announcements)
    const cases: [Record<string, unknown>, string][] = [
      [{ title: '' }, 'title'],
      [{ title: 'x'.repeat(256) }, 'title'],
      [{ content: '' }, 'content'],
      [{ content: 'x'.repeat(2049) }, 'content'],
      [{ type: 'notice' }, 'type'],
      [{ enabled_start: 'tomorrow' }, 'enabled_start'],
      [{ locations: Array.from({ length: 101 }, () => crypto.randomUUID()) }, 'locations'],
      [{ eggs: ['not-a-uuid'] }, 'eggs'],
      [{ title_translations: { de: 'x'.repeat(256) } }, 'title_translations'],
      [{ content_translations: { de: '' } }, 'content_translations'],
      [{ title_translations: { d: 'Hallo' } }, "language code 'd'"],
      [{ content_translations: { ['x'.repeat(16)]: 'Hallo' } }, 'content_translations'],
      [{ enabled: undefined }, 'enabled'],
    ]
    for (const [change, field] of cases) {
      const res = await t.request('POST', '/api/admin/announcements', { cookie: admin.cookie, body: body(change) })
      expect(res.status, JSON.stringify(change).slice(0, 80)).toBe(400)
      expect(res.body.errors.join(' ')).toContain(field)
    }
    expect(await t.kernel.database.db.$count(announcements)).toBe(before)
  })

  test('the limits themselves are accepted (255-character title, 2048-character content, 100 targets)', async () => {
    const a = await make({
      title: 't'.repeat(255),
      content: 'c'.repeat(2048),
      nodes: Array.from({ length: 100 }, () => crypto.randomUUID()),
    })
    expect((a.nodes as string[]).length).toBe(100)
  })
})

describe('GET /api/admin/announcements', () => {
  test('pages oldest first with an exact total, searches titles', async () => {
    const tag = uniq('Zebra')
    const a = await make({ title: `${tag} one` })
    const b = await make({ title: `${tag} two` })
    const res = await t.request('GET', `/api/admin/announcements?search=${encodeURIComponent(tag.toLowerCase())}&per_page=1`, {
      cookie: reader.cookie,
    })
    expect(res.status).toBe(200)
    expect(res.body.announcements).toMatchObject({ total: 2, per_page: 1, page: 1 })
    expect(res.body.announcements.data.map((x: any) => x.uuid)).toEqual([a.uuid])
    expectModel(AdminAnnouncement, res.body.announcements.data[0])
    const past = await t.request('GET', `/api/admin/announcements?search=${encodeURIComponent(tag)}&per_page=1&page=5`, {
      token: readerKey,
    })
    expect(past.body.announcements).toMatchObject({ total: 2, data: [] })
    const second = await t.request('GET', `/api/admin/announcements?search=${encodeURIComponent(tag)}&per_page=1&page=2`, {
      cookie: admin.cookie,
    })
    expect(second.body.announcements.data[0].uuid).toBe(b.uuid)
  })

  test('401 / 403 without announcements.read; bad page → 400', async () => {
    await expectGuarded(t, { method: 'GET', path: '/api/admin/announcements' }, plain, [{ token: outsiderKey }], 'announcements.read')
    expect((await t.request('GET', '/api/admin/announcements?page=0', { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('GET /api/admin/announcements/{announcement}', () => {
  test('answers one announcement', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/announcements/${a.uuid}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expectModel(AdminAnnouncement, res.body.announcement)
    expect(res.body.announcement).toEqual(a)
  })

  test('400 invalid uuid, 404 unknown, 401 / 403', async () => {
    const bad = await t.request('GET', '/api/admin/announcements/nope', { cookie: admin.cookie })
    expect(bad.status).toBe(400)
    expect(bad.body.errors).toEqual(['invalid announcement uuid'])
    const missing = await t.request('GET', `/api/admin/announcements/${UNKNOWN}`, { cookie: admin.cookie })
    expect(missing.status).toBe(404)
    expect(missing.body.errors).toEqual(['announcement not found'])
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/announcements/${UNKNOWN}` },
      plain,
      [{ token: outsiderKey }],
      'announcements.read',
    )
  })
})

describe('PATCH /api/admin/announcements/{announcement}', () => {
  test('changes the given fields, null clears a time; announcement:update logged', async () => {
    const a = await make({ enabled_end: '2031-01-01T00:00:00Z', dismissible_end: '2031-01-01T00:00:00Z' })
    const res = await t.request('PATCH', `/api/admin/announcements/${a.uuid}`, {
      cookie: admin.cookie,
      body: { type: 'error', enabled_end: null, title: 'Renamed', eggs: [UNKNOWN, UNKNOWN] },
    })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    const row = await stored(a.uuid)
    expect(row).toMatchObject({
      type: 'error',
      enabled_end: null,
      title: 'Renamed',
      eggs: [UNKNOWN],
      content: 'Maintenance tonight',
      dismissible: true,
    })
    expect(row.dismissible_end?.toISOString()).toBe('2031-01-01T00:00:00.000Z')
    const [event] = await adminEvents(t, admin, 'announcement:update')
    expect(event.data).toMatchObject({ uuid: a.uuid, type: 'error', enabled_end: null, title: 'Renamed', eggs: [UNKNOWN] })
  })

  test('400 bad input, 400 invalid uuid, 404 unknown, 401 / 403 for a reader', async () => {
    const a = await make()
    for (const change of [
      { title: '' },
      { content: 'x'.repeat(2049) },
      { nodes: Array.from({ length: 101 }, () => UNKNOWN) },
      { title_translations: { ['x'.repeat(16)]: 'y' } },
    ]) {
      expect((await t.request('PATCH', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie, body: change })).status).toBe(400)
    }
    expect((await stored(a.uuid)).title).toBe(a.title)
    expect((await t.request('PATCH', '/api/admin/announcements/nope', { cookie: admin.cookie, body: {} })).body.errors).toEqual([
      'invalid announcement uuid',
    ])
    expect((await t.request('PATCH', `/api/admin/announcements/${UNKNOWN}`, { cookie: admin.cookie, body: { title: 'x' } })).status).toBe(
      404,
    )
    await expectGuarded(
      t,
      { method: 'PATCH', path: `/api/admin/announcements/${a.uuid}`, body: {} },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'announcements.update',
    )
  })
})

describe('DELETE /api/admin/announcements/{announcement}', () => {
  test('deletes it; announcement:delete logged with uuid and title', async () => {
    const a = await make()
    const res = await t.request('DELETE', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'announcement:delete')
    expect(event.data).toEqual({ uuid: a.uuid, title: a.title })
    expect((await t.request('DELETE', `/api/admin/announcements/${a.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('400 invalid uuid, 401 / 403 for a reader', async () => {
    expect((await t.request('DELETE', '/api/admin/announcements/123', { cookie: admin.cookie })).status).toBe(400)
    const a = await make()
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/announcements/${a.uuid}` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'announcements.delete',
    )
    expect(await stored(a.uuid)).toBeDefined()
  })
})

describe('POST /api/admin/announcements/{announcement}/duplicate', () => {
  test('copies every field under a new uuid; announcement:duplicate logged', async () => {
    const a = await make({ nodes: [UNKNOWN], enabled_start: '2029-05-05T05:05:05Z' })
    const res = await t.request('POST', `/api/admin/announcements/${a.uuid}/duplicate`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    const copy = res.body.announcement
    expectModel(AdminAnnouncement, copy)
    expect(copy.uuid).not.toBe(a.uuid)
    const { uuid: _1, created: _2, ...fields } = a
    const { uuid: _3, created: _4, ...copied } = copy
    expect(copied).toEqual(fields)
    const [event] = await adminEvents(t, admin, 'announcement:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, uuid: copy.uuid, title: a.title })
  })

  test('400 invalid uuid, 404 unknown, 401 / 403 for a reader', async () => {
    expect((await t.request('POST', '/api/admin/announcements/x/duplicate', { cookie: admin.cookie })).status).toBe(400)
    expect((await t.request('POST', `/api/admin/announcements/${UNKNOWN}/duplicate`, { cookie: admin.cookie })).status).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/announcements/${UNKNOWN}/duplicate` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'announcements.create',
    )
  })
})

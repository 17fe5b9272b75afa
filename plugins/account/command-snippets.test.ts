import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { activitiesOf, useTestApp, makeApiKey } from 'hatchery/testing'
import { ISO_TIME, session, UUID } from './test-helpers'

const BASE = '/api/client/account/command-snippets'
const EGG = '11111111-1111-4111-8111-111111111111'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

describe('command snippets', () => {
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
    await t.kernel.settings.reset(['user.max_command_snippet_count'])
  })

  const create = (body: Record<string, unknown>, c = cookie) =>
    t.request('POST', BASE, { cookie: c, body: { eggs: [EGG], command: 'say hello', ...body } })

  describe('POST /api/client/account/command-snippets', () => {
    test('creates a snippet and records it', async () => {
      const res = await create({ name: 'greet', command: 'say hello world' })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        command_snippet: {
          uuid: expect.stringMatching(UUID),
          name: 'greet',
          eggs: [EGG],
          command: 'say hello world',
          created: expect.stringMatching(ISO_TIME),
        },
      })
      const [entry] = await activitiesOf(t, userUuid, 'user:command-snippet.create')
      expect(entry.data).toEqual({ uuid: res.body.command_snippet.uuid, name: 'greet', eggs: [EGG], command: 'say hello world' })
    })

    test('409 for a name the account already uses; another account may use it', async () => {
      expect((await create({ name: 'twice' })).status).toBe(200)
      const res = await create({ name: 'twice' })
      expect(res.status).toBe(409)
      expect(res.body).toEqual({ errors: ['command snippet with name already exists'] })
      expect((await create({ name: 'twice' }, other)).status).toBe(200)
    })

    test('400 for missing or out-of-range fields', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ name: '' }, 'name: '],
        [{ name: 'x'.repeat(32) }, 'name: '],
        [{ name: 'ok', command: '' }, 'command: '],
        [{ name: 'ok', command: 'x'.repeat(1025) }, 'command: '],
        [{ name: 'ok', eggs: ['not-a-uuid'] }, 'eggs'],
        [{ name: 'ok', eggs: Array.from({ length: 101 }, () => EGG) }, 'eggs: '],
      ]
      for (const [body, prefix] of cases) {
        const res = await create(body)
        expect(res.status).toBe(400)
        expect(res.body.errors[0]).toStartWith(prefix)
      }
      const missing = await t.request('POST', BASE, { cookie, body: { name: 'no-command', eggs: [] } })
      expect(missing.status).toBe(400)
      expect(missing.body.errors).toHaveLength(1)
      expect(missing.body.errors[0]).toStartWith('command: ')
    })

    test('user.max_command_snippet_count → 417', async () => {
      const fresh = await session(t)
      await t.kernel.settings.update({ 'user.max_command_snippet_count': 1 })
      expect((await create({ name: 'first' }, fresh.cookie)).status).toBe(200)
      const res = await create({ name: 'second' }, fresh.cookie)
      expect(res.status).toBe(417)
      expect(res.body).toEqual({ errors: ['maximum number of command snippets reached'] })
    })

    test('401 without credentials, 403 for an API key without command-snippets.create', async () => {
      expect((await t.request('POST', BASE, { body: { name: 'anon', eggs: [], command: 'x' } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['command-snippets.read'] })
      expect((await t.request('POST', BASE, { token: key, body: { name: 'nope', eggs: [], command: 'x' } })).status).toBe(403)
    })
  })

  describe('GET /api/client/account/command-snippets', () => {
    let lister: string
    beforeAll(async () => {
      lister = (await session(t)).cookie
      for (const name of ['restart', 'backup now', 'reload']) expect((await create({ name }, lister)).status).toBe(200)
    })

    test('lists oldest first, paginated and searchable by name', async () => {
      const res = await t.request('GET', BASE, { cookie: lister })
      expect(res.status).toBe(200)
      expect(res.body.command_snippets).toMatchObject({ total: 3, per_page: 10, page: 1 })
      expect(res.body.command_snippets.data.map((s: any) => s.name)).toEqual(['restart', 'backup now', 'reload'])
      const search = await t.request('GET', `${BASE}?search=RE`, { cookie: lister })
      expect(search.body.command_snippets.data.map((s: any) => s.name)).toEqual(['restart', 'reload'])
      const page = await t.request('GET', `${BASE}?per_page=1&page=3`, { cookie: lister })
      expect(page.body.command_snippets).toMatchObject({ total: 3, per_page: 1, page: 3 })
      expect(page.body.command_snippets.data.map((s: any) => s.name)).toEqual(['reload'])
    })

    test('validates pagination (unlike the reference): 400 for per_page 101 or page 0', async () => {
      for (const q of ['per_page=101', 'page=0', 'page=-1']) {
        const res = await t.request('GET', `${BASE}?${q}`, { cookie: lister })
        expect(res.status).toBe(400)
      }
    })

    test('401 without credentials, 403 for an API key without command-snippets.read', async () => {
      expect((await t.request('GET', BASE)).status).toBe(401)
      const { key } = await makeApiKey(t, lister, { user_permissions: [] })
      expect((await t.request('GET', BASE, { token: key })).status).toBe(403)
      const { key: reader } = await makeApiKey(t, lister, { user_permissions: ['command-snippets.read'] })
      expect((await t.request('GET', BASE, { token: reader })).body.command_snippets.total).toBe(3)
    })
  })

  describe('PATCH /api/client/account/command-snippets/{command_snippet}', () => {
    test('changes the given fields only and records it', async () => {
      const { body } = await create({ name: 'patch-me', command: 'old command' })
      const uuid = body.command_snippet.uuid
      const res = await t.request('PATCH', `${BASE}/${uuid}`, { cookie, body: { command: 'new command', eggs: [] } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      const list = await t.request('GET', `${BASE}?search=patch-me`, { cookie })
      expect(list.body.command_snippets.data).toEqual([{ ...body.command_snippet, eggs: [], command: 'new command' }])
      const entries = await activitiesOf(t, userUuid, 'user:command-snippet.update')
      expect(entries.at(-1)!.data).toEqual({ uuid, name: 'patch-me', eggs: [], command: 'new command' })
    })

    test('409 for a name in use, 404 for another account’s or an unknown snippet, 400 for bad input', async () => {
      const a = await create({ name: 'patch-a' })
      await create({ name: 'patch-b' })
      const uuid = a.body.command_snippet.uuid
      const taken = await t.request('PATCH', `${BASE}/${uuid}`, { cookie, body: { name: 'patch-b' } })
      expect(taken.status).toBe(409)
      expect(taken.body).toEqual({ errors: ['command snippet with name already exists'] })
      const foreign = await t.request('PATCH', `${BASE}/${uuid}`, { cookie: other, body: { name: 'mine now' } })
      expect(foreign.status).toBe(404)
      expect(foreign.body).toEqual({ errors: ['command snippet not found'] })
      expect((await t.request('PATCH', `${BASE}/${UNKNOWN}`, { cookie, body: { name: 'x' } })).status).toBe(404)
      expect((await t.request('PATCH', `${BASE}/nope`, { cookie, body: { name: 'x' } })).status).toBe(400)
      expect((await t.request('PATCH', `${BASE}/${uuid}`, { cookie, body: { command: '' } })).status).toBe(400)
    })

    test('401 without credentials, 403 without command-snippets.update', async () => {
      const a = await create({ name: 'patch-auth' })
      const path = `${BASE}/${a.body.command_snippet.uuid}`
      expect((await t.request('PATCH', path, { body: { name: 'x' } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['command-snippets.read', 'command-snippets.create'] })
      expect((await t.request('PATCH', path, { token: key, body: { name: 'x' } })).status).toBe(403)
    })
  })

  describe('DELETE /api/client/account/command-snippets/{command_snippet}', () => {
    test('deletes and records it; 404 afterwards', async () => {
      const a = await create({ name: 'delete-me' })
      const uuid = a.body.command_snippet.uuid
      const res = await t.request('DELETE', `${BASE}/${uuid}`, { cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      expect((await activitiesOf(t, userUuid, 'user:command-snippet.delete')).at(-1)!.data).toEqual({ uuid, name: 'delete-me' })
      expect((await t.request('DELETE', `${BASE}/${uuid}`, { cookie })).status).toBe(404)
    })

    test('404 for another account’s snippet, 400 for a bad uuid, 401 and 403', async () => {
      const a = await create({ name: 'delete-guard' })
      const path = `${BASE}/${a.body.command_snippet.uuid}`
      expect((await t.request('DELETE', path, { cookie: other })).status).toBe(404)
      expect((await t.request('DELETE', `${BASE}/1`, { cookie })).status).toBe(400)
      expect((await t.request('DELETE', path)).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['command-snippets.update'] })
      expect((await t.request('DELETE', path, { token: key })).status).toBe(403)
      expect((await t.request('GET', `${BASE}?search=delete-guard`, { cookie })).body.command_snippets.total).toBe(1)
    })
  })

  describe('POST /api/client/account/command-snippets/{command_snippet}/duplicate', () => {
    test('copies eggs and command under the new name and records it', async () => {
      const a = await create({ name: 'original', command: 'op me', eggs: [EGG, UNKNOWN] })
      const source = a.body.command_snippet
      const res = await t.request('POST', `${BASE}/${source.uuid}/duplicate`, { cookie, body: { name: 'copy' } })
      expect(res.status).toBe(200)
      expect(res.body.command_snippet).toEqual({
        uuid: expect.stringMatching(UUID),
        name: 'copy',
        eggs: [EGG, UNKNOWN],
        command: 'op me',
        created: expect.stringMatching(ISO_TIME),
      })
      expect(res.body.command_snippet.uuid).not.toBe(source.uuid)
      expect((await activitiesOf(t, userUuid, 'user:command-snippet.duplicate')).at(-1)!.data).toEqual({
        source_uuid: source.uuid,
        source_name: 'original',
        uuid: res.body.command_snippet.uuid,
        name: 'copy',
      })
    })

    test('409 for a name in use, 404 for another account’s snippet, 400 for a bad name, 417 at the limit', async () => {
      const a = await create({ name: 'dup-source' })
      const path = `${BASE}/${a.body.command_snippet.uuid}/duplicate`
      expect((await t.request('POST', path, { cookie, body: { name: 'dup-source' } })).status).toBe(409)
      expect((await t.request('POST', path, { cookie: other, body: { name: 'theirs' } })).status).toBe(404)
      expect((await t.request('POST', path, { cookie, body: { name: '' } })).status).toBe(400)
      const fresh = await session(t)
      const b = await create({ name: 'only-one' }, fresh.cookie)
      await t.kernel.settings.update({ 'user.max_command_snippet_count': 1 })
      const full = await t.request('POST', `${BASE}/${b.body.command_snippet.uuid}/duplicate`, {
        cookie: fresh.cookie,
        body: { name: 'second' },
      })
      expect(full.status).toBe(417)
      expect(full.body).toEqual({ errors: ['maximum number of command snippets reached'] })
    })

    test('401 without credentials, 403 without command-snippets.create', async () => {
      const a = await create({ name: 'dup-auth' })
      const path = `${BASE}/${a.body.command_snippet.uuid}/duplicate`
      expect((await t.request('POST', path, { body: { name: 'x' } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['command-snippets.read'] })
      expect((await t.request('POST', path, { token: key, body: { name: 'x' } })).status).toBe(403)
    })
  })
})

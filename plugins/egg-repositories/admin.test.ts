import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Empty } from 'hatchery'
import { model as nestModel, tables as nestTables } from '../nests'
import { serveRepository, tempRepository } from '../../test/helpers/git-repo'
import { EggRepository, EggRepositoryEgg } from './model'
import { eggRepositories, eggRepositoryEggs } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let repo: Awaited<ReturnType<typeof tempRepository>>

const fixture = (name: string) => readFileSync(join(import.meta.dir, '../../test/fixtures/eggs', name), 'utf8')
const PAPER = fixture('plcn3-paper.yaml')
const PURPUR = fixture('plcn1-purpur.json')

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['egg-repositories.read', 'nests.read', 'eggs.read']))
  repo = await tempRepository()
  await repo.commit({
    'README.md': '# eggs',
    'java/paper/egg-paper.yaml': PAPER,
    'java/purpur/egg-purpur.json': PURPUR,
    'ci.yml': 'on: push',
  })
  await t.kernel.settings.update({ 'egg_repositories.allow_local': true })
}, SETUP_TIMEOUT)
afterAll(() => repo.remove())

const uniq = (p = 'repo') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const BASE = '/api/admin/egg-repositories'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const db = () => t.kernel.database.db
const stored = async (uuid: string) => (await db().select().from(eggRepositories).where(eq(eggRepositories.uuid, uuid)))[0]

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', BASE, {
    cookie: admin.cookie,
    body: { name: uniq(), git_repository: `https://git.example.com/${uniq()}.git`, ...over },
  })
  expect(res.status).toBe(200)
  return res.body.egg_repository
}

async function makeNest() {
  const res = await t.request('POST', '/api/admin/nests', { cookie: admin.cookie, body: { author: 'me@example.com', name: uniq('nest') } })
  expect(res.status).toBe(200)
  return res.body.nest.uuid as string
}

/** A repository on `repo` (a fresh copy of the local repository each time), synced. */
async function synced() {
  // A path of its own (names are unique) that normalises to the test repository.
  const r = await make({ git_repository: `file://${repo.dir}/${uniq('x')}/..` })
  const sync = await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })
  expect([sync.status, sync.body]).toEqual([200, { found: 2 }])
  const eggs = (await t.request('GET', `${BASE}/${r.uuid}/eggs`, { cookie: admin.cookie })).body.egg_repository_eggs.data
  const by = (name: string) => eggs.find((e: any) => e.exported_egg.name === name)
  return { repo: r, eggs, paper: by('Paper'), purpur: by('Purpur') }
}

test('every route is guarded', async () => {
  const swept = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'egg-repositories',
    admin,
    bodies: {
      'POST /api/admin/egg-repositories': { name: 'x', git_repository: 'https://example.com/x.git' },
      'POST /api/admin/egg-repositories/:egg_repository/eggs/install': { egg_uuids: [], nest_uuid: NO_SUCH },
      'POST /api/admin/egg-repositories/:egg_repository/eggs/:egg/install': { nest_uuid: NO_SUCH },
    },
  })
  expect(swept.length).toBe(9)
})

describe('POST /api/admin/egg-repositories', () => {
  test('creates; the password is stored encrypted and reads as ""; logs egg-repository:create without it', async () => {
    const r = await make({
      name: 'Pelican',
      description: 'community eggs',
      credentials: { type: 'password', username: 'bot', password: 'hunter2' },
    })
    expectModel(EggRepository, r)
    expect(r).toMatchObject({
      name: 'Pelican',
      description: 'community eggs',
      last_synced: null,
      credentials: { type: 'password', username: 'bot', password: '' },
    })
    const row = await stored(r.uuid)
    expect(row.credentials.type).toBe('password')
    expect(JSON.stringify(row.credentials)).not.toContain('hunter2')
    expect(t.kernel.secrets.decrypt((row.credentials as any).password)).toBe('hunter2')
    const [event] = await adminEvents(t, admin, 'egg-repository:create')
    expect(event.data).toEqual({ uuid: r.uuid, name: 'Pelican', description: 'community eggs', git_repository: r.git_repository })
  })

  test('defaults: no description, no credentials', async () => {
    expect(await make()).toMatchObject({ description: null, credentials: { type: 'none' } })
  })

  test('bad input is a 400 naming the problem, and nothing is stored', async () => {
    const name = uniq()
    const cases: [Record<string, unknown>, string][] = [
      [
        { git_repository: 'git@github.com:a/b.git' },
        'git_repository: Invalid git repository: ssh repositories are not supported, use an https url',
      ],
      [{ git_repository: 'ftp://a/b' }, 'git_repository: Invalid git repository: only http and https urls are supported'],
      [
        { git_repository: 'https://u:p@a.com/b.git' },
        'git_repository: Invalid git repository: put credentials in `credentials`, not in the url',
      ],
      [
        { git_repository: 'http://a.com/b.git', credentials: { type: 'password', username: 'u', password: 'p' } },
        'credentials: password credentials cannot be sent over plain http, use an https repository url',
      ],
      [
        { credentials: { type: 'private_key', username: 'git', private_key: 'KEY', passphrase: null } },
        'credentials: private key credentials can only be used with ssh repositories, which this panel does not clone',
      ],
    ]
    for (const [over, error] of cases) {
      const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { name, git_repository: 'https://a.com/b.git', ...over } })
      expect([res.status, res.body.errors]).toEqual([400, [error]])
    }
    for (const body of [
      { git_repository: 'https://a.com/b.git' },
      { name: '', git_repository: 'https://a.com/b.git' },
      { name, git_repository: 'https://a.com/b.git', credentials: { type: 'password', username: 'u', password: '' } },
    ]) {
      const res = await t.request('POST', BASE, { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
      expect(res.body.errors).toHaveLength(1)
    }
    expect(await db().$count(eggRepositories, eq(eggRepositories.name, name))).toBe(0)
  })

  test('a local repository only while egg_repositories.allow_local is on', async () => {
    await t.kernel.settings.update({ 'egg_repositories.allow_local': false })
    try {
      const res = await t.request('POST', BASE, { cookie: admin.cookie, body: { name: uniq(), git_repository: repo.dir } })
      expect([res.status, res.body.errors]).toEqual([
        400,
        ['git_repository: Invalid git repository: local repositories are not allowed (setting egg_repositories.allow_local)'],
      ])
    } finally {
      await t.kernel.settings.update({ 'egg_repositories.allow_local': true })
    }
    expect((await make({ git_repository: repo.dir })).git_repository).toBe(repo.dir)
  })

  test('a taken name or git repository is 409', async () => {
    const a = await make()
    for (const body of [
      { name: a.name, git_repository: 'https://other.example.com/x.git' },
      { name: uniq(), git_repository: a.git_repository },
    ]) {
      const res = await t.request('POST', BASE, { cookie: admin.cookie, body })
      expect([res.status, res.body.errors]).toEqual([409, ['egg repository with name/git repository already exists']])
    }
  })

  test('guarded', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: BASE, body: { name: 'x', git_repository: 'https://a.com/b.git' } },
      plain,
      denied(),
      'egg-repositories.create',
    )
  })
})

describe('GET /api/admin/egg-repositories, /{egg_repository}', () => {
  test('lists by creation with search; gets one; 400/404 for a bad path uuid', async () => {
    const a = await make({ name: uniq('findme') })
    const list = await t.request('GET', `${BASE}?search=${a.name}`, { cookie: reader.cookie })
    expect(list.status).toBe(200)
    expect(list.body.egg_repositories).toMatchObject({ total: 1, page: 1, per_page: 10 })
    expectModel(EggRepository, list.body.egg_repositories.data[0])
    const one = await t.request('GET', `${BASE}/${a.uuid}`, { token: readerKey })
    expect([one.status, one.body.egg_repository]).toEqual([200, a])
    expect((await t.request('GET', `${BASE}/nope`, { cookie: admin.cookie })).body.errors).toEqual(['invalid egg repository uuid'])
    const missing = await t.request('GET', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie })
    expect([missing.status, missing.body.errors]).toEqual([404, ['egg repository not found']])
    expect((await t.request('GET', `${BASE}?per_page=101`, { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('PATCH /api/admin/egg-repositories/{egg_repository}', () => {
  test('updates the given fields; a password of "" keeps the stored one; logs egg-repository:update', async () => {
    const a = await make({ credentials: { type: 'password', username: 'bot', password: 'first' } })
    const res = await t.request('PATCH', `${BASE}/${a.uuid}`, {
      cookie: admin.cookie,
      body: { name: 'Renamed', description: null, credentials: { type: 'password', username: 'bot2', password: '' } },
    })
    expect([res.status, res.body]).toEqual([200, {}])
    expectModel(Empty, res.body)
    const row = await stored(a.uuid)
    expect(row).toMatchObject({ name: 'Renamed', description: null, git_repository: a.git_repository })
    expect(row.credentials).toMatchObject({ type: 'password', username: 'bot2' })
    expect(t.kernel.secrets.decrypt((row.credentials as any).password)).toBe('first')
    await t.request('PATCH', `${BASE}/${a.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: { type: 'password', username: 'bot2', password: 'second' } },
    })
    expect(t.kernel.secrets.decrypt(((await stored(a.uuid)).credentials as any).password)).toBe('second')
    const [event] = await adminEvents(t, admin, 'egg-repository:update')
    expect(event.data).toMatchObject({ uuid: a.uuid, name: 'Renamed', description: null })
    expect(JSON.stringify(event.data)).not.toContain('second')
  })

  test('a password needs https, also when only the URL changes; "" without a stored password is a 400; 409; 404', async () => {
    const a = await make({ credentials: { type: 'password', username: 'bot', password: 'pw' } })
    const http = await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie: admin.cookie, body: { git_repository: 'http://a.com/b.git' } })
    expect([http.status, http.body.errors]).toEqual([
      400,
      ['credentials: password credentials cannot be sent over plain http, use an https repository url'],
    ])
    const b = await make()
    const empty = await t.request('PATCH', `${BASE}/${b.uuid}`, {
      cookie: admin.cookie,
      body: { credentials: { type: 'password', username: 'u', password: '' } },
    })
    expect([empty.status, empty.body.errors]).toEqual([400, ['credentials.password: expected string length greater or equal to 1']])
    const taken = await t.request('PATCH', `${BASE}/${b.uuid}`, { cookie: admin.cookie, body: { name: a.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['egg repository with name/git repository already exists']])
    expect((await t.request('PATCH', `${BASE}/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
    expect((await stored(b.uuid)).name).toBe(b.name)
  })

  test('guarded', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'PATCH', path: `${BASE}/${a.uuid}`, body: { name: 'x' } }, plain, denied(), 'egg-repositories.update')
  })
})

describe('POST /api/admin/egg-repositories/{egg_repository}/sync and GET …/eggs', () => {
  test('records every egg of the repository in the export format, with its README, and sets last_synced', async () => {
    const { repo: r, eggs, paper } = await synced()
    expect(eggs.map((e: any) => e.path)).toEqual(['java/paper/egg-paper.yaml', 'java/purpur/egg-purpur.json'])
    for (const e of eggs) expectModel(EggRepositoryEgg, e)
    expect(paper.readme).toBe('# eggs')
    expect(paper.exported_egg.uuid).toBe(paper.uuid)
    expect(Object.keys(paper.exported_egg.docker_images).slice(0, 2)).toEqual(['Java 21', 'Java 17'])
    expect((await stored(r.uuid)).last_synced).toBeInstanceOf(Date)
    const searched = await t.request('GET', `${BASE}/${r.uuid}/eggs?search=purpur`, { cookie: reader.cookie })
    expect(searched.body.egg_repository_eggs.data.map((e: any) => e.exported_egg.name)).toEqual(['Purpur'])
  })

  test('a re-sync keeps uuids, moves `updated` only for changed eggs and drops eggs whose file is gone', async () => {
    const { repo: r, paper, purpur } = await synced()
    await repo.commit({
      'java/purpur/egg-purpur.json': PURPUR.replace('"name": "Purpur"', '"name": "Purpur 2"'),
      'java/paper/egg-paper.yaml': null,
    })
    try {
      expect((await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })).body).toEqual({ found: 1 })
      const [after] = (await t.request('GET', `${BASE}/${r.uuid}/eggs`, { cookie: admin.cookie })).body.egg_repository_eggs.data
      expect([after.uuid, after.exported_egg.name]).toEqual([purpur.uuid, 'Purpur 2'])
      expect(new Date(after.updated).getTime()).toBeGreaterThan(new Date(purpur.updated).getTime())
      expect(await db().$count(eggRepositoryEggs, eq(eggRepositoryEggs.uuid, paper.uuid))).toBe(0)
      // Unchanged: `updated` stays.
      await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })
      const [again] = (await t.request('GET', `${BASE}/${r.uuid}/eggs`, { cookie: admin.cookie })).body.egg_repository_eggs.data
      expect(again.updated).toBe(after.updated)
    } finally {
      await repo.commit({ 'java/purpur/egg-purpur.json': PURPUR, 'java/paper/egg-paper.yaml': PAPER })
    }
  })

  test('a remote over http: 417 while private addresses are refused, synced once allowed', async () => {
    const server = serveRepository(repo.dir)
    try {
      const r = await make({ git_repository: server.url })
      const refused = await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })
      expect(refused.status).toBe(417)
      expect(refused.body.errors[0]).toContain('cannot reach the repository')
      expect(server.requests).toEqual([])
      await t.kernel.settings.update({ 'outbound.allow_private_addresses': true })
      try {
        expect((await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })).body).toEqual({ found: 2 })
      } finally {
        await t.kernel.settings.update({ 'outbound.allow_private_addresses': false })
      }
    } finally {
      server.stop()
    }
  })

  test('a repository that cannot be read is a 502; a local one after the setting is switched off a 417', async () => {
    const gone = await make({ git_repository: '/nonexistent/eggs' })
    const res = await t.request('POST', `${BASE}/${gone.uuid}/sync`, { cookie: admin.cookie })
    expect([res.status, res.body.errors]).toEqual([502, ['/nonexistent/eggs is not a git repository with commits']])
    await t.kernel.settings.update({ 'egg_repositories.allow_local': false })
    try {
      const off = await t.request('POST', `${BASE}/${gone.uuid}/sync`, { cookie: admin.cookie })
      expect(off.status).toBe(417)
    } finally {
      await t.kernel.settings.update({ 'egg_repositories.allow_local': true })
    }
    expect((await stored(gone.uuid)).last_synced).toBeNull()
  })

  test('guarded', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'POST', path: `${BASE}/${a.uuid}/sync` }, plain, denied(), 'egg-repositories.sync')
    expect((await t.request('GET', `${BASE}/${a.uuid}/eggs`, { cookie: plain.cookie })).status).toBe(403)
  })
})

describe('installing repository eggs', () => {
  test('one: linked to its repository egg, shown with its repository; logs nest:egg.create', async () => {
    const { repo: r, paper } = await synced()
    const nest = await makeNest()
    const res = await t.request('POST', `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`, { cookie: admin.cookie, body: { nest_uuid: nest } })
    expect(res.status).toBe(200)
    expectModel(nestModel.AdminNestEgg, res.body.egg)
    expect(res.body.egg.name).toBe('Paper')
    expect(res.body.egg.egg_repository_egg).toMatchObject({
      uuid: paper.uuid,
      path: 'java/paper/egg-paper.yaml',
      egg_repository: { uuid: r.uuid, name: r.name },
    })
    const vars = await t.request('GET', `/api/admin/nests/${nest}/eggs/${res.body.egg.uuid}/variables`, { cookie: admin.cookie })
    expect(vars.body.variables.length).toBe(paper.exported_egg.variables.length)
    const [event] = await adminEvents(t, admin, 'nest:egg.create')
    expect(event.data).toMatchObject({ uuid: res.body.egg.uuid, nest_uuid: nest, egg_repository_egg_uuid: paper.uuid, name: 'Paper' })
    const again = await t.request('POST', `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: nest },
    })
    expect([again.status, again.body.errors]).toEqual([409, ['egg with name already exists']])
    const unknown = await t.request('POST', `${BASE}/${r.uuid}/eggs/${NO_SUCH}/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: nest },
    })
    expect([unknown.status, unknown.body.errors]).toEqual([404, ['egg repository egg not found']])
    const noNest = await t.request('POST', `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: NO_SUCH },
    })
    expect([noNest.status, noNest.body.errors]).toEqual([404, ['nest not found']])
    const bad = await t.request('POST', `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`, { cookie: admin.cookie, body: { nest_uuid: 'x' } })
    expect(bad.status).toBe(400)
  })

  test('many: skips unknown eggs, eggs of other repositories and names the nest has; counts the others', async () => {
    const a = await synced()
    const b = await synced()
    const nest = await makeNest()
    const res = await t.request('POST', `${BASE}/${a.repo.uuid}/eggs/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: nest, egg_uuids: [a.paper.uuid, a.purpur.uuid, a.paper.uuid.toUpperCase(), b.paper.uuid, NO_SUCH] },
    })
    expect([res.status, res.body]).toEqual([200, { installed: 2 }])
    const again = await t.request('POST', `${BASE}/${b.repo.uuid}/eggs/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: nest, egg_uuids: [b.paper.uuid] },
    })
    expect(again.body).toEqual({ installed: 0 })
    const noNest = await t.request('POST', `${BASE}/${a.repo.uuid}/eggs/install`, {
      cookie: admin.cookie,
      body: { nest_uuid: NO_SUCH, egg_uuids: [] },
    })
    expect([noNest.status, noNest.body.errors]).toEqual([404, ['nest not found']])
  })

  test('guarded by eggs.create', async () => {
    const { repo: r, paper } = await synced()
    const path = `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`
    await expectGuarded(t, { method: 'POST', path, body: { nest_uuid: NO_SUCH } }, plain, denied(), 'eggs.create')
  })
})

describe('update/repository (nests routes) and deleting a repository', () => {
  test('an installed egg follows its repository egg after a sync; an unlinked one is a 400', async () => {
    const { repo: r, purpur } = await synced()
    const nest = await makeNest()
    const egg = (
      await t.request('POST', `${BASE}/${r.uuid}/eggs/${purpur.uuid}/install`, { cookie: admin.cookie, body: { nest_uuid: nest } })
    ).body.egg
    await repo.commit({ 'java/purpur/egg-purpur.json': PURPUR.replace('"name": "Purpur"', '"name": "Purpur Next"') })
    try {
      await t.request('POST', `${BASE}/${r.uuid}/sync`, { cookie: admin.cookie })
      const one = await t.request('POST', `/api/admin/nests/${nest}/eggs/${egg.uuid}/update/repository`, { cookie: admin.cookie })
      expect([one.status, one.body]).toEqual([200, {}])
      const after = await t.request('GET', `/api/admin/nests/${nest}/eggs/${egg.uuid}`, { cookie: admin.cookie })
      expect(after.body.egg.name).toBe('Purpur Next')
      const [event] = await adminEvents(t, admin, 'nest:egg.update')
      expect(event.data).toMatchObject({ uuid: egg.uuid, egg_repository_egg_uuid: purpur.uuid })
      const plainEgg = await t.request('POST', `/api/admin/nests/${nest}/eggs/import`, {
        cookie: admin.cookie,
        headers: { 'content-type': 'application/yaml' },
        body: PAPER,
      })
      expect(plainEgg.status).toBe(200)
      const unlinked = await t.request('POST', `/api/admin/nests/${nest}/eggs/${plainEgg.body.egg.uuid}/update/repository`, {
        cookie: admin.cookie,
      })
      expect([unlinked.status, unlinked.body.errors]).toEqual([400, ['unable to update egg thats not linked to a repository egg']])
      const bulk = await t.request('POST', `/api/admin/nests/${nest}/eggs/update/repository`, {
        cookie: admin.cookie,
        body: { egg_uuids: [egg.uuid, plainEgg.body.egg.uuid, NO_SUCH] },
      })
      expect([bulk.status, bulk.body]).toEqual([200, { updated: 1 }])
    } finally {
      await repo.commit({ 'java/purpur/egg-purpur.json': PURPUR })
    }
  })

  test('deleting a repository deletes its eggs and unlinks installed ones; logs egg-repository:delete', async () => {
    const { repo: r, paper } = await synced()
    const nest = await makeNest()
    const egg = (
      await t.request('POST', `${BASE}/${r.uuid}/eggs/${paper.uuid}/install`, { cookie: admin.cookie, body: { nest_uuid: nest } })
    ).body.egg
    const res = await t.request('DELETE', `${BASE}/${r.uuid}`, { cookie: admin.cookie })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await db().$count(eggRepositoryEggs, eq(eggRepositoryEggs.egg_repository_uuid, r.uuid))).toBe(0)
    const [row] = await db().select().from(nestTables.nestEggs).where(eq(nestTables.nestEggs.uuid, egg.uuid))
    expect(row.egg_repository_egg_uuid).toBeNull()
    const [event] = await adminEvents(t, admin, 'egg-repository:delete')
    expect(event.data).toEqual({ uuid: r.uuid, name: r.name, git_repository: r.git_repository })
    expect((await t.request('DELETE', `${BASE}/${r.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })

  test('guarded', async () => {
    const a = await make()
    await expectGuarded(t, { method: 'DELETE', path: `${BASE}/${a.uuid}` }, plain, denied(), 'egg-repositories.delete')
  })
})

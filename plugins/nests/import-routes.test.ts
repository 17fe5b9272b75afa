import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  runCli,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { ExportedEgg, ImportAnswer, ImportUrlsAnswer, UpdateImportAnswer } from './import-model'
import { nestEggs, nestEggVariables, nests } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string
let nest: string

const FIXTURES = join(import.meta.dir, '../../test/fixtures/eggs')
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')
const NO_SUCH = '00000000-0000-4000-8000-000000000000'
const denied = () => [{ cookie: reader.cookie }, { token: readerKey }]
const uniq = (p = 'egg') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const db = () => t.kernel.database.db

/** A small Calagopus-style egg with one variable carrying an unknown rule. */
const egg = (over: Record<string, unknown> = {}) => ({
  name: uniq(),
  author: 'tests@example.com',
  description: 'an egg',
  config: { files: {}, startup: { done: ['ready'], strip_ansi: false }, stop: '^C' },
  scripts: { installation: { container: 'alpine', entrypoint: 'ash', script: 'echo hi' } },
  startup: './run {{PORT}}',
  docker_images: { 'Alpine 3': 'alpine:3', Debian: 'debian:12' },
  variables: [
    {
      name: 'Port',
      description: '',
      env_variable: 'PORT',
      default_value: 25565,
      user_viewable: true,
      user_editable: true,
      rules: 'required|integer|frobnicate:3',
    },
    { name: 'Motd', env_variable: 'MOTD', default_value: '', user_viewable: true, user_editable: false, rules: ['nullable', 'string'] },
  ],
  ...over,
})

const importPath = () => `/api/admin/nests/${nest}/eggs/import`
async function importEgg(body: unknown = egg()) {
  const res = await t.request('POST', importPath(), { cookie: admin.cookie, body })
  expect(res.status).toBe(200)
  return res.body.egg as { uuid: string; name: string }
}

let server: ReturnType<typeof Bun.serve>
const served = new Map<string, { status?: number; body: string }>()

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['nests.read', 'eggs.read']))
  const [row] = await db()
    .insert(nests)
    .values({ author: 'tests@example.com', name: uniq('nest') })
    .returning()
  nest = row.uuid
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const hit = served.get(new URL(req.url).pathname)
      return hit ? new Response(hit.body, { status: hit.status ?? 200 }) : new Response('nope', { status: 404 })
    },
  })
}, SETUP_TIMEOUT)
afterAll(() => server?.stop(true))

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`

// The sweep of every nests route (import routes included) is in admin.test.ts.

test('/openapi.json documents the routes and the document bodies', async () => {
  const res = await t.request('GET', '/openapi.json')
  expect(res.status).toBe(200)
  const paths = res.body.paths
  const post = paths['/api/admin/nests/{nest}/eggs/import'].post
  expect(Object.keys(post.requestBody.content)).toEqual(['application/yaml', 'text/yaml'])
  expect(post.description).toContain('dropped_rules')
  expect(paths['/api/admin/nests/{nest}/eggs/{egg}/export'].get).toBeDefined()
  expect(paths['/api/admin/nests/{nest}/eggs/{egg}/update/import/url'].post).toBeDefined()
})

describe('POST /api/admin/nests/{nest}/eggs/import', () => {
  test('imports a JSON egg with its variables, drops the unknown rule and reports it, logs nest:egg.create', async () => {
    const doc = egg()
    const res = await t.request('POST', importPath(), { cookie: admin.cookie, body: doc })
    expect(res.status).toBe(200)
    expectModel(ImportAnswer, res.body)
    expect(res.body.egg).toMatchObject({
      name: doc.name,
      egg_repository_egg: null,
      startup_commands: { Default: './run {{PORT}}' },
      config_stop: { type: 'signal', value: 'SIGINT' },
      config_startup: { done: ['ready'], strip_ansi: false },
      config_script: { container: 'alpine', entrypoint: 'ash', content: 'echo hi' },
    })
    expect(Object.keys(res.body.egg.docker_images)).toEqual(['Alpine 3', 'Debian'])
    expect(res.body.dropped_rules).toEqual([
      { env_variable: 'PORT', rule: 'frobnicate:3', reason: 'unknown or unsupported validation rule: frobnicate:3' },
    ])
    expect(res.body.skipped_variables).toEqual([])
    const vars = await db().select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, res.body.egg.uuid))
    const port = vars.find((v) => v.env_variable === 'PORT')!
    expect(port).toMatchObject({ rules: ['required', 'integer'], default_value: '25565', description: null, order: 1, secret: false })
    expect(vars.find((v) => v.env_variable === 'MOTD')).toMatchObject({ default_value: null, order: 2, rules: ['nullable', 'string'] })
    const [event] = await adminEvents(t, admin, 'nest:egg.create')
    expect(event.data).toMatchObject({ uuid: res.body.egg.uuid, nest_uuid: nest, name: doc.name, docker_images: doc.docker_images })
    expect(event.data).not.toHaveProperty('egg_repository_egg_uuid')
  })

  test('imports YAML sent as application/yaml (a real Pelican PLCN_v3 egg)', async () => {
    const res = await t.request('POST', importPath(), {
      cookie: admin.cookie,
      body: fixture('plcn3-paper.yaml').replace('name: Paper', `name: ${uniq('Paper')}`),
      headers: { 'content-type': 'application/yaml' },
    })
    expect(res.status).toBe(200)
    expectModel(ImportAnswer, res.body)
    expect(Object.keys(res.body.egg.docker_images)[0]).toBe('Java 21')
    expect(res.body.egg.config_files[0]).toMatchObject({ file: 'server.properties', parser: 'properties', create_new: true })
  })

  test('a taken name is 409 and creates nothing', async () => {
    const first = await importEgg()
    const before = (await db().select().from(nestEggs)).length
    const res = await t.request('POST', importPath(), { cookie: admin.cookie, body: egg({ name: first.name }) })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['egg with name already exists'])
    expect((await db().select().from(nestEggs)).length).toBe(before)
  })

  test('bad documents are 400 with a readable reason, nothing created', async () => {
    const before = (await db().select().from(nestEggs)).length
    const { name: _n, ...noName } = egg()
    const cases: [unknown, string][] = [
      [noName, 'missing field `name`'],
      [egg({ docker_images: undefined }), 'missing field `docker_images`'],
      [egg({ force_outgoing_ip: 'yes' }), 'force_outgoing_ip: invalid type: string "yes", expected a boolean'],
      [
        egg({ variables: [{ name: 'Port', env_variable: 'P', user_viewable: 1, user_editable: true }] }),
        'variables[0].user_viewable: invalid type: integer `1`, expected a boolean',
      ],
      [
        egg({ variables: [{ name: 'Port', env_variable: 'P', order: 1.5, user_viewable: true, user_editable: true }] }),
        'variables[0].order: must be an integer between -32768 and 32767',
      ],
      [egg({ name: '' }), 'name: length is lower than 1'],
      [egg({ startup: {} }), 'startup_commands: at least one startup command is required'],
      [egg({ docker_images: { a: 'x', b: 'x' } }), 'docker_images: duplicate docker image: x'],
      [egg({ config: { files: { 'a.yml': { parser: 'cobol', find: {} } } } }), 'config.files.a.yml.parser: unknown variant `cobol`'],
      ['{"name": "x", "oops"', 'invalid egg: not valid JSON'],
      ['{"name": "x", "config": {}, "order": 1e999}', 'invalid egg: order: number out of range'],
      ['[1, 2]', 'invalid egg: the document must be an object'],
      ['{"name": "a\\u0000b"}', 'invalid egg: name contains a NUL byte'],
    ]
    for (const [body, message] of cases) {
      const res = await t.request('POST', importPath(), { cookie: admin.cookie, body })
      expect(res.status).toBe(400)
      expect(res.body.errors.join('\n')).toContain(message)
    }
    const yaml = await t.request('POST', importPath(), {
      cookie: admin.cookie,
      body: 'a: &x [1]\nb: *y\n',
      headers: { 'content-type': 'text/yaml' },
    })
    expect(yaml.status).toBe(400)
    expect(yaml.body.errors[0]).toStartWith('invalid egg: not valid YAML')
    const none = await t.request('POST', importPath(), { cookie: admin.cookie, body: 'x', headers: { 'content-type': '' } })
    expect(none.status).toBe(400)
    const big = await t.request('POST', importPath(), { cookie: admin.cookie, body: `{"name": "${'x'.repeat(1024 * 1024)}"}` })
    expect(big.status).toBe(413)
    const form = await t.request('POST', importPath(), {
      cookie: admin.cookie,
      body: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.body.errors).toEqual(['invalid payload: unsupported content type'])
    expect((await db().select().from(nestEggs)).length).toBe(before)
  })

  test('an alias bomb is refused', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
    ].join('\n')
    const res = await t.request('POST', importPath(), { cookie: admin.cookie, body: bomb, headers: { 'content-type': 'application/yaml' } })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('invalid egg')
  })

  test('unknown or malformed nest: 404 / 400; without permission: 401/403', async () => {
    expect((await t.request('POST', `/api/admin/nests/${NO_SUCH}/eggs/import`, { cookie: admin.cookie, body: egg() })).status).toBe(404)
    const bad = await t.request('POST', '/api/admin/nests/nope/eggs/import', { cookie: admin.cookie, body: egg() })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid nest uuid']])
    await expectGuarded(t, { method: 'POST', path: importPath(), body: egg() }, plain, denied(), 'eggs.create')
  })
})

describe('POST /api/admin/nests/{nest}/eggs/import/url', () => {
  test('imports from a local server when the setting allows private addresses; failures are collected', async () => {
    await t.kernel.settings.update({ 'outbound.allow_private_addresses': true })
    try {
      const name = uniq('Bedrock')
      served.set('/bedrock.json', { body: fixture('plcn1-vanilla-bedrock.json').replace('"name": "Vanilla Bedrock"', `"name": "${name}"`) })
      served.set('/gmod.yaml', { body: fixture('plcn3-garrys-mod.yaml').replace('name: "Garry\'s Mod"', `name: ${uniq('gmod')}`) })
      served.set('/broken.json', { body: '{"name": ' })
      served.set('/big.json', { body: `{"name": "${'x'.repeat(1024 * 1024)}"}` })
      served.set('/down.json', { status: 503, body: '' })
      const urls = [url('/bedrock.json'), url('/gmod.yaml'), url('/broken.json'), url('/big.json'), url('/down.json'), url('/bedrock.json')]
      const res = await t.request('POST', `/api/admin/nests/${nest}/eggs/import/url`, { cookie: admin.cookie, body: { urls } })
      expect(res.status).toBe(200)
      expectModel(ImportUrlsAnswer, res.body)
      expect(res.body.eggs.map((e: any) => e.name)).toContain(name)
      expect(res.body.eggs).toHaveLength(2)
      const failures = Object.fromEntries(res.body.failures.map((f: any) => [f.url.replace(/^.*\//, ''), f.error]))
      expect(failures['broken.json']).toStartWith('invalid egg: not valid JSON')
      expect(failures['big.json']).toBe('egg is too large')
      expect(failures['down.json']).toBe('server responded with status 503')
      expect(failures['bedrock.json']).toBe('egg with name already exists')
      const events = await adminEvents(t, admin, 'nest:egg.create')
      expect(events.find((e) => e.data.name === name)?.data.url).toBe(url('/bedrock.json'))
    } finally {
      await t.kernel.settings.update({ 'outbound.allow_private_addresses': false })
    }
  })

  test('a private address is refused while the setting is off', async () => {
    served.set('/ok.json', { body: JSON.stringify(egg()) })
    const res = await t.request('POST', `/api/admin/nests/${nest}/eggs/import/url`, {
      cookie: admin.cookie,
      body: { urls: [url('/ok.json'), 'https://127.0.0.1/egg.json'] },
    })
    expect(res.status).toBe(200)
    expect(res.body.eggs).toEqual([])
    expect(res.body.failures[0].error).toContain('http: URLs are not allowed')
    expect(res.body.failures[1].error).toContain('private or reserved address')
  })

  test('bad input: no URLs, more than 25, not http(s)', async () => {
    for (const [urls, message] of [
      [[], 'urls: length is lower than 1'],
      [Array(26).fill('https://example.com/e.json'), 'urls: length is greater than 25'],
      [['ftp://example.com/e.json'], 'urls[0]: must be a http or https url'],
    ] as const) {
      const res = await t.request('POST', `/api/admin/nests/${nest}/eggs/import/url`, { cookie: admin.cookie, body: { urls } })
      expect(res.status).toBe(400)
      expect(res.body.errors).toContain(message)
    }
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${nest}/eggs/import/url`, body: { urls: ['https://example.com/e.json'] } },
      plain,
      denied(),
      'eggs.create',
    )
  })
})

describe('GET /api/admin/nests/{nest}/eggs/{egg}/export', () => {
  test('exports keys in the reference order, ordered maps in stored order; readable by a narrowed key', async () => {
    const created = await importEgg()
    const res = await t.request('GET', `/api/admin/nests/${nest}/eggs/${created.uuid}/export`, { token: readerKey })
    expect(res.status).toBe(200)
    expectModel(ExportedEgg, res.body)
    expect(Object.keys(res.body.config)).toEqual(['files', 'startup', 'stop'])
    expect(Object.keys(res.body.docker_images)).toEqual(['Alpine 3', 'Debian'])
    expect(res.body.variables.map((v: any) => v.env_variable)).toEqual(['PORT', 'MOTD'])
    expect(Object.keys(res.body.variables[0])).toEqual([
      'name',
      'name_translations',
      'description',
      'description_translations',
      'order',
      'env_variable',
      'default_value',
      'user_viewable',
      'user_editable',
      'secret',
      'rules',
    ])
  })

  test('an egg of another nest is 404; malformed 400; anonymous 401', async () => {
    const created = await importEgg()
    const [other] = await db()
      .insert(nests)
      .values({ author: 'tests@example.com', name: uniq('nest') })
      .returning()
    const res = await t.request('GET', `/api/admin/nests/${other.uuid}/eggs/${created.uuid}/export`, { cookie: admin.cookie })
    expect([res.status, res.body.errors]).toEqual([404, ['egg not found']])
    const bad = await t.request('GET', `/api/admin/nests/${nest}/eggs/xyz/export`, { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid egg uuid']])
    expect((await t.request('GET', `/api/admin/nests/${nest}/eggs/${created.uuid}/export`)).status).toBe(401)
  })
})

describe('POST /api/admin/nests/{nest}/eggs/{egg}/update/import', () => {
  test('overwrites fields, upserts variables by env_variable (secret kept), keeps the others at the end, logs pre-update values', async () => {
    const created = await importEgg()
    await db().update(nestEggVariables).set({ secret: true }).where(eq(nestEggVariables.env_variable, 'PORT'))
    const doc = egg({
      name: uniq('renamed'),
      startup_commands: { Fast: './fast', Slow: './slow' },
      variables: [
        { name: 'New', env_variable: 'NEW', user_viewable: true, user_editable: true, secret: true, rules: 'string' },
        { name: 'Port again', env_variable: 'PORT', default_value: '1', user_viewable: false, user_editable: false, rules: 'integer|nope' },
      ],
    })
    const res = await t.request('POST', `/api/admin/nests/${nest}/eggs/${created.uuid}/update/import`, { cookie: admin.cookie, body: doc })
    expect(res.status).toBe(200)
    expectModel(UpdateImportAnswer, res.body)
    expect(res.body.dropped_rules).toEqual([{ env_variable: 'PORT', rule: 'nope', reason: 'unknown or unsupported validation rule: nope' }])
    const [row] = await db().select().from(nestEggs).where(eq(nestEggs.uuid, created.uuid))
    expect(row.name).toBe(doc.name)
    expect(row.startup_commands).toEqual([
      ['Fast', './fast'],
      ['Slow', './slow'],
    ])
    const vars = Object.fromEntries(
      (await db().select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, created.uuid))).map((v) => [v.env_variable, v]),
    )
    expect(vars.NEW).toMatchObject({ order: 1, secret: true, rules: ['string'] })
    expect(vars.PORT).toMatchObject({
      name: 'Port again',
      order: 2,
      secret: true,
      default_value: '1',
      user_viewable: false,
      rules: ['integer'],
    })
    expect(vars.MOTD.order).toBe(2 + 2 + 1)
    const [event] = await adminEvents(t, admin, 'nest:egg.update')
    expect(event.data).toMatchObject({ uuid: created.uuid, name: created.name })
  })

  test('a taken name is 409 and changes nothing; bad document 400; guarded', async () => {
    const a = await importEgg()
    const b = await importEgg()
    const res = await t.request('POST', `/api/admin/nests/${nest}/eggs/${b.uuid}/update/import`, {
      cookie: admin.cookie,
      body: egg({ name: a.name, variables: [] }),
    })
    expect([res.status, res.body.errors]).toEqual([409, ['egg with name already exists']])
    const vars = await db().select().from(nestEggVariables).where(eq(nestEggVariables.egg_uuid, b.uuid))
    expect(vars.map((v) => v.order).sort()).toEqual([1, 2])
    const bad = await t.request('POST', `/api/admin/nests/${nest}/eggs/${b.uuid}/update/import`, {
      cookie: admin.cookie,
      body: { name: 'x' },
    })
    expect([bad.status, bad.body.errors]).toEqual([400, ['missing field `config`']])
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/nests/${nest}/eggs/${b.uuid}/update/import`, body: egg() },
      plain,
      denied(),
      'eggs.update',
    )
  })
})

describe('POST /api/admin/nests/{nest}/eggs/{egg}/update/import/url', () => {
  test('updates from a URL; a fetch or document failure is 417', async () => {
    const created = await importEgg()
    await t.kernel.settings.update({ 'outbound.allow_private_addresses': true })
    try {
      const name = uniq('from-url')
      served.set('/update.json', { body: JSON.stringify(egg({ name })) })
      const path = `/api/admin/nests/${nest}/eggs/${created.uuid}/update/import/url`
      const res = await t.request('POST', path, { cookie: admin.cookie, body: { url: url('/update.json') } })
      expect(res.status).toBe(200)
      expectModel(UpdateImportAnswer, res.body)
      expect((await db().select().from(nestEggs).where(eq(nestEggs.uuid, created.uuid)))[0].name).toBe(name)
      const [event] = await adminEvents(t, admin, 'nest:egg.update')
      expect(event.data).toMatchObject({ uuid: created.uuid, name: created.name, url: url('/update.json') })
      const missing = await t.request('POST', path, { cookie: admin.cookie, body: { url: url('/missing.json') } })
      expect([missing.status, missing.body.errors]).toEqual([417, ['server responded with status 404']])
      served.set('/not-egg.json', { body: '{"name": 1}' })
      const notEgg = await t.request('POST', path, { cookie: admin.cookie, body: { url: url('/not-egg.json') } })
      expect(notEgg.status).toBe(417)
      served.set('/nameless.json', { body: JSON.stringify(egg({ name: '' })) })
      const nameless = await t.request('POST', path, { cookie: admin.cookie, body: { url: url('/nameless.json') } })
      expect([nameless.status, nameless.body.errors]).toEqual([400, ['name: length is lower than 1']])
    } finally {
      await t.kernel.settings.update({ 'outbound.allow_private_addresses': false })
    }
    const bad = await t.request('POST', `/api/admin/nests/${nest}/eggs/${created.uuid}/update/import/url`, {
      cookie: admin.cookie,
      body: { url: 'file:///etc/passwd' },
    })
    expect([bad.status, bad.body.errors]).toEqual([400, ['url: must be a http or https url']])
    await expectGuarded(
      t,
      {
        method: 'POST',
        path: `/api/admin/nests/${nest}/eggs/${created.uuid}/update/import/url`,
        body: { url: 'https://example.com/e.json' },
      },
      plain,
      denied(),
      'eggs.update',
    )
  })
})

describe('panel nests import', () => {
  test('imports several files, prints a line per egg and a summary, exits 1 when one failed', async () => {
    const res = await runCli(t, [
      'nests',
      'import',
      nest,
      join(FIXTURES, 'plcn1-purpur.json'),
      join(FIXTURES, 'nope.json'),
      join(FIXTURES, 'plcn3-fabric.json'),
    ])
    expect(res.code).toBe(1)
    const lines = res.stdout.split('\n')
    expect(lines[0]).toMatch(/^\[1\/3\] .*plcn1-purpur\.json: imported Purpur \(/)
    expect(lines[1]).toMatch(/^\[2\/3\] .*nope\.json: failed: cannot read .*ENOENT/)
    expect(lines[2]).toMatch(/^\[3\/3\] .*plcn3-fabric\.json: imported Fabric \(/)
    expect(lines[3]).toBe('2 imported, 1 failed')
    const json = await runCli(t, ['nests', 'import', nest, join(FIXTURES, 'plcn1-purpur.json'), '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ imported: 0, failed: 1, results: [{ error: 'egg with name already exists' }] })
    expect((await runCli(t, ['nests', 'import', nest])).code).toBe(2)
  })
})

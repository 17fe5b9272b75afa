// The file manager end to end, the panel (`src/main.ts`) and the Wings double
// (`tools/wings-double/main.ts`) as separate processes, the double keeping a real tree on disk:
// a `server.properties` written, read back, compressed and extracted; and a subuser hiding
// `secrets/` who cannot reach anything in it by any spelling, through any route.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freshDatabase, type TestDatabase } from '../src/testing/db'
import { freePort, ROOT, serverEnv, startServer, type RunningServer, panelJson } from './helpers/server'

setDefaultTimeout(90_000)

const BUN = join(ROOT, 'node_modules/.bin/bun')
const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')
const PASSWORD = 'a-long-password'

let db: TestDatabase | undefined
let panel: RunningServer
let wings: Subprocess<'ignore', 'pipe', 'pipe'> | undefined
const cookies: Record<string, string> = {}
let server: string

const cli = (args: string[]): Promise<any> => panelJson(panel, args)

async function user(name: string, admin = false): Promise<string> {
  const made = await cli([
    'users',
    'create',
    '--username',
    name,
    '--email',
    `${name}@example.com`,
    '--password',
    PASSWORD,
    '--name-first',
    'E',
    '--name-last',
    'User',
    ...(admin ? ['--admin'] : []),
  ])
  const login = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: name, password: PASSWORD }),
  })
  cookies[name] = login.headers.get('set-cookie')!.split(';')[0]
  return made.uuid
}

async function as(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const raw = typeof body === 'string'
  const res = await fetch(`${panel.url}${path}`, {
    method,
    headers: {
      cookie: cookies[who],
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': raw ? 'text/plain' : 'application/json' }),
    },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let parsed: any = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: res.status, body: parsed, text }
}

const files = (who: string, method: string, route: string, body?: unknown) =>
  as(who, method, `/api/client/servers/${server}/files/${route}`, body)

beforeAll(async () => {
  db = process.env.DATABASE_URL ? await freshDatabase() : undefined
  panel = await startServer(serverEnv({ DATABASE_URL: db?.url ?? '' }))
  await user('fe2e_admin', true)
  const owner = await user('fe2e_owner')
  await user('fe2e_sub')
  await cli(['locations', 'create', '--name', 'fe2e-location'])
  const port = freePort()
  const created = await cli(['nodes', 'create', '--name', 'fe2e-node', '--location', 'fe2e-location', '--url', `http://127.0.0.1:${port}`])
  const node = created.node
  const child = Bun.spawn(
    [
      BUN,
      'tools/wings-double/main.ts',
      '--panel',
      panel.url,
      '--token-id',
      created.token_id,
      '--token',
      created.token,
      '--port',
      String(port),
    ],
    { cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  )
  const reader = child.stdout.getReader()
  let seen = ''
  while (!seen.includes('listening on')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`the Wings double exited: ${await new Response(child.stderr).text()}`)
    seen += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  wings = child
  const nest = await as('fe2e_admin', 'POST', '/api/admin/nests', { author: 'e2e@example.com', name: 'Minecraft' })
  const egg = (await cli(['nests', 'import', nest.body.nest.uuid, PAPER])).results[0].uuid
  await as('fe2e_admin', 'POST', `/api/admin/nodes/${node.uuid}/allocations`, { ip: '127.0.0.1', ports: [25565] })
  const allocation = (await as('fe2e_admin', 'GET', `/api/admin/nodes/${node.uuid}/allocations`)).body.allocations.data[0].uuid
  const made = await as('fe2e_admin', 'POST', '/api/admin/servers', {
    node_uuid: node.uuid,
    owner_uuid: owner,
    egg_uuid: egg,
    allocation_uuid: allocation,
    allocation_uuids: [],
    start_on_completion: false,
    skip_installer: true,
    name: 'files-e2e',
    limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 4096, io_weight: null },
    pinned_cpus: [],
    startup: 'java -jar server.jar',
    image: 'ghcr.io/pelican-eggs/yolks:java_21',
    hugepages_passthrough_enabled: false,
    kvm_passthrough_enabled: false,
    feature_limits: { allocations: 1, databases: 0, backups: 0, schedules: 0 },
    variables: [],
  })
  expect(made.status).toBe(200)
  server = made.body.server.uuid
  const perms = ['files.read', 'files.read-content', 'files.create', 'files.update', 'files.delete', 'files.archive']
  const added = await as('fe2e_owner', 'POST', `/api/client/servers/${server}/subusers`, {
    email: 'fe2e_sub@example.com',
    permissions: perms,
    ignored_files: ['secrets/'],
  })
  expect(added.status).toBe(200)
}, 180_000)

afterAll(async () => {
  wings?.kill('SIGTERM')
  await wings?.exited
  panel?.cleanup()
  await db?.drop()
})

describe('the file manager through a node process', () => {
  test('server.properties written, read back, compressed into a real tar.gz, deleted and extracted again', async () => {
    const properties = 'motd=A Hatchery server\nmax-players=20\n'
    expect((await files('fe2e_owner', 'POST', 'write?file=server.properties', properties)).status).toBe(200)
    expect((await files('fe2e_owner', 'GET', 'contents?file=/server.properties')).text).toBe(properties)
    const listed = await files('fe2e_owner', 'GET', 'list')
    expect(listed.body.entries.data.map((e: any) => e.name)).toContain('server.properties')
    const packed = await files('fe2e_owner', 'POST', 'compress', {
      root: '/',
      files: ['server.properties'],
      name: 'props.tar.gz',
      foreground: true,
    })
    expect([packed.status, packed.body.entry.name]).toEqual([200, 'props.tar.gz'])
    const archive = await fetch(`${panel.url}/api/client/servers/${server}/files/contents?file=props.tar.gz`, {
      headers: { cookie: cookies.fe2e_owner },
    })
    const inside = await new Bun.Archive(new Uint8Array(await archive.arrayBuffer())).files()
    expect(await inside.get('server.properties')!.text()).toBe(properties)
    expect((await files('fe2e_owner', 'POST', 'delete', { root: '', files: ['server.properties'] })).body).toEqual({ deleted: 1 })
    expect((await files('fe2e_owner', 'GET', 'contents?file=server.properties')).status).toBe(404)
    expect((await files('fe2e_owner', 'POST', 'decompress', { root: '', file: 'props.tar.gz', foreground: true })).status).toBe(200)
    expect((await files('fe2e_owner', 'GET', 'contents?file=server.properties')).text).toBe(properties)
  })

  test('a subuser hiding secrets/ cannot list, read, rename, copy, download, compress or search anything in it, by any spelling', async () => {
    expect((await files('fe2e_owner', 'POST', 'write?file=secrets/rcon.txt', 'password=hunter2')).status).toBe(200)
    expect((await files('fe2e_owner', 'POST', 'write?file=open/readme.txt', 'hello')).status).toBe(200)
    const q = encodeURIComponent
    const dirs = ['secrets', '/secrets', '//secrets', './secrets', 'open/../secrets', 'secrets/', 'secrets/.', 'open\\..\\secrets']
    const paths = dirs.map((d) => `${d}/rcon.txt`)
    const sub = (method: string, route: string, body?: unknown) => files('fe2e_sub', method, route, body)
    const root = await sub('GET', 'list')
    expect(root.body.entries.data.map((e: any) => e.name)).not.toContain('secrets')
    for (const dir of dirs) expect([dir, (await sub('GET', `list?directory=${q(dir)}`)).status]).toEqual([dir, 404])
    for (const path of paths) {
      const read = await sub('GET', `contents?file=${q(path)}`)
      expect([path, read.status, read.text.includes('hunter2')]).toEqual([path, 404, false])
      expect((await sub('GET', `download?files=${q(path)}`)).status).toBe(404)
      expect((await sub('GET', `download?root=open&files=${q(`../${path}`)}`)).status).toBe(404)
      expect((await sub('POST', 'copy', { path, destination: '../open/leak.txt', foreground: true })).status).toBe(404)
      expect((await sub('POST', 'compress', { root: '', files: [path], name: 'leak.tar.gz', foreground: true })).status).toBe(400)
    }
    for (const dir of dirs) {
      const renamed = await sub('PUT', 'rename', { root: '', files: [{ from: dir, to: 'open/stolen' }] })
      expect([dir, renamed.status, renamed.body]).toEqual([dir, 200, { renamed: 0 }])
      const copied = await sub('POST', 'copy-many', {
        root: '',
        files: [{ from: `${dir}/rcon.txt`, to: 'open/copy.txt' }],
        foreground: true,
      })
      expect([dir, copied.body]).toEqual([dir, { copied: 0, skipped: [] }])
      expect((await sub('POST', 'search', { root: dir })).status).toBe(404)
    }
    const packed = await sub('POST', 'compress', { root: '', files: ['open', 'secrets'], name: 'open.tar.gz', foreground: true })
    expect(packed.status).toBe(200)
    const archive = await fetch(`${panel.url}/api/client/servers/${server}/files/contents?file=open.tar.gz`, {
      headers: { cookie: cookies.fe2e_sub },
    })
    expect([...(await new Bun.Archive(new Uint8Array(await archive.arrayBuffer())).files()).keys()]).toEqual(['open/readme.txt'])
    const searched = await sub('POST', 'search', {
      root: '/',
      content_filter: { query: 'hunter2', max_search_size: 1000, include_unmatched: false, case_insensitive: false },
    })
    expect([searched.status, searched.body.entries]).toEqual([200, []])
    expect((await sub('GET', 'list?directory=open')).body.entries.data.map((e: any) => e.name)).toEqual(['readme.txt'])
    // The owner still sees it all, untouched.
    expect((await files('fe2e_owner', 'GET', 'contents?file=secrets/rcon.txt')).text).toBe('password=hunter2')
  })
})

// The compiled binary, as a self-hoster runs it: built once (npm run build's script, into a temp
// folder), started from another working directory with the fixture plugin in PLUGINS_DIR. The
// sweep of every GET in its /openapi.json proves every bundled plugin (and any added later) is
// inside the binary and answers without a 5xx.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { sql } from 'drizzle-orm'
import { openDatabase } from '../src/db/client'
import { RUN_ID } from 'hatchery/testing'
import { FIXTURE_PLUGINS } from './helpers/plugins'
import { freePort } from './helpers/server'
import { TEST_KEY } from '../src/testing/app'

const ROOT = resolve(import.meta.dir, '..')
const BUN = join(ROOT, 'node_modules/.bin/bun')
const work = mkdtempSync(join(tmpdir(), 'hatchery-bin-'))
const binary = join(work, 'dist', 'hatchery')
afterAll(() => rmSync(work, { recursive: true, force: true }))

beforeAll(async () => {
  const build = Bun.spawn([BUN, 'scripts/build.ts', '--outfile', binary], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(build.stdout).text(), new Response(build.stderr).text(), build.exited])
  if (code !== 0) throw new Error(`build failed (${code}): ${out}${err}`)
}, 300_000)

interface Running {
  url: string
  lines: string[]
  process: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
}

/** Starts the binary in `cwd` and waits for its `listening` line. */
async function start(cwd: string, env: Record<string, string>): Promise<Running> {
  const child = Bun.spawn([binary], { cwd, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const lines: string[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    const timer = setTimeout(() => rejectReady(new Error('the binary did not start in 120 s')), 120_000)
    void (async () => {
      for await (const chunk of child.stdout) {
        buffer += decoder.decode(chunk, { stream: true })
        let nl: number
        while ((nl = buffer.indexOf('\n')) !== -1) {
          lines.push(buffer.slice(0, nl))
          if (buffer.slice(0, nl).includes('"msg":"listening"')) (clearTimeout(timer), resolveReady())
          buffer = buffer.slice(nl + 1)
        }
      }
      clearTimeout(timer)
      rejectReady(new Error(`the binary exited before listening: ${await new Response(child.stderr).text()}`))
    })()
  })
  try {
    await ready
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  return { url: `http://127.0.0.1:${env.PORT}`, lines, process: child }
}

/** Runs `<command> …` (the binary with `panel`, or a link named panel) in `cwd`. */
async function run(cwd: string, env: Record<string, string>, argv: string[]) {
  const child = Bun.spawn(argv, { cwd, env, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

/**
 * A second external plugin beside the fixture: its imports of the host's packages and of a
 * bundled plugin must be the binary's own instances (the kernel's error classes map to 404, the
 * host's drizzle builds the SQL, Elysia validates a TypeBox schema made by @sinclair/typebox).
 */
const PROBE = `import { Elysia } from 'elysia'
import { Type } from '@sinclair/typebox'
import { sql } from 'drizzle-orm'
import { integer, pgTable } from 'drizzle-orm/pg-core'
import { definePlugin, NotFound } from 'hatchery'
import users from 'hatchery/plugins/users'

const never = pgTable('probe_never_created', { id: integer('id') })

export default definePlugin({
  name: 'probe',
  version: '1.0.0',
  dependsOn: ['users'],
  routes: {
    public: (ctx) =>
      new Elysia()
        .get('/probe', async () => {
          const [row] = await ctx.database.query<{ one: number }>(sql\`select 1 as one\`)
          return { one: Number(row.one), dependency: users.name, table: ctx.db.select().from(never).toSQL().sql }
        }, { query: Type.Object({ q: Type.Optional(Type.String({ maxLength: 3 })) }) })
        .get('/probe/missing', () => {
          throw new NotFound('nothing here')
        }),
  },
})
`

/** PLUGINS_DIR for the restart: the fixture plugin and the probe. */
function pluginsWithProbe(parent: string): string {
  const dir = join(parent, 'plugins')
  if (!existsSync(dir)) {
    cpSync(join(FIXTURE_PLUGINS, 'greeter'), join(dir, 'greeter'), { recursive: true })
    mkdirSync(join(dir, 'probe'))
    writeFileSync(join(dir, 'probe', 'index.ts'), PROBE)
  }
  return dir
}

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB55ozIUijiaAcnWoB0CrcSf5IQl4acVNX9+W67aIFBl binary-test'

const ADMIN = [
  '--username',
  'binadmin',
  '--email',
  'binadmin@example.com',
  '--name-first',
  'Bin',
  '--name-last',
  'Admin',
  '--password',
  'a long password',
]

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'binadmin', password: 'a long password' }),
  })
  expect(res.status).toBe(200)
  return res.headers.get('set-cookie')!.split(';')[0]
}

/** Every GET of /openapi.json, path parameters filled with random uuids, as the admin: no 5xx. */
async function sweep(url: string, cookie: string): Promise<number> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> }
  const paths = Object.entries(doc.paths)
    .filter(([, ops]) => ops.get)
    .map(([path]) => path)
  const failures: string[] = []
  for (const path of paths) {
    const concrete = path.replace(/\{[^}]+\}/g, () => crypto.randomUUID())
    const res = await fetch(url + concrete, { headers: { cookie }, redirect: 'manual' })
    await res.arrayBuffer()
    // The reference's extension upload/removal routes answer 501 by design (issue 11): not offered.
    const notOffered = res.status === 501 && path.startsWith('/api/admin/extensions/manage')
    if (res.status >= 500 && !notOffered) failures.push(`GET ${path}: ${res.status}`)
  }
  expect(failures).toEqual([])
  return paths.length
}

/** The whole life of a deployment on one database: first boot, CLI, sweep, stop, CLI, restart. */
function lifecycle(label: string, extraEnv: () => Record<string, string>) {
  describe(`the binary on ${label}`, () => {
    const cwd = mkdtempSync(join(work, 'site-'))
    const env = (): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(freePort()),
      BIND: '127.0.0.1',
      LOG_LEVEL: 'info',
      PLUGINS_DIR: FIXTURE_PLUGINS,
      ...extraEnv(),
    })
    let server: Running | undefined
    let serverEnv: Record<string, string>
    afterAll(() => server?.process.kill('SIGKILL'))

    test('starts in an empty folder, with the bundled plugins, the fixture plugin and every migration', async () => {
      serverEnv = env()
      server = await start(cwd, serverEnv)
      const listening = JSON.parse(server.lines.find((l) => l.includes('"msg":"listening"'))!)
      expect(listening.plugins).toContain('greeter')
      expect(listening.plugins).toContain('users')
      expect(listening.database).toBe(serverEnv.DATABASE_URL ? 'postgres' : 'pglite')
      const applied = JSON.parse(server.lines.find((l) => l.includes('"msg":"migrations applied"'))!).migrations as string[]
      expect(applied).toContain('core/0000_settings_jobs.sql')
      expect(applied).toContain('greeter/0000_greetings.sql')
      if (!serverEnv.DATABASE_URL) expect(existsSync(join(cwd, 'data', 'db'))).toBe(true)
    }, 150_000)

    test("serves the fixture plugin's routes and the API reference page", async () => {
      const hello = await fetch(`${server!.url}/api/client/greetings/hello`)
      expect(hello.status).toBe(200)
      expect(await hello.json()).toEqual({ message: 'Hello, world!' })
      const page = await fetch(`${server!.url}/api`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('/api/docs/swagger-ui-bundle.js')
      for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
        const res = await fetch(`${server!.url}/api/docs/${asset}`)
        expect(res.status).toBe(200)
        expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000)
      }
    })

    test('`hatchery panel …` runs while the server is up, also through a link named panel', async () => {
      const created = await run(cwd, serverEnv, [binary, 'panel', 'users', 'create', ...ADMIN, '--admin', '--json'])
      expect(created.stderr).toBe('')
      expect(created.code).toBe(0)
      expect(JSON.parse(created.stdout)).toMatchObject({ username: 'binadmin', admin: true })
      const link = join(cwd, 'panel')
      if (!existsSync(link)) symlinkSync(binary, link)
      const plugins = await run(cwd, serverEnv, ['./panel', 'plugins', 'list', '--json'])
      expect(plugins.code).toBe(0)
      expect(JSON.parse(plugins.stdout)).toContainEqual(expect.objectContaining({ name: 'greeter', external: true }))
      const greet = await run(cwd, serverEnv, ['./panel', 'greeter', 'greet', '--name', 'from-cli', '--json'])
      expect(greet.code).toBe(0)
    }, 60_000)

    test('every GET in its /openapi.json answers the admin without a 5xx', async () => {
      const cookie = await login(server!.url)
      expect(await sweep(server!.url, cookie)).toBeGreaterThan(50)
    }, 120_000)

    test('a package loaded on first use (sshpk, parsing an SSH key) is inside the binary', async () => {
      const res = await fetch(`${server!.url}/api/client/account/ssh-keys`, {
        method: 'POST',
        headers: { cookie: await login(server!.url), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'binary-key', public_key: SSH_KEY }),
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { ssh_key: { fingerprint: string } }).ssh_key.fingerprint).toBe(
        'SHA256:4a5zMTkxKOHSxPEzJHenfRQM67uqUHK6mk1rxCbb0Uo',
      )
    })

    test('SIGTERM stops it with exit 0; the CLI then opens the database itself', async () => {
      server!.process.kill('SIGTERM')
      expect(await server!.process.exited).toBe(0)
      server = undefined
      const status = await run(cwd, serverEnv, [binary, 'panel', 'migrate', '--status', '--json'])
      expect(status.stderr).toBe('')
      expect(status.code).toBe(0)
      const rows = JSON.parse(status.stdout) as { owner: string; applied: boolean }[]
      expect(rows.every((r) => r.applied)).toBe(true)
      expect(new Set(rows.map((r) => r.owner))).toEqual(new Set([...readdirSync(join(ROOT, 'migrations')), 'greeter']))
      // The checksums the binary recorded are the source's: the panel from source finds nothing to do.
      const fromSource = await run(ROOT, { ...serverEnv, DATA_DIR: join(cwd, 'data') }, [BUN, 'src/cli/main.ts', 'migrate', '--json'])
      expect(fromSource.stderr).toBe('')
      expect(JSON.parse(fromSource.stdout)).toEqual({ applied: [] })
    }, 60_000)

    test('restarts on the same data: nothing to migrate, the admin still logs in', async () => {
      serverEnv = { ...serverEnv, PORT: String(freePort()), PLUGINS_DIR: pluginsWithProbe(cwd) }
      server = await start(cwd, serverEnv)
      expect(server.lines.some((l) => l.includes('"msg":"migrations applied"'))).toBe(false)
      await login(server.url)
      const hello = await fetch(`${server.url}/api/client/greetings/hello`)
      expect(hello.status).toBe(200)
      const probe = await fetch(`${server.url}/api/probe`)
      expect(await probe.json()).toEqual({ one: 1, dependency: 'users', table: 'select "id" from "probe_never_created"' })
      expect((await fetch(`${server.url}/api/probe?q=toolong`)).status).toBe(400)
      const missing = await fetch(`${server.url}/api/probe/missing`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({ errors: ['nothing here'] })
      server.process.kill('SIGINT')
      expect(await server.process.exited).toBe(0)
      server = undefined
    }, 150_000)
  })
}

lifecycle('PGlite in ./data', () => ({}))

// The PostgreSQL variant runs in the PostgreSQL pass (DATABASE_URL set), on a database of its own.
if (process.env.DATABASE_URL) {
  const name = `hatchery_bin_${RUN_ID}`
  const url = new URL(process.env.DATABASE_URL)
  url.pathname = `/${name}`
  const admin = async (statement: string) => {
    const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', max: 1 })
    try {
      await db.query(sql.raw(statement))
    } finally {
      await db.close()
    }
  }
  beforeAll(() => admin(`create database "${name}"`))
  afterAll(() => admin(`drop database if exists "${name}" with (force)`))
  lifecycle('PostgreSQL (DATABASE_URL)', () => ({ DATABASE_URL: url.toString(), APP_ENCRYPTION_KEY: TEST_KEY }))
}

describe('the binary refuses a setup it cannot serve, with one line', () => {
  test('PLUGINS_DIR pointing nowhere', async () => {
    const cwd = mkdtempSync(join(work, 'bad-'))
    const res = await run(cwd, { PATH: process.env.PATH ?? '', PORT: String(freePort()), PLUGINS_DIR: join(cwd, 'nowhere') }, [binary])
    expect(res.code).toBe(1)
    expect(res.stderr).toBe(`hatchery: PLUGINS_DIR: ${join(cwd, 'nowhere')} is not a directory\n`)
    expect(existsSync(join(cwd, 'data', 'db'))).toBe(false)
  }, 60_000)

  test('an unknown argument prints the usage and exits 2', async () => {
    const res = await run(work, { PATH: process.env.PATH ?? '' }, [binary, 'bogus'])
    expect(res.code).toBe(2)
    expect(res.stderr).toStartWith('hatchery: unknown argument "bogus"\nusage: hatchery')
  })
})

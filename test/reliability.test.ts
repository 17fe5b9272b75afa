import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { openDatabase, type Database } from '../src/db/client'
import { loadConfig } from '../src/config'
import { Elysia } from 'elysia'
import { definePlugin } from '../src/kernel'
import { createLogger } from '../src/kernel/logger'
import { withFixtures } from './helpers/plugins'
import {
  freshDatabase,
  login,
  makeApiKey,
  makeUser,
  relaxRateLimits,
  SETUP_TIMEOUT,
  testApp,
  type TestApp,
  type TestDatabase,
  type TestUser,
} from 'hatchery/testing'
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy'
import { runPanel, serverEnv, startServer, type RunningServer } from './helpers/server'

const onPostgres = !!process.env.DATABASE_URL
const SNIPPETS = '/api/client/account/command-snippets'

interface Caller {
  user: TestUser
  token: string
}

async function caller(t: TestApp): Promise<Caller> {
  await relaxRateLimits(t)
  await t.kernel.settings.update({ 'user.max_command_snippet_count': 100_000 })
  const user = await makeUser(t)
  const { key } = await makeApiKey(t, await login(t, user), {
    user_permissions: ['command-snippets.read', 'command-snippets.create', 'command-snippets.delete', 'activity.read'],
  })
  return { user, token: key }
}

/** Ends every panel connection to this test's database but the caller's own. */
async function terminatePanelConnections(admin: Database): Promise<number> {
  const rows = await admin.query<{ ok: boolean }>(sql`select pg_terminate_backend(pid) as ok from pg_stat_activity
    where datname = current_database() and application_name = 'hatchery' and pid <> pg_backend_pid()`)
  return rows.length
}

describe.skipIf(!onPostgres)('PostgreSQL backends terminated while requests run', () => {
  let t: TestApp
  let admin: Database
  let c: Caller
  beforeAll(async () => {
    t = await testApp()
    admin = await openDatabase({ databaseUrl: t.db.url!, dataDir: '', max: 1 })
    c = await caller(t)
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await admin?.close()
    await t?.close()
  }, SETUP_TIMEOUT)

  test('the process keeps answering (200 or 503, never 500) and the first request after recovery succeeds', async () => {
    const statuses = new Map<number, number>()
    let stop = false
    let killed = 0
    const killer = (async () => {
      while (!stop) {
        killed += await terminatePanelConnections(admin)
        await Bun.sleep(15)
      }
    })()
    const worker = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const res =
          i % 3 === 0
            ? await t.request('POST', SNIPPETS, { token: c.token, body: { name: `w${n}-${i}`, eggs: [], command: 'say hi' } })
            : await t.request('GET', `${SNIPPETS}?per_page=5`, { token: c.token })
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        if (res.status === 503) expect(res.body).toEqual({ errors: ['database unavailable'] })
      }
    }
    const workers = Array.from({ length: 8 }, (_, n) => worker(n))
    await Bun.sleep(3000)
    stop = true
    await Promise.all([killer, ...workers])
    expect(killed).toBeGreaterThan(10)
    expect([...statuses.keys()].sort()).toEqual([...statuses.keys()].filter((s) => s === 200 || s === 503).sort())
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0)
    // Idle connections the server ended are noticed and dropped: nothing stale is handed out.
    await terminatePanelConnections(admin)
    await Bun.sleep(50)
    const after = await t.request('GET', SNIPPETS, { token: c.token })
    expect(after.status).toBe(200)
    const created = (await t.request('POST', SNIPPETS, { token: c.token, body: { name: 'after recovery', eggs: [], command: 'x' } })).status
    expect(created).toBe(200)
  }, 60_000)
})

/** A fresh database reached through a TCP proxy the test controls; `db.drop()` removes all three. */
async function behindProxy(max: number): Promise<{ proxy: TcpProxy; db: TestDatabase }> {
  const direct = await freshDatabase()
  const url = new URL(direct.url!)
  const proxy = await startTcpProxy(Number(url.port || 5432), url.hostname)
  url.port = String(proxy.port)
  const database = await openDatabase({ databaseUrl: url.toString(), dataDir: '', max })
  const drop = async () => {
    await database.close()
    await proxy.close()
    await direct.drop()
  }
  return { proxy, db: { database, url: url.toString(), drop } }
}

describe.skipIf(!onPostgres)('the database unreachable (a proxy in front of PostgreSQL)', () => {
  let t: TestApp
  let proxy: TcpProxy
  let db: TestDatabase
  let c: Caller
  beforeAll(async () => {
    ;({ proxy, db } = await behindProxy(4))
    t = await testApp({ db })
    c = await caller(t)
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await t?.close()
    await db?.drop()
  }, SETUP_TIMEOUT)

  const timed = async (fn: () => Promise<{ status: number; body: any; headers: Headers }>) => {
    const start = performance.now()
    const res = await fn()
    return { ...res, ms: performance.now() - start }
  }

  test('connections dropped and refused → 503 database unavailable with Retry-After, at once', async () => {
    proxy.cut()
    for (const req of [
      () => t.request('GET', SNIPPETS, { token: c.token }),
      () => t.request('POST', SNIPPETS, { token: c.token, body: { name: 'during outage', eggs: [], command: 'x' } }),
      () => t.request('GET', '/api/client/account/activity', { token: c.token, as: 'msgpack' }),
    ]) {
      const res = await timed(req)
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ errors: ['database unavailable'] })
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(res.ms).toBeLessThan(5000)
    }
    proxy.restore()
    expect((await t.request('GET', SNIPPETS, { token: c.token })).status).toBe(200)
    const names = (await t.request('GET', `${SNIPPETS}?per_page=100`, { token: c.token })).body.command_snippets.data.map(
      (s: { name: string }) => s.name,
    )
    expect(names).not.toContain('during outage')
  }, 30_000)

  test('the public settings document is still served from the last snapshot while the database is gone', async () => {
    expect((await t.request('GET', '/api/settings')).status).toBe(200)
    proxy.cut()
    await Bun.sleep(2200) // past the snapshot's 2 s limit: a reload is tried, and fails
    const res = await timed(() => t.request('GET', '/api/settings'))
    expect(res.status).toBe(200)
    expect(res.body.app.name).toBe('Hatchery')
    expect((await t.request('GET', SNIPPETS, { token: c.token })).status).toBe(503)
    proxy.restore()
  }, 30_000)

  test('a database that accepts connections but never answers → 503 within the connect timeout', async () => {
    proxy.hang()
    // The pool notices its dropped connections; the next request must open a new one.
    await Bun.sleep(200)
    const res = await timed(() => t.request('GET', SNIPPETS, { token: c.token }))
    expect(res.status).toBe(503)
    expect(res.body).toEqual({ errors: ['database unavailable'] })
    expect(res.ms).toBeGreaterThan(2500)
    expect(res.ms).toBeLessThan(6000)
    proxy.restore()
    expect((await t.request('GET', SNIPPETS, { token: c.token })).status).toBe(200)
  }, 30_000)
})

describe.skipIf(!onPostgres)('a COMMIT whose connection goes quiet, then breaks', () => {
  let t: TestApp
  let proxy: TcpProxy
  let db: TestDatabase
  const lines: Record<string, unknown>[] = []
  beforeAll(async () => {
    ;({ proxy, db } = await behindProxy(2))
    const commits = definePlugin({
      name: 'commits',
      version: '1.0.0',
      routes: {
        public: (ctx) =>
          new Elysia().post('/commit-test', async () => {
            await ctx.db.transaction(async (tx) => {
              await tx.execute(sql`create temporary table if not exists commit_probe (n int)`)
              // The network goes quiet after the last statement: the COMMIT is sent into it.
              proxy.freeze()
            })
            return {}
          }),
      },
    })
    const log = createLogger({ level: 'error', write: (line) => void lines.push(JSON.parse(line)) })
    t = await testApp({ db, env: { REQUEST_TIMEOUT: '2' }, plugins: await withFixtures(commits), log })
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await t?.close()
    await db?.drop()
  }, SETUP_TIMEOUT)

  test('the caller gets 503 at the deadline, and the unknown outcome is logged with the request id', async () => {
    const res = await t.request('POST', '/api/commit-test', { body: {} })
    expect(res.status).toBe(503)
    expect(res.body).toEqual({ errors: ['request timed out'] })
    proxy.cut()
    await Bun.sleep(200)
    const line = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('commit outcome unknown'))
    expect(line).toMatchObject({ level: 'error', request_id: res.headers.get('x-request-id') })
    proxy.restore()
  }, 30_000)
})

/** Holds `select … for update` on rows matched by `where` until `release()` (a second connection, or PGlite's one). */
async function holdLock(t: TestApp, table: string, uuid: string) {
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let locked!: () => void
  const isLocked = new Promise<void>((r) => (locked = r))
  const other = t.db.url ? await openDatabase({ databaseUrl: t.db.url, dataDir: '', max: 1 }) : t.kernel.database
  const done = other.db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from ${sql.identifier(table)} where uuid = ${uuid} for update`)
    locked()
    await released
  })
  await isLocked
  return {
    async release() {
      release()
      await done
      if (other !== t.kernel.database) await other.close()
    },
  }
}

describe('the request deadline (REQUEST_TIMEOUT)', () => {
  let t: TestApp
  let c: Caller
  beforeAll(async () => {
    t = await testApp({ env: { REQUEST_TIMEOUT: '2' } })
    c = await caller(t)
  }, SETUP_TIMEOUT)
  afterAll(() => t?.close(), SETUP_TIMEOUT)

  test('a request still blocked at the deadline gets 503 request timed out, and its change is rolled back', async () => {
    const snippet = (await t.request('POST', SNIPPETS, { token: c.token, body: { name: 'locked', eggs: [], command: 'x' } })).body
      .command_snippet
    const lock = await holdLock(t, 'user_command_snippets', snippet.uuid)
    const start = performance.now()
    const pending = t.request('DELETE', `${SNIPPETS}/${snippet.uuid}`, { token: c.token, as: 'xml' })
    const res = await pending
    const ms = performance.now() - start
    await lock.release()
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toContain('xml')
    expect(res.text).toContain('request timed out')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(ms).toBeGreaterThan(1900)
    expect(ms).toBeLessThan(4000)
    // The handler went on once the lock was released; the deadline stopped it before COMMIT.
    await Bun.sleep(300)
    const list = await t.request('GET', SNIPPETS, { token: c.token })
    expect(list.body.command_snippets.data.map((s: { uuid: string }) => s.uuid)).toContain(snippet.uuid)
    expect((await t.request('DELETE', `${SNIPPETS}/${snippet.uuid}`, { token: c.token })).status).toBe(200)
  }, 30_000)

  test('REQUEST_TIMEOUT is checked at boot', () => {
    expect(loadConfig({ REQUEST_TIMEOUT: '240' }).requestTimeout).toBe(240)
    for (const bad of ['0', 'x', '241', '-1']) expect(() => loadConfig({ REQUEST_TIMEOUT: bad })).toThrow('REQUEST_TIMEOUT')
  })
})

describe.skipIf(!onPostgres)('the server process and a request slower than Bun’s default idle timeout', () => {
  let server: RunningServer
  let db: TestDatabase
  beforeAll(async () => {
    db = await freshDatabase()
    server = await startServer(serverEnv({ DATABASE_URL: db.url! }))
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    server?.cleanup()
    await db?.drop()
  }, SETUP_TIMEOUT)

  test('a DELETE blocked 12 s on a row lock gets its 200, not an empty reply', async () => {
    const created = await runPanel(server.env, [
      'users',
      'create',
      '--username',
      'slow',
      '--email',
      'slow@example.com',
      '--name-first',
      'S',
      '--name-last',
      'L',
      '--password',
      'a long password',
    ])
    expect(created.code).toBe(0)
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'slow', password: 'a long password' }),
    })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]
    const headers = { cookie, 'content-type': 'application/json' }
    const snippet = (await (
      await fetch(`${server.url}${SNIPPETS}`, { method: 'POST', headers, body: JSON.stringify({ name: 'slow', eggs: [], command: 'x' }) })
    ).json()) as any
    const uuid = snippet.command_snippet.uuid
    const other = await openDatabase({ databaseUrl: db.url!, dataDir: '', max: 1 })
    let release!: () => void
    let locked!: () => void
    const isLocked = new Promise<void>((r) => (locked = r))
    const holder = other.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from user_command_snippets where uuid = ${uuid} for update`)
      locked()
      await new Promise<void>((r) => (release = r))
    })
    await isLocked
    const timer = setTimeout(() => release(), 12_000)
    const start = performance.now()
    const res = await fetch(`${server.url}${SNIPPETS}/${uuid}`, { method: 'DELETE', headers: { cookie } })
    const ms = performance.now() - start
    clearTimeout(timer)
    await holder
    await other.close()
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({})
    expect(ms).toBeGreaterThan(11_000)
  }, 60_000)
})

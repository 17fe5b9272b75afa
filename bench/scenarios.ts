import { sql } from 'drizzle-orm'
import type { Database } from '../src/db/client'
import type { BenchOptions } from './options'
import { BENCH_SERVERS, benchServers, benchServerUuid } from './servers'
import { serverAreaScenarios } from './scenarios-server-area'

/** What a scenario's `prepare` may use: the running panel on PostgreSQL and its CLI. */
export interface ScenarioContext {
  /** Base URL of the panel, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Runs `panel <args>` with the panel's environment; resolves to stdout, throws on a non-zero exit. */
  cli(args: string[]): Promise<string>
  /** Runs `make` once per run and shares its promise, so scenarios can share a user or a login. */
  once<T>(key: string, make: () => Promise<T>): Promise<T>
  /** The panel's database, for fixtures too large to create through the API. */
  db: Database
}

/**
 * One measured request against the panel, compared with the bare Bun.serve endpoint.
 * @example { name: 'languages', title: 'GET /api/languages', path: '/api/languages', target: 0.6 }
 */
export interface Scenario {
  /** Short id for `--only`. */
  name: string
  title: string
  path: string
  /** Minimum requests/s as a fraction of bare. */
  target: number
  /** Runs once before the load; returns headers sent with every request. Throwing skips the scenario. */
  prepare?(ctx: ScenarioContext): Promise<Record<string, string>>
  /** A Lua file in bench/wrk/ that builds the requests (method, body) instead of a GET of `path`. */
  script?: string
}

/**
 * One route measured at growing data sizes, judged on p50 at the last size over p50 at the first.
 * Steps run in order on the same database, so a step only adds what the previous one lacks.
 */
export interface ScalingScenario {
  name: string
  title: string
  path: string
  /** Maximum p50 at the last step as a multiple of p50 at the first. */
  target: number
  steps: { label: string; prepare(ctx: ScenarioContext): Promise<Record<string, string>> }[]
}

const BENCH_USER = { username: 'bench', email: 'bench@example.com', password: 'benchpassword1' }

async function expectOk(response: Response, label: string): Promise<unknown> {
  const text = await response.text()
  if (!response.ok) throw new Error(`${label} answered ${response.status} ${text.slice(0, 200)}`)
  return JSON.parse(text)
}

/** Creates the bench admin through the CLI, once per run. */
function benchUser(ctx: ScenarioContext): Promise<string> {
  const { username, email, password } = BENCH_USER
  return ctx.once('user', () =>
    ctx.cli([
      'users',
      'create',
      '--username',
      username,
      '--email',
      email,
      '--name-first',
      'B',
      '--name-last',
      'B',
      '--password',
      password,
      '--admin',
      '--json',
    ]),
  )
}

/** The bench admin's session cookie (`name=value`). */
export function sessionCookie(ctx: ScenarioContext): Promise<string> {
  return ctx.once('session', async () => {
    const { username, password } = BENCH_USER
    await benchUser(ctx)
    const response = await fetch(`${ctx.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: username, password }),
    })
    await expectOk(response, 'POST /api/auth/login')
    const cookie = response.headers.getSetCookie()[0]?.split(';')[0]
    if (!cookie) throw new Error('POST /api/auth/login set no cookie')
    return cookie
  })
}

/**
 * A new API key of the bench admin (`c7sp_…`). Without `allPermissions` it holds none, which
 * `GET /api/client/account` does not need; with it, every permission of the panel's catalog.
 */
export async function apiKey(ctx: ScenarioContext, { name = 'bench', allPermissions = false } = {}): Promise<string> {
  const cookie = await sessionCookie(ctx)
  const permissions = { user_permissions: [] as string[], admin_permissions: [] as string[], server_permissions: [] as string[] }
  if (allPermissions) {
    type Catalog = Record<string, { permissions: Record<string, string> }>
    const catalogs = (await expectOk(
      await fetch(`${ctx.url}/api/client/permissions`, { headers: { cookie } }),
      'GET /api/client/permissions',
    )) as Record<keyof typeof permissions, Catalog>
    for (const kind of Object.keys(permissions) as (keyof typeof permissions)[]) {
      permissions[kind] = Object.entries(catalogs[kind]).flatMap(([group, g]) => Object.keys(g.permissions).map((p) => `${group}.${p}`))
    }
  }
  const response = await fetch(`${ctx.url}/api/client/account/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name, allowed_ips: [], ...permissions, expires: null }),
  })
  const body = (await expectOk(response, 'POST /api/client/account/api-keys')) as { key?: unknown }
  if (typeof body.key !== 'string' || !body.key.startsWith('c7sp_'))
    throw new Error('POST /api/client/account/api-keys returned no c7sp_ key')
  return body.key
}

export function scenarios(options: BenchOptions): Scenario[] {
  return [
    {
      name: 'settings',
      title: `GET ${options.settingsPath}`,
      path: options.settingsPath,
      target: 0.6,
      // A panel in use has users; until the first one exists every request counts them (the
      // first-run "register" step), which would measure a state a panel leaves in its first minute.
      // Best effort: without the CLI command the route is still worth measuring.
      prepare: async (ctx) => {
        await benchUser(ctx).catch(() => {})
        return {}
      },
    },
    {
      name: 'account-session',
      title: 'GET /api/client/account (cookie)',
      path: '/api/client/account',
      target: 0.4,
      prepare: async (ctx) => ({ cookie: await sessionCookie(ctx) }),
    },
    {
      name: 'account-key',
      title: 'GET /api/client/account (API key)',
      path: '/api/client/account',
      target: 0.4,
      prepare: async (ctx) => ({ authorization: `Bearer ${await apiKey(ctx)}` }),
    },
    {
      name: 'admin-nodes',
      title: 'GET /api/admin/nodes, 10 of 100 (admin API key)',
      path: '/api/admin/nodes?per_page=10',
      target: 0.3,
      prepare: async (ctx) => {
        const authorization = `Bearer ${await apiKey(ctx, { name: 'bench-nodes', allPermissions: true })}`
        await benchNodes(ctx, authorization, 100)
        return { authorization }
      },
    },
    allocationRange,
    {
      name: 'client-servers',
      title: `GET /api/client/servers, 10 of ${BENCH_SERVERS} (cookie)`,
      path: CLIENT_SERVERS,
      target: 0.3,
      prepare: (ctx) => serversOfBench(ctx, BENCH_SERVERS),
    },
    {
      name: 'client-server',
      title: 'GET /api/client/servers/{server} (cookie)',
      path: CLIENT_SERVER,
      target: 0.3,
      prepare: (ctx) => serversOfBench(ctx, BENCH_SERVERS),
    },
    // The files list (through the Wings double) and the backups list (issue 15).
    ...serverAreaScenarios(),
  ]
}

const CLIENT_SERVERS = '/api/client/servers?per_page=10'
// One in the middle of the bench admin's servers.
const CLIENT_SERVER = `/api/client/servers/${benchServerUuid(BENCH_SERVERS / 2)}`

/**
 * The bench admin owning BENCH_SERVERS servers among `total` servers of the database (the others
 * spread over 999 more accounts, `bench/servers.ts`); the admin's session cookie.
 */
async function serversOfBench(ctx: ScenarioContext, total: number): Promise<Record<string, string>> {
  const cookie = await sessionCookie(ctx)
  const [bench] = await ctx.db.query<{ uuid: string }>(sql`select uuid from users where username = ${BENCH_USER.username}`)
  await benchServers(ctx.db, bench.uuid, total)
  return { cookie }
}

/** `count` nodes in one location, created through the API (each with its own token). */
async function benchNodes(ctx: ScenarioContext, authorization: string, count: number): Promise<void> {
  const post = async (path: string, body: unknown) =>
    (await expectOk(
      await fetch(`${ctx.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify(body),
      }),
      `POST ${path}`,
    )) as Record<string, { uuid: string }>
  const { location } = await post('/api/admin/locations', { name: 'bench-nodes' })
  for (let i = 0; i < count; i++) {
    await post('/api/admin/nodes', {
      location_uuid: location.uuid,
      name: `bench-node-${i}`,
      deployment_enabled: true,
      maintenance_enabled: false,
      url: `https://node${i}.bench.example.com:8080`,
      sftp_port: 2022,
      memory: 65536,
      disk: 1048576,
    })
  }
}

const BENCH_NODE = 'b0000000-0000-4000-8000-00000000a110'

/**
 * `POST /api/admin/nodes/{node}/allocations` creating a 1,000-port range: `wrk/allocation-range.lua`
 * sends `port_ranges: ["20000-20999"]` on a new address each request, so every request inserts
 * 1,000 rows. The node is inserted in SQL (a fixed uuid, so the path is known up front).
 */
const allocationRange: Scenario = {
  name: 'allocation-range',
  title: 'POST …/nodes/{node}/allocations, 1,000-port range (cookie)',
  path: `/api/admin/nodes/${BENCH_NODE}/allocations`,
  // Each request writes 1,000 rows where bare answers a static body: 0.001 of bare (~25,000 req/s on
  // the 2-core machine) is ~25 requests, 25,000 rows, a second.
  target: 0.001,
  script: 'allocation-range.lua',
  prepare: async (ctx) => {
    await ctx.db.query(sql`
      with location as (insert into locations (name) values ('bench') returning uuid)
      insert into nodes (uuid, location_uuid, name, url, sftp_port, memory, disk, token_id, token)
      select ${BENCH_NODE}::uuid, uuid, 'bench', 'https://node.example.com:8080', 2022, 0, 0, 'benchtokenid0000', 'bench' from location`)
    const cookie = await sessionCookie(ctx)
    const response = await fetch(`${ctx.url}/api/admin/nodes/${BENCH_NODE}/allocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ ip: '192.0.2.1', port_ranges: ['20000-20999'] }),
    })
    const body = (await expectOk(response, 'POST /api/admin/nodes/{node}/allocations')) as { created?: unknown }
    if (body.created !== 1000) throw new Error(`a 1,000-port range created ${JSON.stringify(body.created)}`)
    return { cookie }
  },
}

const ACTIVITY_EVENTS = ['auth:success', 'account:update', 'api-key:create', 'ssh-key:create', 'command-snippet:create']
const OTHER_USERS = 3

/** The bench admin's uuid and those of OTHER_USERS more accounts, created once per run. */
function activityUsers(ctx: ScenarioContext): Promise<{ bench: string; others: string[] }> {
  return ctx.once('activity-users', async () => {
    await benchUser(ctx)
    for (let i = 0; i < OTHER_USERS; i++) {
      await ctx.cli([
        'users',
        'create',
        '--username',
        `other${i}`,
        '--email',
        `other${i}@example.com`,
        '--name-first',
        'O',
        '--name-last',
        'O',
        '--password',
        BENCH_USER.password,
        '--json',
      ])
    }
    const rows = await ctx.db.query<{ uuid: string; username: string }>(sql`select uuid, username from users`)
    const bench = rows.find((r) => r.username === BENCH_USER.username)
    if (!bench) throw new Error('the bench user is missing from the users table')
    return { bench: bench.uuid, others: rows.filter((r) => r !== bench).map((r) => r.uuid) }
  })
}

/**
 * Tops every account up to `rows` activity entries (the bench admin's and the others'), written
 * directly in SQL, interleaved across users and spread over the past `rows` minutes as a busy
 * panel would record them, then ANALYZEd as autovacuum would after such a batch.
 */
async function activityRows(ctx: ScenarioContext, rows: number): Promise<void> {
  const { bench, others } = await activityUsers(ctx)
  for (const user of [bench, ...others]) {
    const [{ n }] = await ctx.db.query<{ n: number }>(sql`select count(*)::int as n from user_activities where user_uuid = ${user}`)
    if (n >= rows) continue
    await ctx.db.query(sql`
      insert into user_activities (user_uuid, event, ip, data, created)
      select ${user}, (${sql.param(ACTIVITY_EVENTS)}::text[])[1 + i % ${ACTIVITY_EVENTS.length}], '127.0.0.1',
             jsonb_build_object('bench', i), now() - make_interval(mins => i)
      from generate_series(${n + 1}::int, ${rows}::int) as i`)
  }
  await ctx.db.query(sql`analyze user_activities`)
}

export function scalingScenarios(): ScalingScenario[] {
  const activity = (rows: number) => ({
    label: `${rows.toLocaleString('en-US')} rows`,
    prepare: async (ctx: ScenarioContext) => {
      await activityRows(ctx, rows)
      return { cookie: await sessionCookie(ctx) }
    },
  })
  return [
    {
      name: 'activity-scaling',
      title: 'GET /api/client/account/activity, first page',
      path: '/api/client/account/activity',
      target: 2,
      // Each of the OTHER_USERS accounts holds as many rows as the bench admin.
      steps: [activity(1_000), activity(100_000)],
    },
    // Each starts again from 100 servers (the fixture removes the others), so both can run.
    ...(
      [
        ['client-servers-scaling', `GET /api/client/servers, 10 of the ${BENCH_SERVERS} of one user`, CLIENT_SERVERS],
        ['client-server-scaling', 'GET /api/client/servers/{server}', CLIENT_SERVER],
      ] as const
    ).map(([name, title, path]) => ({
      name,
      title,
      path,
      target: 1.5,
      steps: [100, 10_000].map((total) => ({
        label: `${total.toLocaleString('en-US')} servers`,
        prepare: (ctx: ScenarioContext) => serversOfBench(ctx, total),
      })),
    })),
  ]
}

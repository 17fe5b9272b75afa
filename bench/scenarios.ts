import type { BenchOptions } from './options'

/** What a scenario's `prepare` may use: the running panel on PostgreSQL and its CLI. */
export interface ScenarioContext {
  /** Base URL of the panel, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Runs `panel <args>` with the panel's environment; resolves to stdout, throws on a non-zero exit. */
  cli(args: string[]): Promise<string>
  /** Runs `make` once per run and shares its promise, so scenarios can share a user or a login. */
  once<T>(key: string, make: () => Promise<T>): Promise<T>
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
  return ctx.once('user', () => ctx.cli(['users', 'create', '--username', username, '--email', email, '--name-first', 'B', '--name-last', 'B', '--password', password, '--admin', '--json']))
}

/** The bench admin's session cookie (`name=value`). */
function sessionCookie(ctx: ScenarioContext): Promise<string> {
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

async function apiKey(ctx: ScenarioContext): Promise<string> {
  const cookie = await sessionCookie(ctx)
  const response = await fetch(`${ctx.url}/api/client/account/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'bench', allowed_ips: [], user_permissions: [], admin_permissions: [], server_permissions: [], expires: null }),
  })
  const body = (await expectOk(response, 'POST /api/client/account/api-keys')) as { key?: unknown }
  if (typeof body.key !== 'string' || !body.key.startsWith('c7sp_')) throw new Error('POST /api/client/account/api-keys returned no c7sp_ key')
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
  ]
}

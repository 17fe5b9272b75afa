import { beforeAll, describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { Conflict, definePlugin, NotFound, PaginationQuery, wireReady, type ReadyContext } from '.'
import { createLogger } from './logger'
import { bundledPlugins, inlinePlugin, login, makeApiKey, makeUser, relaxRateLimits, useTestApp, type TestApp } from 'hatchery/testing'
import type { Principal } from './permissions'
import { updateUser } from '../../plugins/users/test-helpers'

// What the fixture's ready functions do: answer, decline (undefined) or break (throw).
const mode = { ready: 'answer' as 'answer' | 'decline' | 'throw' }
// The query as the route got it, keys sorted (its order is not what is compared).
const sorted = (query: Record<string, unknown>) => Object.fromEntries(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1)))
const answerOf = (principal?: Principal, query: Record<string, unknown> = {}, box: unknown = null) =>
  wireReady({ lane: true, caller: principal?.user.uuid ?? null, query: sorted(query), box })
const ready = ({ principal, query, resource }: ReadyContext) => {
  if (mode.ready === 'throw') throw new Error('ready broke')
  return mode.ready === 'answer' ? answerOf(principal, query, resource ?? null) : undefined
}

// A scope of the fixture (`/api/client/lane-boxes/:box`): `missing` is 404, `locked` 409, any other
// box grants `files.read`; its `ready` resolves the same, or declines (`scopeMode`).
const scopeMode = { ready: 'answer' as 'answer' | 'decline' }
function boxOf(id: string) {
  if (id === 'missing') throw new NotFound('box not found')
  if (id === 'locked') throw new Conflict('box is locked')
  return { resource: { id }, access: { permissions: ['files.read'] } }
}
const ListQuery = t.Object({ ...PaginationQuery.properties, other: t.Optional(t.Boolean()), ratio: t.Optional(t.Number()) })

const lanes = definePlugin({
  name: 'lanes',
  version: '1.0.0',
  setup(ctx) {
    ctx.kernel.provideScope(
      'client:lane-box',
      {
        path: '/lane-boxes/:box',
        catalog: 'server',
        resolve: async ({ params }) => boxOf(params.box) as never,
        ready: ({ params }) => (scopeMode.ready === 'answer' ? (boxOf(params.box) as never) : undefined),
        permits: ({ access, permission }) => (access as { permissions: string[] }).permissions.includes(permission),
      },
      ctx.plugin,
    )
  },
  routes: {
    'client:lane-box': (ctx) =>
      ctx
        .scope('client:lane-box')
        .get('', ({ principal, resource }) => answerOf(principal, {}, resource), { authenticated: true, ready })
        .get('/files', ({ principal, resource }) => answerOf(principal, {}, resource), { permission: 'server:files.read', ready })
        .get('/secrets', ({ principal, resource }) => answerOf(principal, {}, resource), { permission: 'server:settings.rename', ready })
        .get('/items/:item', ({ principal, resource }) => answerOf(principal, {}, resource), { authenticated: true, ready }),
    public: (ctx) => new Elysia().use(ctx.guard).get('/lanes/open', () => answerOf(), { ready }),
    client: (ctx) =>
      new Elysia()
        .use(ctx.guard)
        .get('/lanes/mine', ({ principal }) => answerOf(principal), { authenticated: true, ready })
        .get('/lanes/activity', ({ principal }) => answerOf(principal), { permission: 'user:activity.read', ready })
        .get('/lanes/open', () => answerOf(), { public: true, ready })
        .get('/lanes/list', ({ principal, query }) => answerOf(principal, query), { authenticated: true, query: ListQuery, ready })
        .get('/lanes/picky', ({ principal, query }) => answerOf(principal, query), {
          authenticated: true,
          query: t.Object({ kind: t.Optional(t.UnionEnum(['a', 'b'])) }),
          ready,
        })
        .get('/lanes/:id', ({ principal }) => answerOf(principal), { authenticated: true, ready }),
    admin: (ctx) =>
      new Elysia().use(ctx.guard).get('/lanes/stats', ({ principal }) => answerOf(principal), { permission: 'admin:stats.read', ready }),
  },
})

const plugins = async () => [...(await bundledPlugins()), inlinePlugin(lanes)]

// The same database served twice: with the ready lane, and by the full pipeline only.
const fast = useTestApp(async () => ({ plugins: await plugins() }))
const slow = useTestApp(async () => ({ plugins: await plugins(), db: fast.db, readyLane: false }))

interface Caller {
  name: string
  headers: Record<string, string>
}
let callers: Caller[]
let admin: Caller
let narrowed: Caller

beforeAll(async () => {
  await relaxRateLimits(fast)
  await relaxRateLimits(slow)
  const user = await makeUser(fast)
  const cookie = await login(fast, user)
  const boss = await makeUser(fast, { admin: true })
  const bossCookie = await login(fast, boss)
  const suspended = await makeUser(fast)
  const suspendedCookie = await login(fast, suspended)
  await updateUser(fast, suspended.uuid, { suspended: true }, [fast, slow])
  admin = { name: 'admin cookie', headers: { cookie: bossCookie } }
  narrowed = {
    name: 'narrowed key',
    headers: { authorization: `Bearer ${(await makeApiKey(fast, cookie, { user_permissions: [] })).key}` },
  }
  callers = [
    { name: 'nobody', headers: {} },
    { name: 'cookie', headers: { cookie } },
    { name: 'api key', headers: { authorization: `Bearer ${(await makeApiKey(fast, cookie)).key}` } },
    admin,
    narrowed,
    { name: 'impersonating', headers: { cookie: bossCookie, 'calagopus-user': user.uuid } },
    { name: 'suspended', headers: { cookie: suspendedCookie } },
    { name: 'bad cookie', headers: { cookie: `${cookie.split('=')[0]}=${'a'.repeat(16)}:${'b'.repeat(64)}` } },
    { name: 'bad key', headers: { authorization: `Bearer c7sp_${'x'.repeat(43)}` } },
    { name: 'malformed key', headers: { authorization: 'Bearer nope' } },
  ]
})

const ACCEPT = { json: 'application/json', msgpack: 'application/msgpack', xml: 'text/xml' }

async function call(t: TestApp, path: string, headers: Record<string, string>, init: RequestInit = {}) {
  const before = t.readyLane.answered
  const res = await t.handle(new Request(`http://localhost${path}`, { ...init, headers }))
  const bytes = new Uint8Array(await res.arrayBuffer())
  return { res, bytes, text: new TextDecoder().decode(bytes), viaLane: t.readyLane.answered > before }
}

// A response with what differs by nature between two requests taken out: the request id, the
// settings' `time`, and the expiry date of a refreshed session cookie.
function comparable(r: Awaited<ReturnType<typeof call>>) {
  const type = r.res.headers.get('content-type') ?? ''
  const body =
    r.text === ''
      ? ''
      : type.includes('json')
        ? JSON.stringify({ ...JSON.parse(r.text), time: undefined })
        : type.includes('xml')
          ? r.text.replace(/<time>[^<]*<\/time>/, '')
          : null
  const headers = [...r.res.headers].filter(([k]) => k !== 'x-request-id' && k !== 'date' && k !== 'content-length')
  return {
    status: r.res.status,
    headers: headers.map(([k, v]) => [k, k === 'set-cookie' ? v.replace(/expires=[^;]*/i, '') : v]),
    body: body ?? (r.text.includes('time') ? `${r.bytes.length} bytes` : r.text),
    id: /^[0-9a-f-]{36}$/.test(r.res.headers.get('x-request-id') ?? ''),
  }
}

// Whether the lane answers this request: once a second a cache (settings, credentials) is
// reloaded and one request takes the pipeline, so three tries in a row.
async function laneAnswers(t: TestApp, path: string, headers: Record<string, string>): Promise<boolean> {
  for (let i = 0; i < 3; i++) if ((await call(t, path, headers)).viaLane) return true
  return false
}

const PATHS = [
  '/api/settings',
  '/api/client/account',
  '/api/client/lanes/mine',
  '/api/client/lanes/activity',
  '/api/client/lanes/open',
  '/api/admin/lanes/stats',
  '/api/lanes/open',
  '/api/client/lanes/list?page=2&per_page=5&search=abc&other=true',
  '/api/client/servers?per_page=5',
  '/api/client/servers',
  '/api/client/lane-boxes/b1',
  '/api/client/lane-boxes/b1/files',
  '/api/client/lane-boxes/b1/secrets',
  '/api/client/lane-boxes/missing',
  '/api/client/lane-boxes/locked/files',
]

describe('the ready lane', () => {
  test('answers exactly what the full pipeline answers, for every caller, route and encoding', async () => {
    let viaLane = 0
    for (const path of PATHS) {
      for (const caller of callers) {
        for (const [format, accept] of Object.entries(ACCEPT)) {
          const headers = { ...caller.headers, accept }
          const a = await call(fast, path, headers)
          const b = await call(slow, path, headers)
          const what = `${path} as ${caller.name} in ${format}`
          expect({ what, ...comparable(a) }).toEqual({ what, ...comparable(b) })
          expect(b.viaLane).toBe(false)
          // Only answers are the lane's; every refusal comes from the pipeline.
          if (a.viaLane) {
            viaLane++
            expect({ what, status: a.res.status }).toEqual({ what, status: 200 })
          }
        }
      }
    }
    expect(viaLane).toBeGreaterThan(50)
  })

  test('takes the answers it can give, and leaves the rest to the pipeline', async () => {
    const cookie = callers[1].headers
    expect(await laneAnswers(fast, '/api/client/account', cookie)).toBe(true)
    expect(await laneAnswers(fast, '/api/settings', {})).toBe(true)
    expect(await laneAnswers(fast, '/api/client/lanes/mine', narrowed.headers)).toBe(true)
    expect(await laneAnswers(fast, '/api/client/servers?per_page=5', cookie)).toBe(true)
    // Under a scope whose filler resolves without waiting.
    expect(await laneAnswers(fast, '/api/client/lane-boxes/b1', cookie)).toBe(true)
    expect(await laneAnswers(fast, '/api/client/lane-boxes/b2/files', cookie)).toBe(true)
    // Refused: not the lane's.
    expect((await call(fast, '/api/client/lanes/activity', narrowed.headers)).res.status).toBe(403)
    expect((await call(fast, '/api/client/lanes/activity', narrowed.headers)).viaLane).toBe(false)
    expect((await call(fast, '/api/admin/lanes/stats', cookie)).viaLane).toBe(false)
    for (const [path, init] of [
      ['/api/settings?x=1', {}],
      ['/api/settings/', {}],
      ['/api/settin%67s', {}],
      ['/api/settings', { method: 'HEAD' }],
      ['/api/client/lanes/some-id', {}],
      ['/api/client/lane-boxes/b1/', {}],
      ['/api/client/lane-boxes/b1/items/x', {}],
      ['/api/client/lane-boxes/b1/secrets', {}],
      ['/api/client/lane-boxes/missing', {}],
      ['/api/client/lane-boxes/locked', {}],
      ['/api/client/lane-boxes/b%31', {}],
    ] as const) {
      const lane = await call(fast, path, cookie, init)
      const full = await call(slow, path, cookie, init)
      expect({ path, ...comparable(lane) }).toEqual({ path, ...comparable(full) })
      expect({ path, viaLane: lane.viaLane }).toEqual({ path, viaLane: false })
    }
  })

  test("a query: the plain ones are the lane's, typed as the handler gets them; every other answer is the same as the pipeline's", async () => {
    const cookie = callers[1].headers
    const taken = ['', '?', '?page=2', '?per_page=100&page=1', '?search=abc', '?search=', '?other=true', '?other=false&page=3', '?ratio=-4']
    const left = [
      '?page=0',
      '?per_page=101',
      '?page=01',
      '?page=1.0',
      '?page=1e1',
      '?page=%31',
      '?page=1&page=2',
      '?page',
      '?&page=1',
      '?other=1',
      '?other=TRUE',
      '?search=a+b',
      '?search=a%20b',
      '?search=a=b',
      `?search=${'x'.repeat(129)}`,
      '?unknown=1',
      '?page=x',
      '?ratio=1.5',
    ]
    for (const [queries, lane] of [
      [taken, true],
      [left, false],
    ] as const) {
      for (const q of queries) {
        const path = `/api/client/lanes/list${q}`
        for (const accept of Object.values(ACCEPT)) {
          const a = await call(fast, path, { ...cookie, accept })
          const b = await call(slow, path, { ...cookie, accept })
          expect({ path, ...comparable(a) }).toEqual({ path, ...comparable(b) })
          // Taken: the lane answers (but once a second a cache reload sends one to the pipeline).
          if (!lane) expect({ path, viaLane: a.viaLane }).toEqual({ path, viaLane: false })
        }
        if (lane) expect({ path, viaLane: await laneAnswers(fast, path, cookie) }).toEqual({ path, viaLane: true })
      }
    }
    expect(JSON.parse((await call(fast, '/api/client/lanes/list?page=2&other=true&ratio=-4', cookie)).text).query).toEqual({
      other: true,
      page: 2,
      ratio: -4,
    })
    // A query schema the lane cannot read (a union): the route's queries all go to the pipeline.
    for (const path of ['/api/client/lanes/picky', '/api/client/lanes/picky?kind=a', '/api/client/lanes/picky?kind=c']) {
      const a = await call(fast, path, cookie)
      expect({ path, ...comparable(a) }).toEqual({ path, ...comparable(await call(slow, path, cookie)) })
      expect({ path, viaLane: a.viaLane }).toEqual({ path, viaLane: false })
    }
  })

  test("a scope whose filler's ready declines: the pipeline resolves it and answers", async () => {
    try {
      scopeMode.ready = 'decline'
      const r = await call(fast, '/api/client/lane-boxes/b1', callers[1].headers)
      expect([r.viaLane, r.res.status, JSON.parse(r.text).box]).toEqual([false, 200, { id: 'b1' }])
    } finally {
      scopeMode.ready = 'answer'
    }
  })

  test('a ready function that declines or breaks leaves the request to its handler', async () => {
    try {
      for (const m of ['decline', 'throw'] as const) {
        mode.ready = m
        const r = await call(fast, '/api/client/lanes/mine', callers[1].headers)
        expect(r.viaLane).toBe(false)
        expect(r.res.status).toBe(200)
        expect(JSON.parse(r.text).lane).toBe(true)
      }
    } finally {
      mode.ready = 'answer'
    }
  })

  test("a switched-off plugin's route answers 404 as on the full pipeline", async () => {
    const hidden = fast.routes.hidden
    fast.routes.hidden = (p) => p === 'lanes'
    try {
      const r = await call(fast, '/api/client/lanes/mine', callers[1].headers)
      expect(r.viaLane).toBe(false)
      expect(r.res.status).toBe(404)
    } finally {
      fast.routes.hidden = hidden
    }
  })

  test('counts each request once against the namespace rate limit, on either path', async () => {
    const limit = { hits: 3, window_seconds: 60 }
    await fast.kernel.settings.update({ 'ratelimits.client': limit })
    try {
      for (const m of ['answer', 'decline'] as const) {
        mode.ready = m
        const ip = m === 'answer' ? '10.9.0.1' : '10.9.0.2'
        const statuses: number[] = []
        for (let i = 0; i < 4; i++) {
          const res = await fast.handle(new Request('http://localhost/api/client/lanes/mine', { headers: callers[1].headers }), { ip })
          statuses.push(res.status)
          if (res.status === 429) {
            expect(res.headers.get('retry-after')).toBeTruthy()
            expect(res.headers.get('x-request-id')).toBeTruthy()
            expect(await res.json()).toEqual({ errors: [expect.stringContaining('')] })
          }
        }
        expect({ m, statuses }).toEqual({ m, statuses: [200, 200, 200, 429] })
      }
    } finally {
      mode.ready = 'answer'
      await relaxRateLimits(fast)
    }
  })

  test('through fetch: answers without a promise and logs one line with its request id', async () => {
    const lines: Record<string, any>[] = []
    const log = createLogger({ level: 'info', write: (line) => void lines.push(JSON.parse(line)) })
    const kernelLog = fast.kernel.log
    ;(fast.kernel as { log: typeof log }).log = log
    try {
      const server = { requestIP: () => ({ address: '192.0.2.7' }) }
      // A cache reloaded in between sends one request down the pipeline: take the first that is not.
      let res: Response | Promise<Response> | undefined
      for (let i = 0; i < 3 && !(res instanceof Response); i++) {
        res = fast.fetch(new Request('http://localhost/api/client/account', { headers: callers[1].headers }), server)
        await res
      }
      expect(res).toBeInstanceOf(Response)
      const id = (res as Response).headers.get('x-request-id')
      const logged = lines.filter((l) => l.msg === 'request')
      expect(logged.at(-1)).toMatchObject({ method: 'GET', path: '/api/client/account', status: 200, request_id: id, ip: '192.0.2.7' })
      expect(logged.filter((l) => l.request_id === id)).toHaveLength(1)
      const count = logged.length
      const refused = await fast.fetch(new Request('http://localhost/api/client/account'), server)
      expect(refused.status).toBe(401)
      const after = lines.filter((l) => l.msg === 'request')
      expect(after).toHaveLength(count + 1)
      expect(after.at(-1)).toMatchObject({ status: 401, request_id: refused.headers.get('x-request-id'), ip: '192.0.2.7' })
    } finally {
      ;(fast.kernel as { log: typeof log }).log = kernelLog
    }
  })
})

describe('the ready lane with the rate limit counted in Redis', () => {
  const redisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379'
  const shared = useTestApp(async () => ({ plugins: await plugins(), db: fast.db, env: { REDIS_URL: redisUrl } }))

  test('waits for the count, then answers what the full pipeline answers', async () => {
    // The lane's answer is a promise while Redis counts (of undefined while the caller's
    // credentials are not cached yet: the pipeline then loads them).
    let answered: unknown
    for (let i = 0; i < 50 && !(answered instanceof Response); i++) {
      const pending = shared.readyLane.answer(new Request('http://localhost/api/client/lanes/mine', { headers: callers[1].headers }))
      if (pending instanceof Promise) answered = await pending
      if (answered === undefined) await call(shared, '/api/client/lanes/mine', callers[1].headers)
    }
    expect(answered).toBeInstanceOf(Response)
    expect((answered as Response).status).toBe(200)
    let viaLane = 0
    for (const path of PATHS) {
      for (const caller of callers) {
        const headers = { ...caller.headers, accept: ACCEPT.json }
        const a = await call(shared, path, headers)
        const b = await call(slow, path, headers)
        const what = `${path} as ${caller.name}`
        expect({ what, ...comparable(a) }).toEqual({ what, ...comparable(b) })
        if (a.viaLane) {
          viaLane++
          expect({ what, status: a.res.status }).toEqual({ what, status: 200 })
        }
      }
    }
    expect(viaLane).toBeGreaterThan(20)
  })

  test('counts each request once; the 429 is the pipeline’s', async () => {
    await shared.kernel.settings.update({ 'ratelimits.client': { hits: 3, window_seconds: 60 } })
    try {
      for (const m of ['answer', 'decline'] as const) {
        mode.ready = m
        const ip = `10.10.${Math.floor(Math.random() * 250)}.${m === 'answer' ? 1 : 2}`
        const statuses: number[] = []
        for (let i = 0; i < 4; i++) {
          const res = await shared.handle(new Request('http://localhost/api/client/lanes/mine', { headers: callers[1].headers }), { ip })
          statuses.push(res.status)
          if (res.status === 429) expect(await res.json()).toEqual({ errors: [expect.any(String)] })
        }
        expect({ m, statuses }).toEqual({ m, statuses: [200, 200, 200, 429] })
      }
    } finally {
      mode.ready = 'answer'
      await relaxRateLimits(shared)
    }
  })
})

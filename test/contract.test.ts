import { describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { sql } from 'drizzle-orm'
import { definePlugin, readRawBody } from '../src/kernel'
import { login, makeUser, useTestApp, type Encoding } from 'hatchery/testing'
import { withFixtures } from './helpers/plugins'

const Body = t.Object({
  name: t.String({ minLength: 3 }),
  count: t.Integer({ minimum: 1 }),
  enabled: t.Boolean(),
  tags: t.Array(t.String()),
  note: t.Nullable(t.String()),
  nested: t.Optional(t.Object({ level: t.Integer() })),
})

// Routes the contract suite mounts: one of each kind of answer the kernel must shape.
const contract = definePlugin({
  name: 'contract',
  version: '1.0.0',
  routes: {
    public: (ctx) =>
      new Elysia({ prefix: '/contract' })
        .use(ctx.guard)
        .get('/shapes', () => ({
          shapes: {
            when: new Date('2025-08-22T12:04:05.000Z'),
            precise: new Date('2025-08-22T12:04:05.123Z'),
            none: null,
            list: ['a', 'b'],
            empty: [],
            images: { 'Java 21': 'ghcr.io/java:21', '1st': 'x', 'a:b': 'y', plain_key: 'z' },
            text: 'a < b & "c"',
          },
        }))
        .post('/echo', ({ body }) => ({ echo: body }), { body: Body })
        .get('/boom', () => {
          throw new Error('database password is hunter2')
        })
        .post('/missing-parent', async () => {
          await ctx.db.execute(
            sql`insert into user_sessions (user_uuid, key_id, key_hash, ip, user_agent) values (gen_random_uuid(), 'k', 'h', '127.0.0.1', 'x')`,
          )
          return {}
        })
        .post('/null-column', async () => {
          await ctx.db.execute(sql`insert into greeter_greetings (name) values (null)`)
          return {}
        })
        .put('/raw', async ({ request }) => ({ bytes: (await readRawBody(request, 2 * 1024 * 1024)).byteLength }), { rawBody: true }),
  },
})

describe('wire conventions', () => {
  const t = useTestApp(async () => ({ plugins: await withFixtures(contract) }))
  const debug = useTestApp(async () => ({ plugins: await withFixtures(contract), env: { APP_DEBUG: 'true' } }))

  const body = { name: 'widget', count: 3, enabled: true, tags: ['x', 'y'], note: null, nested: { level: 2 } }

  for (const as of ['json', 'msgpack', 'xml'] as Encoding[]) {
    const type = { json: 'application/json', msgpack: 'application/msgpack', xml: 'text/xml' }[as]
    // XML answers are strings in a <Response> tree; normalise before comparing.
    const unwrap = (b: any) => (as === 'xml' ? b.Response : b)

    describe(`in ${as}`, () => {
      test('a success answers in the negotiated type with Vary and X-Request-Id', async () => {
        const res = await t.request('GET', '/api/contract/shapes', { as })
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toStartWith(type)
        expect(res.headers.get('vary')).toBe('Accept')
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
        const shapes = unwrap(res.body).shapes
        expect(shapes.when).toBe('2025-08-22T12:04:05Z')
        expect(shapes.precise).toBe('2025-08-22T12:04:05.123Z')
        expect(shapes.text).toBe('a < b & "c"')
        if (as === 'xml') {
          expect(res.text).toStartWith('<Response>')
          expect(res.text).toContain('<entry key="Java 21">ghcr.io/java:21</entry>')
          expect(res.text).toContain('<list>a</list><list>b</list>')
          expect(res.text).toContain('<none/>')
        } else {
          expect(shapes.none).toBeNull()
          expect(shapes.list).toEqual(['a', 'b'])
          expect(shapes.empty).toEqual([])
          expect(shapes.images['Java 21']).toBe('ghcr.io/java:21')
        }
      })

      test('a body in the same encoding is parsed and typed by the route schema', async () => {
        const res = await t.request('POST', '/api/contract/echo', { as, body })
        expect(res.status).toBe(200)
        if (as === 'xml') expect(unwrap(res.body).echo).toMatchObject({ name: 'widget', count: '3', enabled: 'true', tags: ['x', 'y'] })
        else expect(res.body.echo).toEqual(body)
      })

      test('validation failure → 400 with every field: message', async () => {
        const res = await t.request('POST', '/api/contract/echo', { as, body: { ...body, name: 'ab', count: 0 } })
        expect(res.status).toBe(400)
        expect(res.headers.get('content-type')).toStartWith(type)
        const errors = unwrap(res.body).errors
        expect(errors).toContain('name: length is lower than 3')
        expect(errors).toContain('count: lower than 1')
        const { name: _omitted, ...rest } = body
        const missing = await t.request('POST', '/api/contract/echo', { as, body: rest })
        expect(missing.status).toBe(400)
        expect(unwrap(missing.body).errors).toEqual(as === 'xml' ? 'name: required' : ['name: required'])
      })

      test('unknown path → 404 route not found', async () => {
        const res = await t.request('GET', '/api/contract/nope', { as })
        expect(res.status).toBe(404)
        expect(unwrap(res.body).errors).toEqual(as === 'xml' ? 'route not found' : ['route not found'])
        expect(res.headers.get('vary')).toBe('Accept')
        expect(res.headers.get('x-request-id')).toBeTruthy()
      })

      test('wrong method on a known path → 405 with Allow', async () => {
        const res = await t.request('DELETE', '/api/contract/shapes', { as })
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe('GET')
        expect(unwrap(res.body).errors).toBeDefined()
      })

      test('an unexpected error → 500 without internals', async () => {
        const res = await t.request('GET', '/api/contract/boom', { as })
        expect(res.status).toBe(500)
        expect(unwrap(res.body).errors).toEqual(as === 'xml' ? 'internal server error' : ['internal server error'])
        expect(res.text).not.toContain('hunter2')
        expect(res.text).not.toContain('at ')
      })

      test('PostgreSQL errors map: 23505 → 409, 23503 → 404, 23502 → 400', async () => {
        const user = await makeUser(t)
        const cookie = await login(t, user)
        const name = `n${as}`
        expect((await t.request('POST', '/api/client/greetings', { as, cookie, body: { name } })).status).toBe(200)
        const dup = await t.request('POST', '/api/client/greetings', { as, cookie, body: { name } })
        expect(dup.status).toBe(409)
        expect(unwrap(dup.body).errors).toEqual(as === 'xml' ? 'greeting with name already exists' : ['greeting with name already exists'])
        const fk = await t.request('POST', '/api/contract/missing-parent', { as })
        expect(fk.status).toBe(404)
        expect(fk.text).not.toContain('user_sessions_user_uuid')
        expect((await t.request('POST', '/api/contract/null-column', { as })).status).toBe(400)
      })
    })
  }

  test('APP_DEBUG shows the error text of a 500', async () => {
    const res = await debug.request('GET', '/api/contract/boom')
    expect(res.status).toBe(500)
    expect(res.body.errors).toEqual(['database password is hunter2'])
  })

  describe('request bodies', () => {
    test('JSON with a charset parameter is accepted', async () => {
      const res = await t.request('POST', '/api/contract/echo', {
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      })
      expect(res.status).toBe(200)
    })

    test('application/xml is accepted like text/xml', async () => {
      const xml = '<x><name>widget</name><count>2</count><enabled>false</enabled><tags>only</tags><note/></x>'
      const res = await t.request('POST', '/api/contract/echo', { body: xml, headers: { 'content-type': 'application/xml' } })
      expect(res.status).toBe(200)
      expect(res.body.echo).toEqual({ name: 'widget', count: 2, enabled: false, tags: ['only'], note: null })
    })

    test.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'application/yaml'])(
      '%s → 400 unsupported content type',
      async (type) => {
        const res = await t.request('POST', '/api/contract/echo', { body: 'name=widget', headers: { 'content-type': type } })
        expect(res.status).toBe(400)
        expect(res.body.errors).toEqual(['invalid payload: unsupported content type'])
      },
    )

    test('a body without Content-Type → 400', async () => {
      const res = await t.request('POST', '/api/contract/echo', { body: '{"name":"widget"}', headers: { 'content-type': '' } })
      expect(res.status).toBe(400)
      expect(res.body.errors[0]).toStartWith('invalid payload')
    })

    test('malformed JSON, MessagePack and XML → 400 invalid payload', async () => {
      for (const [type, raw] of [
        ['application/json', '{"name":'],
        ['application/msgpack', new Uint8Array([0xc1])],
        ['text/xml', '<a><b></a>'],
      ] as const) {
        const res = await t.request('POST', '/api/contract/echo', { body: raw as string, headers: { 'content-type': type } })
        expect(res.status).toBe(400)
        expect(res.body.errors[0]).toStartWith('invalid payload: ')
      }
    })

    test('XML entities are never expanded', async () => {
      const bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x><name>&b;</name></x>'
      const res = await t.request('POST', '/api/contract/echo', { body: bomb, headers: { 'content-type': 'text/xml' } })
      expect(res.status).toBe(400)
      const external = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x><name>&e;</name></x>'
      expect((await t.request('POST', '/api/contract/echo', { body: external, headers: { 'content-type': 'text/xml' } })).status).toBe(400)
    })

    test('over 2 MiB → 413 with an errors body', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) })
      const res = await t.request('POST', '/api/contract/echo', { body: big, headers: { 'content-type': 'application/json' } })
      expect(res.status).toBe(413)
      expect(res.body.errors[0]).toContain('payload too large')
    })

    test('a raw-body route takes any content type, still capped at 2 MiB', async () => {
      const ok = await t.request('PUT', '/api/contract/raw', { body: new Uint8Array(1000), headers: { 'content-type': 'image/png' } })
      expect(ok.status).toBe(200)
      expect(ok.body.bytes).toBe(1000)
      const big = await t.request('PUT', '/api/contract/raw', {
        body: new Uint8Array(2 * 1024 * 1024 + 1),
        headers: { 'content-type': 'image/png' },
      })
      expect(big.status).toBe(413)
    })
  })

  describe('pagination', () => {
    test('page, per_page, search and a true total past the last page', async () => {
      const user = await makeUser(t)
      const cookie = await login(t, user)
      for (const n of ['alpha', 'beta', 'gamma', 'alphabet'])
        await t.kernel.database.query(sql`insert into greeter_greetings (name) values (${`p-${n}`})`)
      const first = await t.request('GET', '/api/client/greetings?per_page=2&search=p-', { cookie })
      expect(first.status).toBe(200)
      expect(first.body.greetings).toMatchObject({ total: 4, per_page: 2, page: 1 })
      expect(first.body.greetings.data).toHaveLength(2)
      const past = await t.request('GET', '/api/client/greetings?per_page=2&page=9&search=p-', { cookie })
      expect(past.body.greetings).toEqual({ total: 4, per_page: 2, page: 9, data: [] })
      const alpha = await t.request('GET', '/api/client/greetings?search=P-ALPHA', { cookie })
      expect(alpha.body.greetings.data.map((g: any) => g.name)).toEqual(['p-alpha', 'p-alphabet'])
      const defaults = await t.request('GET', '/api/client/greetings?search=', { cookie })
      expect(defaults.body.greetings.per_page).toBe(10)
      expect(defaults.body.greetings.page).toBe(1)
    })

    test('a % in search matches literally', async () => {
      const cookie = await login(t, await makeUser(t))
      const res = await t.request('GET', '/api/client/greetings?search=%25', { cookie })
      expect(res.body.greetings.total).toBe(0)
    })

    test.each([
      ['page=0', 'page: lower than 1'],
      ['per_page=101', 'per_page: greater than 100'],
      ['per_page=0', 'per_page: lower than 1'],
      ['page=abc', 'page: expected an integer'],
      [`search=${'s'.repeat(129)}`, 'search: length is greater than 128'],
    ])('%s → 400 %s', async (query, message) => {
      const cookie = await login(t, await makeUser(t))
      const res = await t.request('GET', `/api/client/greetings?${query}`, { cookie })
      expect(res.status).toBe(400)
      expect(res.body.errors).toContain(message)
    })
  })
})

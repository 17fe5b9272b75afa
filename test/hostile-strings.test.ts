import { beforeAll, describe, expect, test } from 'bun:test'
import { Packr } from 'msgpackr'
import { adminCaller, useTestApp, type AdminCaller, type Encoding, type TestResponse } from 'hatchery/testing'

// Every route of every bundled plugin, read from /openapi.json, fed NUL bytes, unpaired
// surrogates and bytes that are not UTF-8 where it takes text: never a 5xx, always a 400.
const t = useTestApp()
let admin: AdminCaller
let routes: { method: string; path: string; op: any }[]
/** `<token_id>.<token>` of a node: `/api/remote` is for nodes, so its routes get past authentication too. */
let node: string
const callerOf = (route: { path: string }) => (route.path.startsWith('/api/remote') ? { token: node } : { cookie: admin.cookie })

const HOSTILE = /^[\w.[\]]+: (field names )?must not contain NUL bytes or invalid unicode$/
const NUL = 'a\u0000b'
const SURROGATE = 'a\uD800b'
const MARK = 'HOSTILE-MARK'
// MARK's length in bytes: an encoded surrogate (ED A0 80) in place of it keeps every str header right.
const CESU_SURROGATE = [0x61, 0xed, 0xa0, 0x80, ...Buffer.from('bbbbbbbb')]
const packr = new Packr({ useRecords: false })

/** MessagePack with the bytes of a lone surrogate where MARK was: what a lenient client could send. */
function msgpackWithSurrogate(value: unknown): Uint8Array {
  const bytes = packr.pack(value)
  const mark = Buffer.from(MARK)
  for (let at = bytes.indexOf(mark); at !== -1; at = bytes.indexOf(mark, at + 1)) bytes.set(CESU_SURROGATE, at)
  return bytes
}

beforeAll(async () => {
  const many = { hits: 100_000, window_seconds: 60 }
  const limits = t.kernel.settings.keys().filter((k) => k.startsWith('ratelimits.'))
  await t.kernel.settings.update(Object.fromEntries(limits.map((k) => [k, many])))
  admin = await adminCaller(t)
  const location = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: 'hostile' } })
  const made = await t.request('POST', '/api/admin/nodes', {
    cookie: admin.cookie,
    body: {
      location_uuid: location.body.location.uuid,
      name: 'hostile',
      deployment_enabled: true,
      maintenance_enabled: false,
      url: 'http://127.0.0.1:1',
      sftp_port: 2022,
      memory: 1,
      disk: 1,
    },
  })
  const token = (await t.request('GET', `/api/admin/nodes/${made.body.node.uuid}/token`, { cookie: admin.cookie })).body
  node = `${token.token_id}.${token.token}`
  const doc = (await t.request('GET', '/openapi.json')).body
  routes = Object.entries<any>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<any>(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  )
})

const params = (op: any, where: string): any[] => (op.parameters ?? []).filter((p: any) => p.in === where)
const VALID_ID = '00000000-0000-4000-8000-000000000000'

/** The route's path with each parameter a plausible value, or `hostile` (already URL-encoded) for one of them. */
function fill(route: { path: string; op: any }, hostile?: { name: string; raw: string }): string {
  return route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (hostile?.name === name) return hostile.raw
    const type = params(route.op, 'path').find((p) => p.name === name)?.schema?.type
    return type === 'integer' || type === 'number' ? '1' : VALID_ID
  })
}

/** A body after the schema with `text` in every string field (and one more field when it has none). */
function sample(schema: any, text: string): unknown {
  if (!schema || typeof schema !== 'object') return text
  if (schema.const !== undefined) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (Array.isArray(schema.anyOf)) return sample(schema.anyOf.find((b: any) => b.type !== 'null') ?? schema.anyOf[0], text)
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [k, sub] of Object.entries<any>(schema.properties ?? {})) out[k] = sample(sub, text)
      const extra = schema.patternProperties ? Object.values(schema.patternProperties)[0] : schema.additionalProperties
      if (extra && typeof extra === 'object') out.key = sample(extra, text)
      return out
    }
    case 'array':
      return [sample(schema.items, text)]
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return false
    case 'null':
      return null
    default:
      return text
  }
}

function hostileBody(schema: any, text: string): Record<string, unknown> {
  const body = sample(schema, text)
  const doc = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  return JSON.stringify(doc).includes(JSON.stringify(text).slice(1, -1)) ? doc : { ...doc, note: text }
}

function xmlOf(value: unknown, name = 'root'): string {
  if (Array.isArray(value)) return value.map((v) => xmlOf(v, name)).join('')
  if (value === null || value === undefined) return `<${name}/>`
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => xmlOf(v, k))
      .join('')}</${name}>`
  return `<${name}>${String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${name}>`
}

const describeFailure = (what: string, res: TestResponse) => `${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`

/** Sends each case; returns the ones that did not answer 400 with an acceptable message. */
async function refusals(cases: { what: string; send: () => Promise<TestResponse>; message?: RegExp }[]): Promise<string[]> {
  const wrong: string[] = []
  for (const c of cases) {
    const res = await c.send()
    const errors: string[] = res.body?.errors ?? res.body?.Response?.errors ?? []
    const texts = Array.isArray(errors) ? errors : [errors]
    if (res.status !== 400 || (c.message && !texts.some((e) => c.message!.test(String(e))))) wrong.push(describeFailure(c.what, res))
  }
  return wrong
}

describe('every route refuses hostile text', () => {
  test('a NUL byte or non-UTF-8 bytes in a path parameter: 400 naming the parameter, in each encoding', async () => {
    const cases = routes.flatMap((route) =>
      params(route.op, 'path').flatMap((p) =>
        (['json', 'msgpack', 'xml'] as Encoding[]).flatMap((as) => [
          {
            what: `${route.method} ${route.path} ${p.name}=%00 (${as})`,
            send: () => t.request(route.method, fill(route, { name: p.name, raw: 'a%00b' }), { as, ...callerOf(route) }),
            message: as === 'xml' ? undefined : new RegExp(`^${p.name}: must not contain NUL bytes or invalid unicode$`),
          },
          {
            what: `${route.method} ${route.path} ${p.name}=%ED%A0%80 (${as})`,
            send: () => t.request(route.method, fill(route, { name: p.name, raw: 'a%ED%A0%80' }), { as, ...callerOf(route) }),
          },
        ]),
      ),
    )
    expect(cases.length).toBeGreaterThan(60)
    expect(await refusals(cases)).toEqual([])
  })

  test('search=%00x and a second hostile query parameter on every GET: 400 naming the parameter', async () => {
    const gets = routes.filter((r) => r.method === 'GET' && !r.path.startsWith('/openapi') && !r.path.startsWith('/api/docs'))
    const cases = gets.flatMap((route) => {
      const other = params(route.op, 'query').find((p) => p.name !== 'search')?.name ?? 'filter'
      return [
        {
          what: `GET ${route.path}?search=%00x`,
          send: () => t.request('GET', `${fill(route)}?search=%00x`, { ...callerOf(route) }),
          message: /^search: must not contain/,
        },
        {
          what: `GET ${route.path}?search=%ED%A0%80`,
          send: () => t.request('GET', `${fill(route)}?search=%ED%A0%80`, { ...callerOf(route) }),
          message: /^search: must not contain/,
        },
        {
          what: `GET ${route.path}?page=1&${other}=x%00`,
          send: () => t.request('GET', `${fill(route)}?page=1&${other}=x%00`, { ...callerOf(route), as: 'msgpack' }),
          message: new RegExp(`^${other}: must not contain`),
        },
      ]
    })
    expect(gets.length).toBeGreaterThan(20)
    expect(await refusals(cases)).toEqual([])
  })

  test('a NUL byte or an unpaired surrogate in body strings and keys: 400 in JSON, MessagePack and XML', async () => {
    const withBody = routes.filter((r) => r.op.requestBody?.content?.['application/json'])
    const cases = withBody.flatMap((route) => {
      const schema = route.op.requestBody.content['application/json'].schema
      const path = fill(route)
      const send = (as: Encoding, body: unknown) => () => t.request(route.method, path, { as, body, ...callerOf(route) })
      const xml = (replacement: string) => xmlOf(hostileBody(schema, MARK)).replaceAll(MARK, replacement)
      const at = `${route.method} ${route.path}`
      return [
        { what: `${at} NUL (json)`, send: send('json', hostileBody(schema, NUL)), message: HOSTILE },
        { what: `${at} surrogate (json)`, send: send('json', hostileBody(schema, SURROGATE)), message: HOSTILE },
        {
          what: `${at} NUL key (json)`,
          send: send('json', { ...hostileBody(schema, 'x'), [NUL]: 'x' }),
          message: /^body: field names must not contain/,
        },
        { what: `${at} NUL (msgpack)`, send: send('msgpack', hostileBody(schema, NUL)), message: HOSTILE },
        // UTF-8 cannot carry a lone surrogate: its three bytes are refused as not UTF-8
        {
          what: `${at} surrogate (msgpack)`,
          send: send('msgpack', msgpackWithSurrogate(hostileBody(schema, MARK))),
          message: /^invalid payload: body is not valid UTF-8$/,
        },
        // XML 1.0 carries neither, raw or as a character reference
        { what: `${at} NUL (xml)`, send: send('xml', xml('\u0000')) },
        { what: `${at} &#0; (xml)`, send: send('xml', xml('&#0;')) },
        { what: `${at} &#xD800; (xml)`, send: send('xml', xml('&#xD800;')) },
      ]
    })
    expect(withBody.length).toBeGreaterThan(25)
    expect(await refusals(cases)).toEqual([])
  })
})

describe('MessagePack bodies', () => {
  const bytes = (...b: number[]) => new Uint8Array(b)
  // {"name": <str8 of the given bytes>}
  const named = (...text: number[]) => bytes(0x81, 0xa4, 0x6e, 0x61, 0x6d, 0x65, 0xd9, text.length, ...text)

  test('strings that are not UTF-8 are refused as in JSON, not stored with U+FFFD', async () => {
    for (const body of [named(0x61, 0xff, 0x62), named(0xed, 0xa0, 0x80), named(0xc3)]) {
      const res = await t.request('POST', '/api/admin/roles', { as: 'msgpack', body, cookie: admin.cookie })
      expect(res.status).toBe(400)
      expect(res.body.errors).toEqual(['invalid payload: body is not valid UTF-8'])
    }
    const json = await t.request('POST', '/api/admin/roles', {
      body: bytes(0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d),
      headers: { 'content-type': 'application/json' },
      cookie: admin.cookie,
    })
    expect(json.body.errors).toEqual(['invalid payload: body is not valid UTF-8'])
  })

  test('a malformed extension answers a fixed message, not the engine text', async () => {
    for (const body of [bytes(0xd6, 0x70, 0, 0, 0, 0), bytes(0x81, 0xa1, 0x61, 0xd5, 0x70, 0, 0)]) {
      const res = await t.request('PUT', '/api/admin/settings', { as: 'msgpack', body, cookie: admin.cookie })
      expect(res.status).toBe(400)
      expect(res.body.errors).toEqual(['invalid payload: malformed msgpack'])
    }
  })

  test('malformed JSON answers a fixed message without a position', async () => {
    const res = await t.request('PUT', '/api/admin/settings', {
      body: '{"app":',
      headers: { 'content-type': 'application/json' },
      cookie: admin.cookie,
    })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['invalid payload: malformed json'])
  })
})

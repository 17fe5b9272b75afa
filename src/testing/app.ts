import { afterAll, beforeAll } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Packr, Unpackr } from 'msgpackr'
import { XMLParser } from 'fast-xml-parser'
import { loadConfig, type Config } from '../config'
import { createApp, type Panel } from '../kernel/app'
import type { LoadedPlugin } from '../kernel/loader'
import type { Logger } from '../kernel/logger'
import { freshDatabase, RUN_ID, type TestDatabase } from './db'
import { bundledPlugins, withPlugins } from './plugins'

export const TEST_KEY = 'test-encryption-key-0123456789abcdefghijklmnop'

export type Encoding = 'json' | 'msgpack' | 'xml'

export interface RequestOptions {
  body?: unknown
  /** Encoding of the request body and of the Accept header (default json). */
  as?: Encoding
  headers?: Record<string, string>
  /** Client address the request comes from (default 127.0.0.1). */
  ip?: string
  /** `Authorization: Bearer <token>`. */
  token?: string
  /** Cookie header value. */
  cookie?: string
}

export interface TestResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

const packr = new Packr({ useRecords: false })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true })
const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: () => false })

const CONTENT_TYPE: Record<Encoding, string> = { json: 'application/json', msgpack: 'application/msgpack', xml: 'text/xml' }

function encodeXml(value: unknown, name = 'root'): string {
  if (Array.isArray(value)) return value.map((v) => encodeXml(v, name)).join('')
  if (value === null || value === undefined) return `<${name}/>`
  if (typeof value === 'object')
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => encodeXml(v, k))
      .join('')}</${name}>`
  return `<${name}>${String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</${name}>`
}

/** Decodes a response body by its Content-Type (XML stays a parsed tree of strings). */
export async function decode(res: Response): Promise<{ body: any; text: string }> {
  const type = res.headers.get('content-type') ?? ''
  if (type.includes('msgpack')) {
    const bytes = new Uint8Array(await res.arrayBuffer())
    return { body: bytes.length ? unpackr.unpack(bytes) : null, text: `<${bytes.length} bytes of msgpack>` }
  }
  const text = await res.text()
  if (type.includes('json')) return { body: text ? JSON.parse(text) : null, text }
  if (type.includes('xml')) return { body: xml.parse(text), text }
  return { body: text, text }
}

export interface TestApp extends Panel {
  db: TestDatabase
  config: Config
  request<T = any>(method: string, path: string, opts?: RequestOptions): Promise<TestResponse<T>>
}

export interface TestAppOptions {
  /** Environment overrides (as strings, like the real environment). */
  env?: Record<string, string>
  /** Plugins to load; default every bundled plugin (plus those of `pluginsDir`). */
  plugins?: LoadedPlugin[]
  /** A folder of external plugins, as `PLUGINS_DIR`: loaded after the bundled ones. */
  pluginsDir?: string
  /** Reuse a database (e.g. a second panel process on the same data). */
  db?: TestDatabase
  /** The kernel's logger (default: silent unless LOG_LEVEL says otherwise). */
  log?: Logger
  /** Answer routes that declare `ready` through the ready lane (default true; false: the full pipeline only). */
  readyLane?: boolean
}

/**
 * A panel on a database of its own, handled in-process. Close it in `afterAll`.
 * @example const t = await testApp(); const res = await t.request('GET', '/api/settings')
 */
export async function testApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hatchery-test-'))
  const db = opts.db ?? (await freshDatabase())
  const config = loadConfig({
    DATA_DIR: dataDir,
    APP_ENCRYPTION_KEY: TEST_KEY,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    REDIS_PREFIX: `hatchery-test:${RUN_ID}:`,
    APP_URL: 'http://localhost:8000',
    ...opts.env,
  })
  const plugins = opts.plugins ?? (opts.pluginsDir ? await withPlugins(opts.pluginsDir) : await bundledPlugins())
  const panel = await createApp(config, { database: db.database, plugins, ownsDatabase: false, log: opts.log, readyLane: opts.readyLane })
  const close = panel.close
  return Object.assign(panel, {
    db,
    config,
    async close() {
      await close()
      if (!opts.db) await db.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
    async request(method: string, path: string, o: RequestOptions = {}) {
      const as = o.as ?? 'json'
      const headers: Record<string, string> = { accept: CONTENT_TYPE[as], ...o.headers }
      let body: RequestInit['body']
      if (o.body !== undefined) {
        headers['content-type'] ??= CONTENT_TYPE[as]
        body =
          typeof o.body === 'string' || o.body instanceof Uint8Array
            ? (o.body as RequestInit['body'])
            : as === 'msgpack'
              ? packr.pack(o.body)
              : as === 'xml'
                ? encodeXml(o.body)
                : JSON.stringify(o.body)
      }
      if (o.token) headers.authorization = `Bearer ${o.token}`
      if (o.cookie) headers.cookie = o.cookie
      const res = await panel.handle(new Request(`http://localhost${path}`, { method, headers, body }), { ip: o.ip })
      const { body: decoded, text } = await decode(res)
      return { status: res.status, headers: res.headers, body: decoded, text }
    },
  })
}

/** Hooks get this long: the first PGlite of a run may need an initdb. */
export const SETUP_TIMEOUT = 120_000

/**
 * Registers `beforeAll`/`afterAll` that start and close a test app, and returns a handle that
 * forwards to it once started.
 * @example const t = useTestApp(); test('…', async () => expect((await t.request('GET', '/api/settings')).status).toBe(200))
 */
export function useTestApp(opts: TestAppOptions | (() => Promise<TestAppOptions>) = {}): TestApp {
  let app: TestApp | undefined
  beforeAll(async () => {
    app = await testApp(typeof opts === 'function' ? await opts() : opts)
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await app?.close()
  }, SETUP_TIMEOUT)
  return new Proxy({} as TestApp, {
    get(_target, key) {
      if (!app) throw new Error('test app used before beforeAll ran')
      const value = (app as any)[key]
      return typeof value === 'function' ? value.bind(app) : value
    },
  })
}

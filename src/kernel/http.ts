import { Elysia } from 'elysia'
import { BadRequest, HttpError, MethodNotAllowed, NotFound, PayloadTooLarge, Validation, fromDatabaseError, fromPgError } from './errors'
import { negotiate, type Format } from './negotiate'
import { encode, encodeAnswer, decodeJson, decodeMsgpack, decodeXml, FieldError, PayloadError, HOSTILE_TEXT, isCleanText } from './wire'
import { coerceXml } from './coerce'
import { validationMessages, schemaOfValidator, containerMismatch } from './validation'
import { cidrContains, resolveClientIp, type Cidr } from './net'
import { describeError, type Logger } from './logger'
import type { RouteRegistry } from './routes'
import { queryScope } from '../db/scope'

/** Largest request body the JSON/MessagePack/XML parsers accept (2 MiB). */
export const BODY_LIMIT = 2 * 1024 * 1024

/** What the kernel knows about the request in flight. */
export interface RequestMeta {
  id: string
  /** Client address after the trusted-proxy walk. */
  ip: string
  start: number
  format: Format
}

// Per-request state rides on the Request itself under private symbols: a WeakMap entry per
// request costs more on every request (and on every garbage collection) than a property.
const META = Symbol('hatchery.meta')
const PEER = Symbol('hatchery.peer')
const HANDOVER = Symbol('hatchery.handover')
type Tagged = Request & { [META]?: RequestMeta; [PEER]?: string; [HANDOVER]?: Handover }

/**
 * What the ready lane did before it left a request to the full pipeline: the request's metadata
 * (same id) and whether it consumed the namespace rate limit, with the outcome when that was not
 * a plain pass (the 429 thrown, or the promise of a limiter that counts in Redis). The pipeline's
 * first hook takes it and does neither again.
 */
export interface Handover {
  meta: RequestMeta
  limited: boolean
  outcome?: unknown
}
const metas = {
  get: (request: Request) => (request as Tagged)[META],
  set: (request: Request, meta: RequestMeta) => void ((request as Tagged)[META] = meta),
}
const peers = {
  get: (request: Request) => (request as Tagged)[PEER],
  set: (request: Request, peer: string) => void ((request as Tagged)[PEER] = peer),
}

/**
 * Records the TCP peer of a request: `panel.fetch` (from the socket) and `panel.handle` (tests pick
 * any address) do this before the app sees it. The kernel's hooks never ask Elysia for `server`:
 * naming it makes every handler define a getter on its context per request.
 */
export function setPeer(request: Request, address: string): void {
  peers.set(request, address)
}

/** The kernel's metadata of a request; only valid once the request entered the app. */
export function requestMeta(request: Request): RequestMeta {
  const meta = metas.get(request)
  if (!meta) throw new Error('request did not pass through the kernel')
  return meta
}

const REQUEST_ID = /^[\w.:@-]{1,128}$/

const isTrustedPeer = (peer: string, trusted: Cidr[]) => trusted.length > 0 && trusted.some((c) => cidrContains(c, peer))

/**
 * Starts the kernel's record of a request: its id (a trusted proxy's `X-Request-Id`, else a new
 * uuid), the client IP after the trusted-proxy walk, the start time and the negotiated format.
 */
export function beginRequest(request: Request, trustedProxies: Cidr[]): RequestMeta {
  const peer = peers.get(request) ?? '127.0.0.1'
  const ip = resolveClientIp(peer, request.headers, trustedProxies)
  const forwardedId = isTrustedPeer(peer, trustedProxies) ? request.headers.get('x-request-id') : null
  const meta: RequestMeta = {
    id: forwardedId && REQUEST_ID.test(forwardedId) ? forwardedId : crypto.randomUUID(),
    ip,
    start: performance.now(),
    format: negotiate(request.headers.get('accept')),
  }
  metas.set(request, meta)
  return meta
}

/** Leaves a request begun by the ready lane to the full pipeline (see {@link Handover}). */
export function handOver(request: Request, handover: Handover): void {
  ;(request as Tagged)[HANDOVER] = handover
}

/** The path of a request URL (no query), without parsing the URL. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const q = url.indexOf('?', start)
  return q === -1 ? url.slice(start) : url.slice(start, q)
}

export interface HttpOptions {
  log: Logger
  /** Whether a 500 tells its cause: fixed, or read when a 500 is answered (the runtime switch). */
  debug: boolean | (() => Promise<boolean>)
  trustedProxies: Cidr[]
  routes: RouteRegistry
  /** Called for every request before routing (namespace rate limits). */
  onRequest?: (request: Request, meta: RequestMeta, path: string) => Promise<void> | void
}

async function readLimited(message: Request | Response, limit: number): Promise<Uint8Array> {
  const length = Number(message.headers.get('content-length') ?? NaN)
  if (length > limit) throw new PayloadTooLarge(limit)
  if (!message.body) return new Uint8Array(0)
  const reader = message.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new PayloadTooLarge(limit)
    }
    chunks.push(value)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
}

/**
 * Reads a body — a raw request body (routes declared with `rawBody`) or a fetched response —
 * up to `limit` bytes; `PayloadTooLarge` (413) beyond.
 * @example const bytes = await readRawBody(request, 2 * 1024 * 1024)
 */
export const readRawBody = readLimited

const ALLOWED_MEDIA = new Set(['application/json', 'application/msgpack', 'application/x-msgpack', 'text/xml', 'application/xml'])

function mediaType(contentType: string | null): string | null {
  if (!contentType) return null
  return contentType.split(';', 1)[0].trim().toLowerCase()
}

function decodeBody(media: string, contentType: string, bytes: Uint8Array, schema: unknown): unknown {
  try {
    switch (media) {
      case 'application/json': {
        const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase()
        if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new PayloadError(`unsupported charset ${charset}`)
        return decodeJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
      }
      case 'application/msgpack':
      case 'application/x-msgpack':
        return decodeMsgpack(bytes)
      default:
        return coerceXml(schema, decodeXml(new TextDecoder('utf-8', { fatal: true }).decode(bytes)))
    }
  } catch (e) {
    if (e instanceof FieldError) throw new Validation(e.text)
    if (e instanceof PayloadError) throw new BadRequest(`invalid payload: ${e.message}`)
    if (e instanceof TypeError) throw new BadRequest('invalid payload: body is not valid UTF-8')
    throw e
  }
}

const RAW_BODY = Object.freeze({})

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of params) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

// Decodes one `application/x-www-form-urlencoded` component; null when it is not UTF-8.
function decodeQueryPart(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return null
  }
}

/** Refuses a query or path parameter holding a NUL byte, an unpaired surrogate or bytes that are not UTF-8. */
function checkText(url: string, params: Record<string, string | undefined> | undefined, route?: string): void {
  // Only a percent-escape can put a NUL byte, a lone surrogate or non-UTF-8 bytes into a decoded
  // path or query parameter: most requests have none and need no more than this look.
  if (url.indexOf('%') === -1) return
  const errors: string[] = []
  for (const [name, value] of Object.entries(params ?? {})) {
    if (typeof value === 'string' && !isCleanText(value)) errors.push(`${name}: ${HOSTILE_TEXT}`)
  }
  // Bytes that are not UTF-8 do not decode at all: the router then hands the segment over still
  // escaped (`a%ED%A0%80`), which looks clean. Judge such a segment as sent.
  if (route) {
    const path = new URL(url).pathname.split('/')
    const template = route.split('/')
    if (path.length === template.length) {
      template.forEach((part, at) => {
        if (!part.startsWith(':') || !path[at].includes('%')) return
        const text = `${part.slice(1)}: ${HOSTILE_TEXT}`
        if (decodeQueryPart(path[at].replace(/\+/g, '%2B')) === null && !errors.includes(text)) errors.push(text)
      })
    }
  }
  const q = url.indexOf('?')
  if (q !== -1) {
    const hash = url.indexOf('#', q)
    for (const pair of url.slice(q + 1, hash === -1 ? undefined : hash).split('&')) {
      if (!pair.includes('%')) continue
      const eq = pair.indexOf('=')
      const name = decodeQueryPart(eq === -1 ? pair : pair.slice(0, eq))
      const value = eq === -1 ? '' : decodeQueryPart(pair.slice(eq + 1))
      const text =
        name === null || !isCleanText(name)
          ? `query: parameter names ${HOSTILE_TEXT}`
          : value === null || !isCleanText(value)
            ? `${name}: ${HOSTILE_TEXT}`
            : null
      if (text && !errors.includes(text)) errors.push(text)
    }
  }
  if (errors.length > 0) throw new Validation(errors)
}

/**
 * An error answered outside Elysia's hooks (the request deadline), encoded like every other:
 * negotiated format, request id, `Vary: Accept`.
 */
export function errorResponse(request: Request, error: HttpError): Response {
  const meta = metas.get(request)
  const { body, type } = encode({ errors: error.messages }, meta?.format ?? 'json')
  const headers = new Headers({ 'content-type': type, vary: 'Accept', ...error.headers })
  if (meta) headers.set('x-request-id', meta.id)
  return new Response(body, { status: error.status, headers })
}

/**
 * The global half of the kernel: request ids, client IP, body parsing (JSON, MessagePack, XML;
 * 2 MiB; nothing else accepted), the one error handler, response encoding per `Accept`.
 */
export function httpKernel(opts: HttpOptions) {
  const { log, routes } = opts
  const setting = opts.debug
  const isDebug = typeof setting === 'function' ? setting : async () => setting

  // A switched-off plugin's route is answered exactly like a path nobody serves.
  function unrouted(path: string): HttpError {
    const allow = routes.allowedMethods(path)
    return allow.length > 0 ? new MethodNotAllowed(allow) : new NotFound('route not found')
  }

  function toHttpError(
    code: string | number,
    error: unknown,
    request: Request,
    debug: () => Promise<boolean>,
  ): Promise<HttpError> | HttpError {
    let e: any = error
    if (code === 'PARSE' && e?.cause) e = e.cause
    if (e instanceof HttpError) return e
    if (code === 'NOT_FOUND') return unrouted(new URL(request.url).pathname)
    if (code === 'VALIDATION' && e?.type === 'response') {
      // The handler broke its own contract: the server's fault, not the caller's.
      const schema = schemaOfValidator(e.validator)
      const detail = schema ? validationMessages(schema, e.value).join('; ') : 'invalid value'
      return debug().then((on) => new HttpError(500, on ? `response does not match its schema: ${detail}` : 'internal server error'))
    }
    if (code === 'VALIDATION') {
      if (e.type === 'query' || e.type === 'property') {
        // Elysia checks coerced query fields one by one and loses their names; check the whole query again.
        const url = new URL(request.url)
        const route = routes.match(request.method, url.pathname)
        const messages = route?.querySchema ? validationMessages(route.querySchema, queryObject(url.searchParams)) : []
        if (messages.length && messages[0] !== 'body: invalid value') return new Validation(messages)
      }
      const schema = schemaOfValidator(e.validator)
      return new Validation(schema ? validationMessages(schema, e.value) : ['body: invalid value'])
    }
    if (code === 'PARSE') return new BadRequest('invalid payload: malformed body')
    if (code === 'INVALID_COOKIE_SIGNATURE') return new BadRequest('invalid cookie')
    const pg = fromDatabaseError(e) ?? fromPgError(e)
    if (pg) return pg
    return debug().then((on) => {
      if (!on) return new HttpError(500, 'internal server error')
      const { message, cause } = describeError(e instanceof Error ? e : new Error(String(e)))
      return new HttpError(500, cause ? `${message}: ${(cause as { message: string }).message}` : String(message))
    })
  }

  return new Elysia({ name: 'hatchery.http' })
    .onRequest(async ({ request, set }) => {
      const handover = (request as Tagged)[HANDOVER]
      if (handover) (request as Tagged)[HANDOVER] = undefined
      const meta = handover ? handover.meta : beginRequest(request, opts.trustedProxies)
      const scope = queryScope.getStore()
      if (scope) scope.requestId = meta.id
      set.headers['x-request-id'] = meta.id
      set.headers['vary'] = 'Accept'
      const length = Number(request.headers.get('content-length') ?? NaN)
      if (length > routes.maxBodyLimit) throw new PayloadTooLarge(routes.maxBodyLimit)
      if (handover?.limited) {
        if (handover.outcome instanceof Promise) await handover.outcome
        else if (handover.outcome !== undefined) throw handover.outcome
      } else if (opts.onRequest) {
        const pending = opts.onRequest(request, meta, pathOf(request.url))
        if (pending) await pending
      }
    })
    .onParse({ as: 'global' }, async ({ request, contentType, route }) => {
      const info = routes.get(request.method, route)
      if (info && routes.isHidden(info)) throw unrouted(new URL(request.url).pathname)
      if (info?.rawBody) return RAW_BODY
      const bytes = await readLimited(request, info?.bodyLimit ?? BODY_LIMIT)
      const media = mediaType(contentType)
      if (bytes.length === 0 && !media) return {}
      if (!media) throw new BadRequest('invalid payload: missing content type header')
      if (!ALLOWED_MEDIA.has(media)) throw new BadRequest('invalid payload: unsupported content type')
      const body = decodeBody(media, contentType, bytes, info?.bodySchema)
      // Elysia's normalisation would turn `null`, `"x"` or `{"app":null}` into `{}` / `{"app":{}}`
      // for objects whose fields are all optional, and accept them; judge the body as sent.
      if (info?.bodySchema && containerMismatch(info.bodySchema, body)) throw new Validation(validationMessages(info.bodySchema, body))
      return body
    })
    .onTransform({ as: 'global' }, ({ request, route, params }) => {
      const info = routes.get(request.method, route)
      if (info && routes.isHidden(info)) throw unrouted(new URL(request.url).pathname)
      checkText(request.url, params, route)
      // Routes that ignore their body skip parsing; still refuse form posts and the like.
      const media = mediaType(request.headers.get('content-type'))
      if (media && !ALLOWED_MEDIA.has(media) && request.method !== 'GET' && request.method !== 'HEAD' && !info?.rawBody) {
        throw new BadRequest('invalid payload: unsupported content type')
      }
      if (info?.timeout !== undefined) {
        const scope = queryScope.getStore()
        const meta = metas.get(request)
        if (scope && meta) scope.deadline = info.timeout === false ? undefined : meta.start + info.timeout * 1000
      }
    })
    .onError({ as: 'global' }, async ({ code, error, set, request }) => {
      const http = await toHttpError(code as string, error, request, isDebug)
      const meta = metas.get(request)
      if (http.status >= 500) {
        const msg = code === 'VALIDATION' ? 'response does not match its schema' : 'request failed'
        log.error(msg, { request_id: meta?.id, method: request.method, path: new URL(request.url).pathname, error: error as Error })
      }
      set.status = http.status
      if (http.headers) Object.assign(set.headers, http.headers)
      return { errors: http.messages }
    })
    .mapResponse({ as: 'global' }, ({ responseValue, set, request }) => {
      if (responseValue instanceof Response) return responseValue
      const format = metas.get(request)?.format ?? 'json'
      const { body, type } = encodeAnswer(responseValue ?? {}, format)
      set.headers['content-type'] = type
      // Returning the body (not a Response) lets Elysia build the one Response from `set`;
      // a Response here would be copied again to merge set.headers.
      return body as unknown as Response
    })
}

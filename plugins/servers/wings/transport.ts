import type { TSchema, Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
// The pure-JS entry, as src/kernel/wire.ts uses (the main one loads a native addon and node:stream).
import { Packr } from 'msgpackr/pack'
import { BadGateway, HttpError } from 'hatchery'
import { Anything } from './model'
import { endpointOf, noteAnswered, recentlyAnswered, tcpProbe, type Connector } from './connect'

/** Where and how to reach one node (spec 04 §1.1–§1.2). `token` is the decrypted node token. */
export interface WingsTarget {
  uuid: string
  name: string
  url: string
  public_url: string | null
  token: string
}

export interface WingsOptions {
  /** Time to get a connection (default 5 s). */
  connectTimeoutMs?: number
  /** Time for the whole exchange, body read included (default 15 s); calls with a deadline of their own take the shorter. */
  timeoutMs?: number
  /** Largest answer read (default 16 MiB). */
  maxBytes?: number
  /** Tests inject a connector (a black hole) or a transport. */
  connect?: Connector
  fetch?: typeof fetch
}

/** Why a node was unreachable: logged with the 502, and what tests assert. */
export type UnreachableReason = 'connect' | 'timeout' | 'network' | 'status' | 'garbage' | 'too-large'

/** 502 `node <name> is unreachable` (spec: never a 500, never a hang); `reason` and `cause` say why. */
export class WingsUnreachable extends BadGateway {
  constructor(
    node: string,
    readonly reason: UnreachableReason,
    detail: string,
  ) {
    super(`node ${node} is unreachable`, { cause: new Error(`${reason}: ${detail}`) })
  }
}

/** Wings' statuses answered to the panel's caller with Wings' own message (spec 04 §1.4). */
export const PASSED_THROUGH = [404, 409, 413, 417] as const

export interface Call<S extends TSchema | 'text'> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | (string | number)[] | undefined>
  body?: unknown
  /** The answer's shape, or `'text'` for raw text (logs). */
  answer: S
  /** A deadline of the call's own (spec 04 §1.4: ports 3 s, overview 2 s on health pages). */
  timeoutMs?: number
  /** Statuses passed through besides `PASSED_THROUGH` (e.g. 400 where a route forwards it). */
  passThrough?: number[]
}

const msgpack = new Packr({ useRecords: false, mapsAsObjects: true })
const utf8 = new TextDecoder('utf-8', { fatal: true })
const USER_AGENT = 'Hatchery Panel'

/** The endpoint URL: the base without trailing `/` joined by exactly one `/` (spec 04 §1.1). */
export function endpoint(base: string, path: string, query: Call<TSchema>['query'] = {}): URL {
  const url = new URL(base.replace(/\/+$/, '') + path)
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item))
  }
  return url
}

/** JSON or MessagePack by `Content-Type` (spec 04 §1.3); anything else, or a broken document, throws. */
function decode(type: string | null, bytes: Uint8Array): unknown {
  const media = (type ?? '').split(';')[0].trim().toLowerCase()
  if (media === 'application/json') return JSON.parse(utf8.decode(bytes))
  if (media === 'application/msgpack' || media === 'application/x-msgpack') return msgpack.unpack(bytes)
  throw new Error(`unexpected content type "${media || 'none'}"`)
}

async function readBody(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) throw new RangeError(`answer larger than ${max} bytes`)
  if (!response.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body) {
    size += chunk.byteLength
    if (size > max) throw new RangeError(`answer larger than ${max} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Runs `work` under `ms`, aborting `controller` at the deadline; the deadline wins even over a stuck read. */
async function within<T>(ms: number, controller: AbortController, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new DeadlinePassed(ms))
    }, ms)
  })
  try {
    return await Promise.race([work(), late])
  } finally {
    clearTimeout(timer)
  }
}

class DeadlinePassed extends Error {
  constructor(readonly ms: number) {
    super(`deadline of ${ms} ms passed`)
  }
}

/**
 * One request to a node: `Authorization: Bearer <token>`, JSON body, `Accept` JSON or MessagePack,
 * the connect and total deadlines. Answers Wings' decoded (and checked) document or text; a Wings
 * 404/409/413/417 is thrown as that status with Wings' message; anything else is `WingsUnreachable`.
 */
export async function send<S extends TSchema | 'text'>(
  target: WingsTarget,
  call: Call<S>,
  options: WingsOptions = {},
): Promise<S extends TSchema ? Static<S> : string> {
  const url = endpoint(target.url, call.path, call.query)
  const total = Math.min(call.timeoutMs ?? Infinity, options.timeoutMs ?? 15_000)
  const connectMs = Math.min(options.connectTimeoutMs ?? 5_000, total)
  const fail = (reason: UnreachableReason, detail: string) =>
    new WingsUnreachable(target.name, reason, `${call.method} ${url.pathname}: ${detail}`)
  const controller = new AbortController()

  const exchange = async () => {
    if (!recentlyAnswered(url.origin)) {
      const { host, port } = endpointOf(url)
      const probe = new AbortController()
      await within(connectMs, probe, () => (options.connect ?? tcpProbe)(host, port, connectMs)).catch((error: Error) => {
        throw fail('connect', error.message)
      })
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${target.token}`,
      accept: 'application/json, application/msgpack;q=0.9',
      'user-agent': USER_AGENT,
    }
    if (call.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await (options.fetch ?? fetch)(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        redirect: 'manual',
        signal: controller.signal,
      })
    } catch (error) {
      throw fail('network', (error as Error).message)
    }
    let bytes: Uint8Array
    try {
      bytes = await readBody(response, options.maxBytes ?? 16 * 1024 * 1024)
    } catch (error) {
      if (error instanceof RangeError) throw fail('too-large', error.message)
      throw fail('network', `reading the answer: ${(error as Error).message}`)
    }
    noteAnswered(url.origin)
    return interpret(response, bytes, call, fail)
  }

  try {
    return (await within(total, controller, exchange)) as S extends TSchema ? Static<S> : string
  } catch (error) {
    if (error instanceof DeadlinePassed) throw fail('timeout', error.message)
    throw error
  }
}

function interpret(response: Response, bytes: Uint8Array, call: Call<TSchema | 'text'>, fail: (r: UnreachableReason, d: string) => Error) {
  const type = response.headers.get('content-type')
  if (response.status < 200 || response.status >= 300) {
    const passed = (PASSED_THROUGH as readonly number[]).includes(response.status) || call.passThrough?.includes(response.status)
    let message: unknown
    try {
      message = (decode(type, bytes) as { error?: unknown })?.error
    } catch {
      message = undefined
    }
    // Only Wings' own `{"error": …}` is passed on: a proxy's 404 page is not Wings speaking.
    if (passed && typeof message === 'string') throw new HttpError(response.status, message)
    throw fail('status', `status ${response.status}${typeof message === 'string' ? ` (${message})` : ''}`)
  }
  if (call.answer === 'text') {
    try {
      return utf8.decode(bytes)
    } catch {
      throw fail('garbage', 'the text answer is not UTF-8')
    }
  }
  // `{}` answers: an empty body is as good (no content to misread).
  if (call.answer === Anything && bytes.byteLength === 0) return {}
  let value: unknown
  try {
    value = decode(type, bytes)
  } catch (error) {
    throw fail('garbage', (error as Error).message)
  }
  if (!Value.Check(call.answer, value)) {
    const first = Value.Errors(call.answer, value).First()
    throw fail('garbage', `unexpected answer${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`)
  }
  return value
}

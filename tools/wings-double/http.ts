/** Wire plumbing shared by the routes: errors, encodings (spec 04 §1.3), body and query parsing. */
import type { TSchema, Static } from '@sinclair/typebox'
import { Packr } from 'msgpackr'
import { firstError } from './schemas'

// Plain MessagePack maps (no msgpackr record extension), as a Rust `rmp-serde` peer expects.
export const msgpack = new Packr({ useRecords: false, mapsAsObjects: true })

/** Thrown by handlers; answered as `{"error": message}`. */
export class WingsError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function quality(accept: string, type: string): number {
  let best = 0
  for (const part of accept.split(',')) {
    const [media, ...params] = part.trim().split(';')
    const name = media.trim().toLowerCase()
    if (name !== type && name !== '*/*') continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = q ? Number(q.slice(2)) : 1
    // An exact match outranks the wildcard.
    best = Math.max(best, name === type ? value + 1e-6 : value)
  }
  return best
}

/** MessagePack when `Accept` prefers it over JSON (the current panel sends only `application/msgpack`). */
export function wantsMsgpack(request: Request): boolean {
  const accept = request.headers.get('accept') ?? ''
  return quality(accept, 'application/msgpack') > quality(accept, 'application/json')
}

export function encode(request: Request, status: number, value: unknown, headers: Record<string, string> = {}): Response {
  if (wantsMsgpack(request)) {
    return new Response(msgpack.pack(value), { status, headers: { ...headers, 'content-type': 'application/msgpack' } })
  }
  return new Response(JSON.stringify(value), { status, headers: { ...headers, 'content-type': 'application/json' } })
}

export const errorResponse = (request: Request, status: number, message: string, headers: Record<string, string> = {}) =>
  encode(request, status, { error: message }, headers)

/**
 * A structured body, JSON or MessagePack by `Content-Type`. Real Wings (axum) answers 415/400/422 for
 * a missing content type, a syntax error and a shape error; the double answers all three with 400,
 * which the panel treats the same way (an unexpected refusal).
 */
export function decodeBody(contentType: string | null, raw: Uint8Array): unknown {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (type === 'application/json') {
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw))
    } catch (error) {
      throw new WingsError(400, `failed to parse the request body as JSON: ${(error as Error).message}`)
    }
  }
  if (type === 'application/msgpack') {
    try {
      return msgpack.unpack(raw)
    } catch (error) {
      throw new WingsError(400, `failed to parse the request body as MessagePack: ${(error as Error).message}`)
    }
  }
  throw new WingsError(400, 'expected request with `Content-Type: application/json` or `application/msgpack`')
}

export function check<T extends TSchema>(schema: T, value: unknown, what = 'request body'): Static<T> {
  const problem = firstError(schema, value)
  if (problem) throw new WingsError(400, `invalid ${what}: ${problem}`)
  return value as Static<T>
}

/** Query parameters as serde reads them: `required` must be present, numbers are unsigned integers. */
export function query(url: URL, spec: Record<string, 'string' | 'string?' | 'u64?' | 'bool?' | 'string[]'>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(spec)) {
    const values = url.searchParams.getAll(name)
    const value = values.at(-1)
    if (kind === 'string[]') out[name] = values
    else if (value === undefined) {
      if (kind === 'string') throw new WingsError(400, `Failed to deserialize query string: missing field \`${name}\``)
    } else if (kind === 'u64?') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw new WingsError(400, `Failed to deserialize query string: ${name}: invalid digit found in string`)
      out[name] = Number(value)
    } else if (kind === 'bool?') {
      if (value !== 'true' && value !== 'false')
        throw new WingsError(400, `Failed to deserialize query string: ${name}: provided string was not \`true\` or \`false\``)
      out[name] = value === 'true'
    } else out[name] = value
  }
  return out
}

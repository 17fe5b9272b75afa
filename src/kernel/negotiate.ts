/** The three response encodings the API speaks. */
export type Format = 'json' | 'msgpack' | 'xml'

const TYPES: Record<string, Format> = {
  'application/json': 'json',
  'application/msgpack': 'msgpack',
  'text/xml': 'xml',
}

/** Content-Type sent for each encoding. */
export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json',
  msgpack: 'application/msgpack',
  xml: 'text/xml; charset=utf-8',
}

const cache = new Map<string, Format>()

/**
 * Picks the response encoding for an `Accept` header: the supported type with the highest q
 * (ties keep header order), JSON for a missing, malformed or unmatched header. `q=0` refuses a
 * type. Wildcards (`*\/*`, `application/*`) resolve to JSON; a 406 is never sent.
 * @example negotiate('application/json;q=0.5, application/msgpack') // 'msgpack'
 */
export function negotiate(accept: string | null | undefined): Format {
  if (!accept) return 'json'
  const hit = cache.get(accept)
  if (hit) return hit
  const result = compute(accept)
  if (cache.size > 500) cache.clear()
  cache.set(accept, result)
  return result
}

function compute(accept: string): Format {
  let best: Format = 'json'
  let bestQ = -1
  for (const element of accept.split(',')) {
    const [rawType, ...params] = element.split(';')
    const type = rawType.trim().toLowerCase()
    if (!/^[\w.+*-]+\/[\w.+*-]+$/.test(type)) return 'json'
    let q = 1
    for (const p of params) {
      const [k, v] = p.split('=').map((s) => s.trim())
      if (k.toLowerCase() !== 'q') continue
      if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v ?? '')) return 'json'
      q = Number(v)
    }
    const format = TYPES[type] ?? (type === '*/*' || type === 'application/*' ? 'json' : undefined)
    if (format && q > 0 && q > bestQ) {
      best = format
      bestQ = q
    }
  }
  return best
}

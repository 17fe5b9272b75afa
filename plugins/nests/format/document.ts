import { BadRequest } from 'hatchery'

/** Largest egg document read (an upload, a fetched URL, a CLI file). */
export const EGG_MAX_BYTES = 1024 * 1024
/** Deepest nesting of objects and arrays accepted (real eggs use under 10 levels). */
export const EGG_MAX_DEPTH = 64
/** YAML aliases a document may use (billion-laughs guard; real eggs use none). */
export const EGG_MAX_ALIASES = 100

const HOSTILE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Checks a decoded document: nesting at most `EGG_MAX_DEPTH`, no number out of range (`1e999`), and no
 * string (key or value) the database cannot store (a NUL byte) or that is not text (an unpaired surrogate).
 */
function checkTree(value: unknown, depth: number, path: string): void {
  if (typeof value === 'string') {
    if (HOSTILE.test(value)) throw new BadRequest(`invalid egg: ${path || 'document'} contains a NUL byte or an unpaired surrogate`)
    return
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new BadRequest(`invalid egg: ${path || 'document'}: number out of range`)
  if (value === null || typeof value !== 'object') return
  if (depth >= EGG_MAX_DEPTH) throw new BadRequest(`invalid egg: nested deeper than ${EGG_MAX_DEPTH} levels`)
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkTree(v, depth + 1, `${path}[${i}]`))
    return
  }
  for (const [k, v] of Object.entries(value)) {
    const at = path ? `${path}.${k}` : k
    if (HOSTILE.test(k)) throw new BadRequest(`invalid egg: a key in ${path || 'document'} contains a NUL byte or an unpaired surrogate`)
    checkTree(v, depth + 1, at)
  }
}

/**
 * Decodes an egg file: whitespace-trimmed text starting with `{` is JSON, anything else YAML
 * (YAML 1.2 core schema, no custom tags, at most `EGG_MAX_ALIASES` aliases, unique keys); `as`
 * forces one (a request's Content-Type). At most `EGG_MAX_BYTES` and `EGG_MAX_DEPTH` levels.
 * Failures are a 400 `invalid egg: <reason>`.
 * @example const doc = readEggDocument(await Bun.file('egg-paper.yaml').text())
 */
export function readEggDocument(text: string, as: 'auto' | 'json' | 'yaml' = 'auto'): unknown {
  if (Buffer.byteLength(text, 'utf8') > EGG_MAX_BYTES) throw new BadRequest('egg is too large')
  const trimmed = text.trim()
  if (trimmed === '') throw new BadRequest('invalid egg: the document is empty')
  let doc: unknown
  if (as === 'json' || (as === 'auto' && trimmed.startsWith('{'))) {
    try {
      doc = JSON.parse(trimmed)
    } catch (e) {
      const message = e instanceof SyntaxError ? e.message : 'nested too deeply'
      throw new BadRequest(`invalid egg: not valid JSON (${message})`)
    }
  } else {
    // yaml is loaded by the first YAML egg (synchronous `require` in Bun): ~7 MiB resident otherwise.
    const { parseDocument } = require('yaml') as typeof import('yaml')
    const parsed = parseDocument(trimmed, {
      version: '1.2',
      schema: 'core',
      customTags: [],
      merge: false,
      uniqueKeys: true,
      prettyErrors: false,
    })
    const problem = parsed.errors[0] ?? parsed.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
    if (problem) throw new BadRequest(`invalid egg: not valid YAML (${problem.message.split('\n')[0]})`)
    try {
      doc = parsed.toJS({ maxAliasCount: EGG_MAX_ALIASES })
    } catch (e) {
      throw new BadRequest(`invalid egg: not valid YAML (${(e as Error).message.split('\n')[0]})`)
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new BadRequest('invalid egg: the document must be an object')
  checkTree(doc, 0, '')
  return doc
}

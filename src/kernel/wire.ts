// msgpackr's pure-JS entry: the package's main one also loads the optional native string extractor
// (msgpackr-extract) and node:stream for its stream classes, ~8 MiB of resident memory for a speed-up
// on large string-heavy bodies. Invalid UTF-8 is refused before decoding, so both decode alike.
import { Packr, Unpackr } from 'msgpackr/pack'
import type { XMLParser } from 'fast-xml-parser'
import { CONTENT_TYPES, type Format } from './negotiate'
import { fieldPath } from './validation'

/** RFC 3339 UTC text with fractional seconds only when present (`…05Z` or `…05.123Z`). */
export function timestamp(date: Date): string {
  const iso = date.toISOString()
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso
}

const READY = new WeakSet<object>()

/**
 * Converts `value` to wire data once and freezes it, so that answering it again costs no walk:
 * for documents a route builds once and serves many times (the public settings).
 * @example const doc = wireReady(buildDocument(snapshot)); return { ...doc, time: now() }
 */
export function wireReady<T>(value: T): T {
  const wire = toWire(value)
  const mark = (v: unknown) => {
    if (v === null || typeof v !== 'object' || READY.has(v)) return
    for (const child of Object.values(v)) mark(child)
    READY.add(Object.freeze(v))
  }
  mark(wire)
  return wire as T
}

/**
 * Converts a response value to plain wire data: dates become RFC 3339 strings, bigints numbers
 * (or strings when unsafe), `undefined` fields disappear, binary becomes base64. Plain JSON
 * data is returned as is (nothing is copied unless something has to change).
 */
export function toWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
    if (value === undefined) return null
    return value
  }
  if (READY.has(value)) return value
  if (value instanceof Date) return timestamp(value)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const v = value[i]
      const w = toWire(v)
      if (w !== v && !out) out = value.slice(0, i)
      if (out) out.push(w)
    }
    return out ?? value
  }
  const obj = value as Record<string, unknown>
  let out: Record<string, unknown> | undefined
  for (const key in obj) {
    const v = obj[key]
    // Strings, numbers, booleans and null stay as they are: no call for the common fields.
    const kind = typeof v
    const w = v === null || kind === 'string' || kind === 'number' || kind === 'boolean' ? v : v === undefined ? undefined : toWire(v)
    if (w !== v || v === undefined) {
      if (!out) {
        out = {}
        for (const k in obj) {
          if (k === key) break
          out[k] = obj[k]
        }
      }
      if (w !== undefined) out[key] = w
    } else if (out) out[key] = w
  }
  return out ?? obj
}

const packr = new Packr({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: true, variableMapSize: true })

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/
// Characters XML 1.0 cannot carry, even escaped.
const XML_ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function escapeXml(text: string): string {
  return text.replace(XML_ILLEGAL, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

// Attribute values are whitespace-normalised by XML parsers unless tabs and newlines are references.
function escapeAttribute(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;')
}

function xmlElement(name: string, value: unknown, out: string[]): void {
  const safe = XML_NAME.test(name) && !/^xml/i.test(name)
  const open = safe ? name : `entry key="${escapeAttribute(name)}"`
  const close = safe ? name : 'entry'
  if (Array.isArray(value)) {
    for (const item of value) xmlElement(name, item, out)
    return
  }
  if (value === null || value === undefined || value === '') {
    out.push(`<${open}/>`)
    return
  }
  if (typeof value === 'object') {
    out.push(`<${open}>`)
    for (const [k, v] of Object.entries(value)) xmlElement(k, v, out)
    out.push(`</${close}>`)
    return
  }
  out.push(`<${open}>${escapeXml(String(value))}</${close}>`)
}

/**
 * XML with one `<Response>` root: fields become child elements, arrays repeat their element,
 * `null` is an empty element, and a key that is not a safe XML name becomes
 * `<entry key="…">` so any key keeps the document well-formed.
 */
export function toXml(value: unknown): string {
  const out: string[] = ['<Response>']
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) xmlElement(k, v, out)
  } else if (Array.isArray(value)) {
    for (const item of value) xmlElement('item', item, out)
  } else if (value !== null && value !== undefined) {
    out.push(escapeXml(String(value)))
  }
  out.push('</Response>')
  return out.join('')
}

type Encoded = { body: string | Uint8Array; type: string }

// Encodings of wire-ready documents, per format: a document served many times is encoded once.
const ENCODED = new WeakMap<object, Partial<Record<Format, Encoded>>>()

/** Scalars a stamped answer adds to its document on each request. */
export type StampFields = Record<string, string | number | boolean | null>

/**
 * A wire-ready document answered with a few fields that change on every request (the public
 * settings' `time`): the document's encoding is made once per format, and in JSON the fields are
 * spliced in front of it instead of encoding the whole document again. The kernel answers it as
 * `{...fields, ...document}`.
 * @example return stamped(settingsDoc, { time: new Date().toISOString() })
 */
export class Stamped {
  constructor(
    readonly document: object,
    readonly fields: StampFields,
  ) {}
}

/** See {@link Stamped}; `document` must come from `wireReady`. */
export function stamped(document: object, fields: StampFields): Stamped {
  if (!READY.has(document)) throw new Error('stamped() needs a document made by wireReady()')
  return new Stamped(document, fields)
}

/**
 * Encodes a route's answer: wire-converted, then encoded for `format`. A document made by
 * `wireReady` is encoded once per format and the same body served again (routes that cache
 * their answers return the same frozen object); a {@link Stamped} answer reuses its document's.
 */
export function encodeAnswer(value: unknown, format: Format): Encoded {
  if (value instanceof Stamped) {
    let clash = false
    for (const key in value.fields) if (Object.hasOwn(value.document, key)) clash = true
    // A field the document also has: the field's value, the document encoded again.
    if (clash) return encode({ ...value.document, ...value.fields }, format)
    if (format !== 'json') return encode({ ...value.fields, ...value.document }, format)
    const doc = encodeReady(value.document, 'json').body as string
    const fields = JSON.stringify(value.fields)
    if (fields.length <= 2) return { body: doc, type: CONTENT_TYPES.json }
    return { body: doc.length <= 2 ? fields : `${fields.slice(0, -1)},${doc.slice(1)}`, type: CONTENT_TYPES.json }
  }
  const wire = toWire(value)
  if (wire !== null && typeof wire === 'object' && READY.has(wire)) return encodeReady(wire, format)
  return encode(wire, format)
}

function encodeReady(value: object, format: Format): Encoded {
  let byFormat = ENCODED.get(value)
  if (!byFormat) ENCODED.set(value, (byFormat = {}))
  return (byFormat[format] ??= encode(value, format))
}

/** Encodes an already wire-converted value; returns the body and its Content-Type. */
export function encode(value: unknown, format: Format): { body: string | Uint8Array; type: string } {
  switch (format) {
    case 'msgpack':
      return { body: packr.pack(value), type: CONTENT_TYPES.msgpack }
    case 'xml':
      return { body: toXml(value), type: CONTENT_TYPES.xml }
    default:
      return { body: JSON.stringify(value), type: CONTENT_TYPES.json }
  }
}

// ---------------------------------------------------------------- request bodies

/** Most nesting a request document may have. */
export const MAX_DEPTH = 32

export class PayloadError extends Error {}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

// A NUL byte (PostgreSQL text cannot hold one) or a UTF-16 surrogate without its partner.
const HOSTILE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** What a field holding a NUL byte or an unpaired surrogate is told. */
export const HOSTILE_TEXT = 'must not contain NUL bytes or invalid unicode'

/**
 * Whether text can be stored and sent back as is: no NUL byte, no unpaired UTF-16 surrogate.
 * @example isCleanText('a\u0000b') // false
 */
export const isCleanText = (text: string): boolean => !HOSTILE.test(text)

/** A problem with one field of a decoded document; `segments` lead to it from the root. */
export class FieldError extends PayloadError {
  readonly segments: (string | number)[] = []

  /** `name: …`, `images.java[0]: …` (the path validation messages use); `body: …` at the root. */
  get text(): string {
    const pointer = this.segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('')
    return `${fieldPath(pointer) || 'body'}: ${this.message}`
  }
}

function within<T>(segment: string | number, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof FieldError) e.segments.unshift(segment)
    throw e
  }
}

function checkKey(key: string): string {
  if (!isCleanText(key)) throw new FieldError(`field names ${HOSTILE_TEXT}`)
  if (FORBIDDEN_KEYS.has(key)) throw new PayloadError(`forbidden key "${key}"`)
  return key
}

/**
 * Checks a decoded document: plain values only, bounded depth, no prototype keys, no NUL bytes
 * or unpaired surrogates in strings or keys (a `FieldError` naming the field).
 * Standard msgpack timestamps become RFC 3339 strings; anything else exotic is refused.
 */
export function sanitize(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new PayloadError(`nesting deeper than ${MAX_DEPTH} levels`)
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string') {
      if (!isCleanText(value)) throw new FieldError(HOSTILE_TEXT)
      return value
    }
    // A field error (named by its path: `port: number out of range`), not a malformed document.
    if (typeof value === 'bigint') {
      if (!Number.isSafeInteger(Number(value))) throw new FieldError('integer out of range')
      return Number(value)
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw new FieldError('number out of range')
    if (typeof value === 'function' || typeof value === 'symbol') throw new PayloadError('unsupported value')
    return value
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new PayloadError('invalid timestamp')
    return timestamp(value)
  }
  if (Array.isArray(value)) return value.map((v, i) => within(i, () => sanitize(v, depth + 1)))
  const out: Record<string, unknown> = {}
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (typeof k !== 'string' && !(typeof k === 'number' && Number.isFinite(k))) throw new PayloadError('map keys must be strings')
      const key = checkKey(String(k))
      out[key] = within(key, () => sanitize(v, depth + 1))
    }
    return out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw new PayloadError('unsupported extension or binary value')
  for (const key of Object.keys(value)) {
    checkKey(key)
    out[key] = within(key, () => sanitize((value as Record<string, unknown>)[key], depth + 1))
  }
  return out
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i] < 0x80) continue
    try {
      strictUtf8.decode(bytes.subarray(i, end))
      return true
    } catch {
      return false
    }
  }
  return true
}

// Payload bytes after each MessagePack header byte (0xd9-0xdb: str; arrays and maps carry none).
function lengthAfter(bytes: Uint8Array, at: number, size: number): number {
  let n = 0
  for (let i = 0; i < size; i++) n = n * 256 + (bytes[at + i] ?? 0)
  return n
}

/**
 * Whether every str segment of a MessagePack document is valid UTF-8. msgpackr decodes them
 * leniently (U+FFFD for bad bytes), where JSON bodies are refused; this walks the headers once.
 * Truncated input stops the walk: the decoder refuses it.
 */
export function msgpackStringsAreUtf8(bytes: Uint8Array): boolean {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i++]
    let skip = 0
    if (b >= 0xa0 && b <= 0xbf) {
      if (!isUtf8(bytes, i, Math.min(i + (b & 0x1f), bytes.length))) return false
      skip = b & 0x1f
    } else if (b >= 0xd9 && b <= 0xdb) {
      const size = 1 << (b - 0xd9)
      const length = lengthAfter(bytes, i, size)
      i += size
      if (!isUtf8(bytes, i, Math.min(i + length, bytes.length))) return false
      skip = length
    } else if (b >= 0xc4 && b <= 0xc6) {
      const size = 1 << (b - 0xc4)
      skip = size + lengthAfter(bytes, i, size)
    } else if (b >= 0xc7 && b <= 0xc9) {
      const size = 1 << (b - 0xc7)
      skip = size + 1 + lengthAfter(bytes, i, size)
    } else if (b >= 0xd4 && b <= 0xd8) skip = 1 + (1 << (b - 0xd4))
    else if (b === 0xca) skip = 4
    else if (b === 0xcb) skip = 8
    else if (b >= 0xcc && b <= 0xcf) skip = 1 << (b - 0xcc)
    else if (b >= 0xd0 && b <= 0xd3) skip = 1 << (b - 0xd0)
    else if (b === 0xdc || b === 0xde) skip = 2
    else if (b === 0xdd || b === 0xdf) skip = 4
    i += skip
  }
  return true
}

// Maps decode as Map so sanitize() sees every key as sent (as objects, msgpackr quietly renames
// `__proto__` and stringifies non-string keys).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint', moreTypes: false })

/** Decodes a MessagePack body; extensions other than the standard timestamp are refused. */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return {}
  if (!msgpackStringsAreUtf8(bytes)) throw new PayloadError('body is not valid UTF-8')
  let value: unknown
  try {
    value = unpackr.unpack(bytes)
  } catch (e) {
    // msgpackr's and the engine's own text (`referenceMap.get`…) says nothing a client can use.
    throw new PayloadError(e instanceof RangeError ? 'document too deep or truncated' : 'malformed msgpack')
  }
  return sanitize(value)
}

/** Decodes a JSON body; an empty body is `{}`. */
export function decodeJson(text: string): unknown {
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new PayloadError(e instanceof RangeError ? 'document too deep' : 'malformed json')
  }
  return sanitize(value)
}

// fast-xml-parser is loaded by the first XML request body (few clients send XML): a panel that
// never gets one keeps ~5 MiB less resident. `require` is synchronous in Bun.
let xmlLibrary: typeof import('fast-xml-parser') | undefined
const fastXml = () => (xmlLibrary ??= require('fast-xml-parser') as typeof import('fast-xml-parser'))
let xmlParser: XMLParser | undefined
const xmlOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // Text is trimmed in fromXmlNode; the parser would also trim attribute values (`<entry key=" a">`).
  trimValues: false,
  allowBooleanAttributes: false,
  commentPropName: false as unknown as string,
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

// XML 1.0 `Char`: what a character reference may name.
const isXmlChar = (c: number) =>
  c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)

function unescapeXml(text: string): string {
  return text.replace(/&([^&;<\s]*)(;?)/g, (whole, ref: string, semi: string) => {
    if (!semi) throw new PayloadError('malformed entity reference')
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref)
    if (num) {
      const code = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2], 10)
      if (!isXmlChar(code)) throw new PayloadError('invalid character reference')
      return String.fromCodePoint(code)
    }
    const c = PREDEFINED[ref]
    if (c === undefined) throw new PayloadError(`undefined entity &${ref};`)
    return c
  })
}

const text = (raw: unknown) => unescapeXml(String(raw).trim())

// Comments and processing instructions are skipped so a `<![CDATA[` inside them is not taken for one.
const LITERAL_SECTIONS = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>/g

/** CDATA is literal text: escaped here, it comes out of unescapeXml exactly as written. */
function escapeCdata(xml: string): string {
  return xml.replace(LITERAL_SECTIONS, (whole, cdata: string | undefined) =>
    cdata === undefined ? whole : cdata.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  )
}

function fromXmlNode(node: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new PayloadError(`nesting deeper than ${MAX_DEPTH} levels`)
  if (node === null || node === undefined) return ''
  if (typeof node !== 'object') return text(node)
  const entries = Object.entries(node as Record<string, unknown>).filter(([k]) => !k.startsWith('@'))
  if (entries.length === 0) return ''
  if (entries.length === 1 && entries[0][0] === '#text') return text(entries[0][1])
  const fields = new Map<string, unknown[]>()
  for (const [rawKey, value] of entries) {
    if (rawKey === '#text') continue
    for (const item of Array.isArray(value) ? value : [value]) {
      // `<entry key="Java 21">` carries a key that is not an XML name (see toXml).
      const attr = item && typeof item === 'object' ? (item as Record<string, unknown>)['@key'] : undefined
      const key = rawKey === 'entry' && typeof attr === 'string' ? unescapeXml(attr) : rawKey
      if (FORBIDDEN_KEYS.has(key)) throw new PayloadError(`forbidden key "${key}"`)
      const list = fields.get(key) ?? []
      list.push(fromXmlNode(item, depth + 1))
      fields.set(key, list)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, list] of fields) out[key] = list.length === 1 ? list[0] : list
  return out
}

/**
 * Decodes an XML body: the root element's name is ignored and its children become fields.
 * Values stay strings (the route schema coerces them); DOCTYPE and entity declarations are
 * refused; only the five predefined entities and character references are decoded, and CDATA
 * sections are taken literally.
 */
export function decodeXml(xml: string): unknown {
  if (xml.trim() === '') return {}
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new PayloadError('DOCTYPE and ENTITY declarations are not allowed')
  const valid = fastXml().XMLValidator.validate(xml, { allowBooleanAttributes: false })
  // The validator's text quotes the document back; the line is enough to find the fault.
  if (valid !== true) throw new PayloadError(`malformed xml (line ${valid.err.line})`)
  let doc: Record<string, unknown>
  try {
    doc = (xmlParser ??= new (fastXml().XMLParser)(xmlOptions)).parse(escapeCdata(xml))
  } catch {
    throw new PayloadError('malformed xml')
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('@') && k !== '#text')
  if (roots.length !== 1) throw new PayloadError('expected exactly one root element')
  const root = doc[roots[0]]
  if (Array.isArray(root)) throw new PayloadError('expected exactly one root element')
  const value = fromXmlNode(root, 0)
  return typeof value === 'string' ? {} : sanitize(value)
}

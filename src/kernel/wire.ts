import { Packr, Unpackr } from 'msgpackr'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { CONTENT_TYPES, type Format } from './negotiate'

/** RFC 3339 UTC text with fractional seconds only when present (`…05Z` or `…05.123Z`). */
export function timestamp(date: Date): string {
  const iso = date.toISOString()
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso
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
    const w = v === undefined ? undefined : toWire(v)
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
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function escapeXml(text: string): string {
  return text
    .replace(XML_ILLEGAL, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
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

/**
 * Checks a decoded document: plain values only, bounded depth, no prototype keys.
 * Standard msgpack timestamps become RFC 3339 strings; anything else exotic is refused.
 */
export function sanitize(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new PayloadError(`nesting deeper than ${MAX_DEPTH} levels`)
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') {
      if (!Number.isSafeInteger(Number(value))) throw new PayloadError('integer out of range')
      return Number(value)
    }
    if (typeof value === 'number' && !Number.isFinite(value)) throw new PayloadError('number out of range')
    if (typeof value === 'function' || typeof value === 'symbol') throw new PayloadError('unsupported value')
    return value
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new PayloadError('invalid timestamp')
    return timestamp(value)
  }
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1))
  if (value instanceof Map) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of value) {
      if (typeof k !== 'string' && !(typeof k === 'number' && Number.isFinite(k))) throw new PayloadError('map keys must be strings')
      const key = String(k)
      if (FORBIDDEN_KEYS.has(key)) throw new PayloadError(`forbidden key "${key}"`)
      out[key] = sanitize(v, depth + 1)
    }
    return out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw new PayloadError('unsupported extension or binary value')
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new PayloadError(`forbidden key "${key}"`)
    out[key] = sanitize((value as Record<string, unknown>)[key], depth + 1)
  }
  return out
}

// Maps decode as Map so sanitize() sees every key as sent (as objects, msgpackr quietly renames
// `__proto__` and stringifies non-string keys).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint', moreTypes: false })

/** Decodes a MessagePack body; extensions other than the standard timestamp are refused. */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return {}
  let value: unknown
  try {
    value = unpackr.unpack(bytes)
  } catch (e) {
    throw new PayloadError(e instanceof RangeError ? 'document too deep or truncated' : `malformed msgpack: ${(e as Error).message}`)
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
    throw new PayloadError(e instanceof RangeError ? 'document too deep' : (e as Error).message)
  }
  return sanitize(value)
}

const xmlParser = new XMLParser({
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
})

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
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false })
  if (valid !== true) throw new PayloadError(`malformed xml: ${valid.err.msg} (line ${valid.err.line})`)
  let doc: Record<string, unknown>
  try {
    doc = xmlParser.parse(escapeCdata(xml))
  } catch (e) {
    throw new PayloadError(`malformed xml: ${(e as Error).message}`)
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('@') && k !== '#text')
  if (roots.length !== 1) throw new PayloadError('expected exactly one root element')
  const root = doc[roots[0]]
  if (Array.isArray(root)) throw new PayloadError('expected exactly one root element')
  const value = fromXmlNode(root, 0)
  return typeof value === 'string' ? {} : value
}

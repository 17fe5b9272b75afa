import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'

// Decimal notation only: Number() alone also takes '0x10', '0b1' and 'Infinity'.
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * Shapes an XML-decoded document (all strings, single or repeated elements) after a route's
 * body schema: numbers and booleans from their text, a lone element into a one-item array,
 * an empty element into `null`, `[]` or `''` as the schema allows. JSON and MessagePack carry
 * their own types and are left alone.
 */
export function coerceXml(schema: any, value: unknown): unknown {
  if (!schema || typeof schema !== 'object') return value
  if (Array.isArray(schema.anyOf)) {
    if (value === '' && schema.anyOf.some((b: any) => b.type === 'null')) return null
    for (const branch of schema.anyOf) {
      const candidate = coerceXml(branch, value)
      if (Value.Check(branch as TSchema, candidate)) return candidate
    }
    return value
  }
  switch (schema.type) {
    case 'null':
      return value === '' ? null : value
    case 'integer':
    case 'number':
      return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value
    case 'boolean':
      return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value
    case 'array': {
      if (value === '') return []
      const list = Array.isArray(value) ? value : [value]
      return list.map((v) => coerceXml(schema.items, v))
    }
    case 'object': {
      if (value === '') return {}
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      for (const [k, sub] of Object.entries(schema.properties ?? {})) if (k in out) out[k] = coerceXml(sub, out[k])
      const extra = schema.patternProperties ? Object.values(schema.patternProperties)[0] : schema.additionalProperties
      if (extra && typeof extra === 'object') {
        for (const k of Object.keys(out)) if (!(k in (schema.properties ?? {}))) out[k] = coerceXml(extra, out[k])
      }
      return out
    }
    default:
      return value
  }
}

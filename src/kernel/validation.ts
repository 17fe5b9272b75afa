import { Value } from '@sinclair/typebox/value'
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors'
import { Kind, type TSchema } from '@sinclair/typebox'

/** `/a/0/b` → `a[0].b` (the field path clients see in messages). */
export function fieldPath(pointer: string): string {
  let out = ''
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (/^\d+$/.test(part)) out += `[${part}]`
    else out += out ? `.${part}` : part
  }
  return out
}

function describe(schema: any): string {
  if (schema?.const !== undefined) return JSON.stringify(schema.const)
  if (schema?.type) return Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type
  return 'value'
}

function isLiteralUnion(schema: any): boolean {
  return Array.isArray(schema?.anyOf) && schema.anyOf.every((b: any) => b.const !== undefined)
}

/** The message for one TypeBox error, in the style `length is lower than 3`. */
function message(e: ValueError): string {
  const s: any = e.schema
  if (typeof s?.error === 'string') return s.error
  // Elysia hands over bodies with absent fields present as `undefined`: that is a missing field.
  if (e.value === undefined && e.type !== ValueErrorType.ObjectAdditionalProperties) return 'required'
  switch (e.type) {
    case ValueErrorType.StringMinLength:
      return `length is lower than ${s.minLength}`
    case ValueErrorType.StringMaxLength:
      return `length is greater than ${s.maxLength}`
    case ValueErrorType.ArrayMinItems:
      return `length is lower than ${s.minItems}`
    case ValueErrorType.ArrayMaxItems:
      return `length is greater than ${s.maxItems}`
    case ValueErrorType.ArrayUniqueItems:
      return 'items must be unique'
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `lower than ${s.minimum}`
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `greater than ${s.maximum}`
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `must be greater than ${s.exclusiveMinimum}`
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `must be lower than ${s.exclusiveMaximum}`
    case ValueErrorType.StringPattern:
      return `does not match pattern /${s.pattern}/`
    case ValueErrorType.StringFormat:
      return s.format === 'email' ? 'not a valid email' : `not a valid ${s.format}`
    case ValueErrorType.ObjectRequiredProperty:
      return 'required'
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field'
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(s.const)}`
    case ValueErrorType.Integer:
      return 'expected an integer'
    case ValueErrorType.Number:
      return 'expected a number'
    case ValueErrorType.String:
      return 'expected a string'
    case ValueErrorType.Boolean:
      return 'expected a boolean'
    case ValueErrorType.Array:
      return 'expected an array'
    case ValueErrorType.Object:
      return 'expected an object'
    case ValueErrorType.Null:
      return 'expected null'
    case ValueErrorType.Union:
      if (isLiteralUnion(s)) return `must be one of: ${s.anyOf.map((b: any) => b.const).join(', ')}`
      return `expected ${s.anyOf.map(describe).join(' or ')}`
    default:
      return e.message.charAt(0).toLowerCase() + e.message.slice(1)
  }
}

// Elysia wraps numeric/boolean query and path fields as `anyOf: [string-with-format, number]`
// and coerces strings before checking; undo that so errors name the real rule.
const COERCED_FORMATS = new Set(['integer', 'numeric', 'boolean', 'ObjectString', 'ArrayString'])

function unwrap(schema: any): any {
  if (Array.isArray(schema?.anyOf) && schema.anyOf.length === 2) {
    const [a, b] = schema.anyOf
    if (a?.type === 'string' && COERCED_FORMATS.has(a.format)) return { ...b, ...pickDocs(schema) }
  }
  return schema
}
const pickDocs = (s: any) => (s.error ? { error: s.error } : {})

/**
 * Numbers and booleans written as text (query strings, CLI options) converted as their schema
 * says; anything else unchanged.
 * @example coerce(t.Object({ n: t.Integer() }), { n: '5' }) // { n: 5 }
 */
export function coerce(schema: any, value: unknown): unknown {
  schema = unwrap(schema)
  if (typeof value === 'string') {
    if ((schema?.type === 'integer' || schema?.type === 'number') && value.trim() !== '' && !Number.isNaN(Number(value)))
      return Number(value)
    if (schema?.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true'
  }
  if (schema?.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as object) }
    for (const [k, sub] of Object.entries(schema.properties ?? {})) if (k in out) out[k] = coerce(sub, out[k])
    return out
  }
  if (schema?.type === 'array' && Array.isArray(value)) return value.map((v) => coerce(schema.items, v))
  return value
}

function normalize(schema: any): any {
  schema = unwrap(schema)
  if (!schema || typeof schema !== 'object') return schema
  if (schema.type === 'object' && schema.properties) {
    const properties: Record<string, unknown> = {}
    for (const [k, sub] of Object.entries(schema.properties)) properties[k] = normalize(sub)
    return { ...schema, properties }
  }
  if (schema.type === 'array' && schema.items) return { ...schema, items: normalize(schema.items) }
  if (Array.isArray(schema.anyOf)) return { ...schema, anyOf: schema.anyOf.map(normalize) }
  return schema
}

function collect(schema: TSchema, value: unknown, prefix: string, out: string[], missing = new Set<string>()): void {
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.path
    const s: any = e.schema
    // TypeBox reports a missing field as required, then checks `undefined` against its type.
    if (e.type === ValueErrorType.ObjectRequiredProperty) missing.add(path)
    else if (e.value === undefined && missing.has(path)) continue
    if (e.type === ValueErrorType.Union && !isLiteralUnion(s) && typeof s?.error !== 'string') {
      // `T | null` and similar: report why the value fails the one branch it could mean.
      const branches = s.anyOf.filter((b: any) => b.type !== 'null')
      if (branches.length === 1 && e.value !== null) {
        collect(branches[0], e.value, path, out, missing)
        continue
      }
      // Objects told apart by a `type` literal (mail_mode, captcha_provider…): judge by the branch named.
      const tags = branches.map((b: any) => b.properties?.type?.const)
      if (branches.length > 1 && tags.every((tag: unknown) => typeof tag === 'string') && e.value && typeof e.value === 'object') {
        const chosen = branches[tags.indexOf((e.value as { type?: unknown }).type)]
        if (chosen) collect(chosen, e.value, path, out, missing)
        else {
          const text = `${fieldPath(`${path}/type`)}: must be one of: ${tags.join(', ')}`
          if (!out.includes(text)) out.push(text)
        }
        continue
      }
    }
    const field = fieldPath(path)
    const text = `${field || 'body'}: ${message(e)}`
    if (!out.includes(text)) out.push(text)
  }
}

/**
 * Turns an Elysia validation failure into `field: message` lines, every failing rule listed.
 * @example validationMessages(schema, { name: 'x' }) // ['name: length is lower than 3']
 */
export function validationMessages(schema: TSchema, value: unknown): string[] {
  const normal = normalize(schema)
  const out: string[] = []
  // Kind symbols are lost by the spread in normalize(); TypeBox needs them only for refs.
  collect(Object.assign(normal, { [Kind]: (schema as any)[Kind] }), coerce(normal, value), '', out)
  return out.length > 0 ? out : ['body: invalid value']
}

/** Extracts the schema from whatever validator Elysia put on its ValidationError. */
export function schemaOfValidator(validator: any): TSchema | null {
  if (!validator) return null
  if (typeof validator.Schema === 'function') return validator.Schema()
  if (validator.schema && typeof validator.schema === 'object') return validator.schema
  if (validator[Kind] || validator.type || validator.anyOf) return validator
  return null
}

const isPlainObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Whether a field the schema wants as an object or array holds something else (`null`, a
 * string…). Elysia's normalisation would otherwise turn it into `{}` for an object whose fields
 * are all optional, and accept it. Scalars are left to the full validation.
 * @example containerMismatch(t.Object({ app: t.Optional(t.Object({})) }), { app: null }) // true
 */
export function containerMismatch(schema: any, value: unknown): boolean {
  if (value === undefined || !schema || typeof schema !== 'object') return false
  if (Array.isArray(schema.anyOf)) return schema.anyOf.every((branch: unknown) => containerMismatch(branch, value))
  if (schema.type === 'array') return !Array.isArray(value) || value.some((item) => containerMismatch(schema.items, item))
  if (schema.type !== 'object') return false
  if (!isPlainObject(value)) return true
  const properties = schema.properties ?? {}
  const extra = schema.patternProperties ? Object.values(schema.patternProperties)[0] : schema.additionalProperties
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const sub = Object.hasOwn(properties, key) ? properties[key] : extra
    if (containerMismatch(sub, field)) return true
  }
  return false
}

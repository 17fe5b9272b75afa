import { BadRequest } from 'hatchery'
import type { OrderedPairs } from '../tables'

/** Reading a decoded document field by field, with deserializer-style messages (`path: invalid type: …`). */
export type Obj = Record<string, unknown>

export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The value as a deserializer error names it (`string "x"`, `a sequence`, …). */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return `boolean \`${v}\``
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
  return Array.isArray(v) ? 'a sequence' : 'a map'
}

export const at = (path: string, message: string) => (path ? `${path}: ${message}` : message)
export const invalidType = (path: string, v: unknown, expected: string) =>
  new BadRequest(at(path, `invalid type: ${describe(v)}, expected ${expected}`))
export const child = (path: string, key: string) => (path ? `${path}.${key}` : key)

export function field(o: Obj, key: string, path: string): unknown {
  const v = o[key]
  if (v === undefined) throw new BadRequest(at(path, `missing field \`${key}\``))
  return v
}
export function object(v: unknown, path: string): Obj {
  if (!isObj(v)) throw invalidType(path, v, 'a map')
  return v
}
export function string(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalidType(path, v, 'a string')
  return v
}
export function bool(v: unknown, path: string, fallback?: boolean): boolean {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback
  if (typeof v !== 'boolean') throw invalidType(path, v, 'a boolean')
  return v
}
export function optString(v: unknown, path: string): string | null {
  return v === undefined || v === null ? null : string(v, path)
}
/** A list of strings; null or anything else is `[]` (features, file_denylist). */
export function stringList(v: unknown): string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : []
}
export function stringMap(v: unknown, path: string): OrderedPairs {
  return Object.entries(object(v, path)).map(([k, s]) => [k, string(s, child(path, k))])
}
/** A Pterodactyl-style JSON string holding the value, or the value itself; `''` is `empty`. */
export function jsonish(v: unknown, path: string, empty: unknown): unknown {
  if (typeof v !== 'string') return v
  if (v.trim() === '') return empty
  try {
    return JSON.parse(v)
  } catch {
    throw new BadRequest(at(path, 'not a valid JSON document'))
  }
}
export function length(problems: string[], path: string, v: string | null, min: number, max: number): void {
  if (v === null) return
  if (v.length < min) problems.push(at(path, `length is lower than ${min}`))
  else if (v.length > max) problems.push(at(path, `length is greater than ${max}`))
}

import type { Static, TSchema } from '@sinclair/typebox'
import type { RateLimitRule } from '../ratelimit'

/**
 * One settings key: its TypeBox schema and default. `secrets` names fields of an object value
 * that are stored encrypted and never returned (write-only); `readOnly` keys cannot be set
 * through the API.
 * @example { schema: t.Integer({ minimum: 1 }), default: 25 }
 */
export interface SettingDef {
  schema: TSchema
  default: unknown
  secrets?: string[]
  readOnly?: boolean
  /** Human description, shown by `panel settings list`. */
  description?: string
}

/**
 * Every setting key and the type of its value. The core document fills it from its schemas; a
 * plugin adds its own keys, derived from its definitions, by declaration merging:
 * @example
 * const settings = { 'notes.max_length': { schema: t.Integer({ minimum: 1 }), default: 1000 } } satisfies PluginSettings
 * declare module 'hatchery' { interface Settings extends SettingsOf<typeof settings> {} }
 * // then: await ctx.settings.get('notes.max_length') is a number, and an unknown key does not compile
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Settings {}

/** A plugin's settings definitions (`settings` of its descriptor). */
export type PluginSettings = Record<string, SettingDef>

/** The value types of a definitions object: `Static<>` of each key's schema. */
export type SettingsOf<D extends Record<string, { schema: TSchema }>> = { [K in keyof D & string]: Static<D[K]['schema']> }

/** A known key: one of `Settings`, or a rate-limit bucket (`ratelimits.<bucket>`, defined by `rateLimits`). */
export type SettingKey = (keyof Settings & string) | `ratelimits.${string}`

/** The value type of a key. */
export type SettingValue<K extends SettingKey> = K extends keyof Settings ? Settings[K] : RateLimitRule

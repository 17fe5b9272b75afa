import type { TSchema } from '@sinclair/typebox'

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

import type { nestEggVariables } from '../tables'
import type { VariableFields } from './parse'

type VariableRow = typeof nestEggVariables.$inferSelect

/** What an update-import does to an egg's variables. */
export interface VariablePlan {
  /** Variables matched by `env_variable`: their fields replaced (`secret` untouched). */
  update: { uuid: string; set: Omit<VariableFields, 'secret' | 'env_variable'> }[]
  /** Variables new to the egg. */
  insert: VariableFields[]
  /** Variables the document does not name: kept, moved after the document's. */
  renumber: { uuid: string; order: number }[]
}

const I16_MAX = 32767

/**
 * Spec 02 §7.5: variables are upserted by `env_variable` (name, translations, description, order,
 * default value, visibility and rules replaced; `secret` kept); variables the document does not
 * name are kept and renumbered after it (`order = len(doc) + max(doc order) + position`, at most
 * 32767). `incoming` comes from `parseEgg`, whose orders are already 1-based positions where the
 * document had none. New variables take the document's `secret` (the reference sets false: a
 * variable an egg author marks secret should not start out visible).
 */
export function planVariableUpdate(existing: VariableRow[], incoming: VariableFields[]): VariablePlan {
  const byEnv = new Map(existing.map((v) => [v.env_variable, v]))
  const plan: VariablePlan = { update: [], insert: [], renumber: [] }
  for (const v of incoming) {
    const current = byEnv.get(v.env_variable)
    if (!current) {
      plan.insert.push(v)
      continue
    }
    const { secret: _secret, env_variable: _env, ...set } = v
    plan.update.push({ uuid: current.uuid, set })
  }
  const named = new Set(incoming.map((v) => v.env_variable))
  const maxOrder = Math.max(0, ...incoming.map((v) => v.order))
  const kept = existing
    .filter((v) => !named.has(v.env_variable))
    .sort((a, b) => a.order - b.order || a.created.getTime() - b.created.getTime())
  kept.forEach((v, i) => plan.renumber.push({ uuid: v.uuid, order: Math.min(I16_MAX, incoming.length + maxOrder + i + 1) }))
  return plan
}

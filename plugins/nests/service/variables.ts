import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Static } from 'elysia'
import { loadOr404, uniqueAs, Validation, type Db, type Tx } from 'hatchery'
import { nestEggVariables } from '../tables'
import { ruleProblem } from '../rules'
import type { CreateVariable, NestEggVariable, UpdateVariable } from '../model'
import type { EggRow } from './eggs'

export type VariableRow = typeof nestEggVariables.$inferSelect
export type AdminVariable = Static<typeof NestEggVariable>

export const toAdminVariable = (r: VariableRow): AdminVariable => ({
  uuid: r.uuid,
  name: r.name,
  name_translations: r.name_translations,
  description: r.description,
  description_translations: r.description_translations,
  order: r.order,
  env_variable: r.env_variable,
  default_value: r.default_value,
  user_viewable: r.user_viewable,
  user_editable: r.user_editable,
  is_secret: r.secret,
  rules: r.rules,
  created: r.created,
})

/** `nest:egg.variable.create` / `.update` activity data. */
export const variableAudit = (egg: EggRow, r: VariableRow) => ({
  uuid: r.uuid,
  nest_uuid: egg.nest_uuid,
  egg_uuid: egg.uuid,
  name: r.name,
  name_translations: r.name_translations,
  description: r.description,
  description_translations: r.description_translations,
  order: r.order,
  env_variable: r.env_variable,
  default_value: r.default_value,
  user_viewable: r.user_viewable,
  user_editable: r.user_editable,
  secret: r.secret,
  rules: r.rules,
})

/** The variable a path parameter names, of this egg: 400 malformed, 404 unknown. */
export const getVariable = (db: Db | Tx, eggUuid: string, uuid: string, lock = false) =>
  loadOr404(db, nestEggVariables, nestEggVariables.uuid, uuid, 'variable', { where: eq(nestEggVariables.egg_uuid, eggUuid), lock })

/** An egg's variables by `order`, then creation. */
export function listVariables(db: Db | Tx, eggUuid: string): Promise<VariableRow[]> {
  return db
    .select()
    .from(nestEggVariables)
    .where(eq(nestEggVariables.egg_uuid, eggUuid))
    .orderBy(asc(nestEggVariables.order), asc(nestEggVariables.created), asc(nestEggVariables.uuid))
}

/** Translation keys are language codes of 2–15 characters; every rule must be supported and well-formed. */
function checkVariable(input: Static<typeof UpdateVariable>): void {
  const problems: string[] = []
  for (const field of ['name_translations', 'description_translations'] as const) {
    for (const key of Object.keys(input[field] ?? {})) {
      const length = [...key].length
      if (length < 2 || length > 15) problems.push(`${field}: language code must be 2 to 15 characters: ${key}`)
    }
  }
  for (const rule of input.rules ?? []) {
    const problem = ruleProblem(rule)
    if (problem) problems.push(`rules: ${problem}`)
  }
  if (problems.length) throw new Validation(problems)
}

export async function createVariable(tx: Tx, egg: EggRow, input: Static<typeof CreateVariable>): Promise<VariableRow> {
  checkVariable(input)
  const [row] = await tx
    .insert(nestEggVariables)
    .values({ ...input, egg_uuid: egg.uuid, description: input.description ?? null, default_value: input.default_value ?? null })
    .returning() // a taken env_variable: 409 from uniqueMessages
  return row
}

/** Absent fields stay; null clears `description` and `default_value`. */
export async function updateVariable(tx: Tx, egg: EggRow, uuid: string, input: Static<typeof UpdateVariable>): Promise<VariableRow> {
  const current = await getVariable(tx, egg.uuid, uuid, true)
  checkVariable(input)
  if (Object.values(input).every((v) => v === undefined)) return current
  const [row] = await tx.update(nestEggVariables).set(input).where(eq(nestEggVariables.uuid, current.uuid)).returning()
  return row
}

export async function deleteVariable(tx: Tx, egg: EggRow, uuid: string): Promise<VariableRow> {
  const row = await getVariable(tx, egg.uuid, uuid, true)
  await tx.delete(nestEggVariables).where(eq(nestEggVariables.uuid, row.uuid))
  return row
}

/** A copy under a new name and env variable (everything else copied). */
export async function duplicateVariable(
  tx: Tx,
  egg: EggRow,
  uuid: string,
  input: { name: string; env_variable: string },
): Promise<{ source: VariableRow; copy: VariableRow }> {
  const source = await getVariable(tx, egg.uuid, uuid)
  const { uuid: _u, created: _c, ...fields } = source
  const [copy] = await tx
    .insert(nestEggVariables)
    .values({ ...fields, ...input })
    .returning()
    .catch(uniqueAs('variable with name or env variable already exists'))
  return { source, copy }
}

/** Each listed variable of the egg gets `order` = its 1-based position; others (and unknown uuids) are left alone. */
export async function orderVariables(tx: Tx, egg: EggRow, order: string[]): Promise<void> {
  const positions = new Map<string, number>()
  order.forEach((u, i) => positions.set(u.toLowerCase(), i + 1))
  if (positions.size === 0) return
  const cases = sql.join(
    [...positions].map(([u, i]) => sql`when ${u}::uuid then ${i}`),
    sql` `,
  )
  await tx
    .update(nestEggVariables)
    .set({ order: sql`(case ${nestEggVariables.uuid} ${cases} end)::smallint` })
    .where(and(eq(nestEggVariables.egg_uuid, egg.uuid), inArray(nestEggVariables.uuid, [...positions.keys()])))
}

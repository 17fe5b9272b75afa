import { asc, eq } from 'drizzle-orm'
import { BadRequest, type Db, type Tx } from 'hatchery'
import { ruleProblem, tables as nestTables, validateVariableValue } from '../../nests'

/**
 * Checks every variable of the egg (spec 02 §8.2 step 1): the supplied value (by `env_variable`),
 * else the `current` one (by variable uuid; a server's stored values, §8.9), else the default, else `""`, against its rules: 400 `invalid rule '<r>': <why>` for a rule that
 * does not parse, 400 `<ENV>: <why>` for the first failing value. Answers the values to store:
 * the supplied ones of variables the egg has (others read their default).
 */
export async function checkVariables(
  db: Db | Tx,
  egg: string,
  supplied: { env_variable: string; value: string }[],
  current: ReadonlyMap<string, string> = new Map(),
): Promise<{ variable_uuid: string; value: string }[]> {
  const v = nestTables.nestEggVariables
  const variables = await db.select().from(v).where(eq(v.egg_uuid, egg)).orderBy(asc(v.order), asc(v.created))
  const given = new Map(supplied.map((s) => [s.env_variable, s.value]))
  const values = Object.fromEntries(
    variables.map((x) => [x.env_variable, given.get(x.env_variable) ?? current.get(x.uuid) ?? x.default_value ?? '']),
  )
  for (const variable of variables) {
    for (const rule of variable.rules) {
      const problem = ruleProblem(rule)
      if (problem) throw new BadRequest(`invalid rule '${rule}': ${problem}`)
    }
    const problem = validateVariableValue(variable.rules, values[variable.env_variable], values)
    if (problem) throw new BadRequest(`${variable.env_variable}: ${problem}`)
  }
  return variables.filter((x) => given.has(x.env_variable)).map((x) => ({ variable_uuid: x.uuid, value: given.get(x.env_variable)! }))
}

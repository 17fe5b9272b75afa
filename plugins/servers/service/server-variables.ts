import { and, asc, eq, sql } from 'drizzle-orm'
import { BadRequest, transaction, type Actor, type Db, type PluginContext, type Tx } from 'hatchery'
import { tables as nestTables } from '../../nests'
import type { ServerVariable, UpdateServerVariables } from '../model'
import { serverVariables } from '../tables'
import { getServer } from './admin-servers'
import { checkVariables } from './variables'

const v = nestTables.nestEggVariables

/** Every variable of the server's egg with the server's value (spec 02 §2.13), in the egg's order. */
export async function listServerVariables(db: Db | Tx, uuid: string): Promise<ServerVariable[]> {
  const server = await getServer(db, uuid)
  const rows = await db
    .select({ variable: v, value: serverVariables.value, set: serverVariables.created })
    .from(v)
    .leftJoin(serverVariables, and(eq(serverVariables.variable_uuid, v.uuid), eq(serverVariables.server_uuid, server.uuid)))
    .where(eq(v.egg_uuid, server.egg_uuid))
    .orderBy(asc(v.order), asc(v.created), asc(v.uuid))
  const now = new Date()
  return rows.map(({ variable: x, value, set }) => ({
    name: x.name,
    name_translations: x.name_translations,
    description: x.description,
    description_translations: x.description_translations,
    env_variable: x.env_variable,
    default_value: x.default_value,
    value: value ?? x.default_value ?? '',
    is_editable: x.user_editable,
    is_secret: x.secret,
    rules: x.rules,
    created: set ?? now,
  }))
}

/**
 * Sets a server's variables (spec 02 §8.9), the server row locked: every egg variable is checked
 * with the supplied value, else the stored one, else its default (400 as on create); values for
 * env vars the egg lacks are ignored, the rest upserted. No sync is pushed to Wings (the reference
 * does not; Wings reads the variables with the configuration on its next fetch or sync).
 */
export async function updateServerVariables(ctx: PluginContext, actor: Actor, uuid: string, input: UpdateServerVariables): Promise<void> {
  const seen = new Set<string>()
  for (const { env_variable } of input.variables) {
    if (seen.has(env_variable)) throw new BadRequest(`duplicate environment variable: ${env_variable}`)
    seen.add(env_variable)
  }
  await transaction(ctx.db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    const stored = await tx
      .select({ variable: serverVariables.variable_uuid, value: serverVariables.value })
      .from(serverVariables)
      .where(eq(serverVariables.server_uuid, server.uuid))
    const values = await checkVariables(tx, server.egg_uuid, input.variables, new Map(stored.map((s) => [s.variable, s.value])))
    if (values.length) {
      await tx
        .insert(serverVariables)
        .values(values.map((x) => ({ server_uuid: server.uuid, ...x })))
        .onConflictDoUpdate({ target: [serverVariables.server_uuid, serverVariables.variable_uuid], set: { value: sql`excluded.value` } })
    }
    await ctx.activity.admin(tx, actor, 'server:variables.update', { uuid: server.uuid, variables: input.variables })
  })
}

import { and, asc, eq, sql } from 'drizzle-orm'
import { BadRequest, transaction, type Actor, type Db, type PluginContext, type Tx } from 'hatchery'
import { tables as nestTables } from '../../nests'
import type { ServerVariable, UpdateServerVariables } from '../model'
import { serverVariables } from '../tables'
import { getServer, type ServerRow } from './admin-servers'
import { checkVariables } from './variables'

const v = nestTables.nestEggVariables

/** Every variable of the server's egg with the server's value (spec 02 §2.13), in the egg's order. */
export async function listServerVariables(db: Db | Tx, uuid: string, viewableOnly = false): Promise<ServerVariable[]> {
  const server = await getServer(db, uuid)
  const rows = await db
    .select({ variable: v, value: serverVariables.value, set: serverVariables.created })
    .from(v)
    .leftJoin(serverVariables, and(eq(serverVariables.variable_uuid, v.uuid), eq(serverVariables.server_uuid, server.uuid)))
    .where(and(eq(v.egg_uuid, server.egg_uuid), viewableOnly ? eq(v.user_viewable, true) : undefined))
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
  await storeServerVariables(ctx.db, uuid, input.variables, {
    log: (tx, server) => ctx.activity.admin(tx, actor, 'server:variables.update', { uuid: server.uuid, variables: input.variables }),
  })
}

/**
 * The shared core of the admin and client variable updates: duplicate env names are 400
 * (`<duplicatePrefix>duplicate environment variable: <ENV>`); with `editableOnly` (the client
 * area, spec 03 §3.3) only `user_editable` variables take a supplied value, the others are
 * silently ignored. `log` writes the activity in the same transaction. Answers the updated row.
 */
export async function storeServerVariables(
  db: Db,
  uuid: string,
  supplied: { env_variable: string; value: string }[],
  options: { editableOnly?: boolean; duplicatePrefix?: string; log: (tx: Tx, server: ServerRow) => Promise<unknown> },
): Promise<ServerRow> {
  const seen = new Set<string>()
  for (const { env_variable } of supplied) {
    if (seen.has(env_variable)) throw new BadRequest(`${options.duplicatePrefix ?? ''}duplicate environment variable: ${env_variable}`)
    seen.add(env_variable)
  }
  return transaction(db, async (tx) => {
    const server = await getServer(tx, uuid, true)
    let given = supplied
    if (options.editableOnly) {
      const editable = await tx
        .select({ env: v.env_variable })
        .from(v)
        .where(and(eq(v.egg_uuid, server.egg_uuid), eq(v.user_editable, true)))
      const names = new Set(editable.map((e) => e.env))
      given = supplied.filter((x) => names.has(x.env_variable))
    }
    const stored = await tx
      .select({ variable: serverVariables.variable_uuid, value: serverVariables.value })
      .from(serverVariables)
      .where(eq(serverVariables.server_uuid, server.uuid))
    const values = await checkVariables(tx, server.egg_uuid, given, new Map(stored.map((s) => [s.variable, s.value])))
    if (values.length) {
      await tx
        .insert(serverVariables)
        .values(values.map((x) => ({ server_uuid: server.uuid, ...x })))
        .onConflictDoUpdate({ target: [serverVariables.server_uuid, serverVariables.variable_uuid], set: { value: sql`excluded.value` } })
    }
    await options.log(tx, server)
    return server
  })
}

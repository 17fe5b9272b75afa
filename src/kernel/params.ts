import { t } from 'elysia'
import { and, eq, type SQL } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import type { Db, Tx } from '../db/client'
import { BadRequest, NotFound } from './errors'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The params schema of a route on one `{name}` resource whose uuid the handler checks (400
 * `invalid <thing> uuid` from `parseUuid`/`loadOr404`, after the route's permission, as the
 * reference's path middlewares answer). Routes whose reference rejects a malformed uuid in the
 * framework instead declare `t.String({ format: 'uuid' })` (400 `<name>: not a valid uuid`).
 * @example .get('/:role', ({ params }) => …, { params: uuidParam('role'), permission: 'admin:roles.read' })
 */
export function uuidParam<N extends string>(name: N, thing: string = name.replace(/_/g, ' ')) {
  return t.Object({ [name]: t.String({ description: `${thing[0].toUpperCase()}${thing.slice(1)} uuid` }) } as Record<
    N,
    ReturnType<typeof t.String>
  >)
}

/**
 * A path segment as a lowercase uuid, or 400 `invalid <thing> uuid`.
 * @example const uuid = parseUuid(params.user, 'user')
 */
export function parseUuid(value: string, thing: string): string {
  if (!UUID.test(value)) throw new BadRequest(`invalid ${thing} uuid`)
  return value.toLowerCase()
}

/**
 * The row whose `column` is the uuid `value`: 400 `invalid <thing> uuid` when it is not one, 404
 * `<thing> not found` when no row matches (or none within `where`, e.g. the caller's own rows).
 * `lock` takes the row `FOR UPDATE` (inside a transaction).
 * @example
 * const snippet = await loadOr404(tx, userCommandSnippets, userCommandSnippets.uuid, params.command_snippet, 'command snippet',
 *   { where: eq(userCommandSnippets.user_uuid, principal.user.uuid) })
 */
export async function loadOr404<T extends PgTable>(
  db: Db | Tx,
  table: T,
  column: PgColumn,
  value: string,
  thing: string,
  options: { where?: SQL; lock?: boolean } = {},
): Promise<T['$inferSelect']> {
  const query = db
    .select()
    .from(table as PgTable)
    .where(and(eq(column, parseUuid(value, thing)), options.where))
    .limit(1)
  const [row] = options.lock ? await query.for('update') : await query
  if (!row) throw new NotFound(`${thing} not found`)
  return row as T['$inferSelect']
}

import { and, asc, eq } from 'drizzle-orm'
import type { TSchema } from 'elysia'
import { BadRequest, loadOr404, paginate, transaction, Validation, type Db, type Logger, type PageParams, type Tx } from 'hatchery'
import { tables as userTables } from '../../users'
import { oauthProviderMappings } from '../tables'
import { MAX_MATCHER_DEPTH, RoleMapping } from '../model'
import { asText, jsonPathProblem, queryJson } from './jsonpath'

export type MappingRow = typeof oauthProviderMappings.$inferSelect

/** A matcher as stored and sent (snake_case, tagged by `type`). */
export type Matcher =
  | { type: 'none' }
  | { type: 'and' | 'or'; matchers: Matcher[] }
  | { type: 'not'; matcher: Matcher }
  | { type: 'scopes'; scopes: string[] }
  | { type: 'field_exists'; path: string }
  | { type: 'field_equals'; path: string; equals: string }
  | { type: 'field_contains'; path: string; contains: string }
  | { type: 'field_starts_with'; path: string; starts_with: string }
  | { type: 'field_ends_with'; path: string; ends_with: string }

export interface Mapping {
  type: string
  revoke_unmatched?: boolean
  [field: string]: unknown
}

/**
 * One kind of mapping. `role` is built in; a plugin adds its own (the servers plugin:
 * `server_subuser`) with `ctx.api(oauth).mappingTypes.register(…)` in its `setup`, before the
 * admin routes are built, so the request schema and `/openapi.json` list it.
 */
export interface MappingType<M extends Mapping = Mapping> {
  /** A `t.Object` with `type: t.Literal(<name>)` and the mapping's fields. */
  schema: TSchema
  /** Refuses a mapping whose target does not exist (throw `BadRequest`/`Validation`). */
  check?(tx: Tx, mapping: M): Promise<void>
  /** What the mapping grants: two matched mappings with the same target are applied once, and never revoked. */
  target(mapping: M): string
  apply(tx: Tx, userUuid: string, mapping: M): Promise<void>
  revert(tx: Tx, userUuid: string, mapping: M): Promise<void>
}

export class MappingTypes {
  private types = new Map<string, MappingType<any>>()

  register<M extends Mapping>(name: string, type: MappingType<M>): void {
    if (this.types.has(name)) throw new Error(`oauth mapping type ${name} is registered twice`)
    this.types.set(name, type)
  }

  get(name: string): MappingType | undefined {
    return this.types.get(name)
  }

  schemas(): TSchema[] {
    return [...this.types.values()].map((t) => t.schema)
  }
}

const { users, roles } = userTables

/** `role`: sets the user's role; reverting clears it only while it is still that role. */
export const roleMappingType: MappingType<{ type: 'role'; role_uuid: string; revoke_unmatched?: boolean }> = {
  schema: RoleMapping,
  async check(tx, m) {
    const [role] = await tx.select({ uuid: roles.uuid }).from(roles).where(eq(roles.uuid, m.role_uuid)).limit(1)
    if (!role) throw new BadRequest('invalid relation `role` provided')
  },
  target: (m) => `role:${m.role_uuid}`,
  async apply(tx, userUuid, m) {
    const [role] = await tx.select({ uuid: roles.uuid }).from(roles).where(eq(roles.uuid, m.role_uuid)).limit(1)
    if (role) await tx.update(users).set({ role_uuid: role.uuid }).where(eq(users.uuid, userUuid))
  },
  async revert(tx, userUuid, m) {
    await tx
      .update(users)
      .set({ role_uuid: null })
      .where(and(eq(users.uuid, userUuid), eq(users.role_uuid, m.role_uuid)))
  },
}

/** Every JSONPath in a matcher must be acceptable (400 naming the first bad one). */
function checkMatcher(m: Matcher, at = 'matcher', depth = 0): void {
  if (m.type === 'and' || m.type === 'or' || m.type === 'not') {
    if (depth >= MAX_MATCHER_DEPTH) throw new Validation([`${at}: matcher may not nest groups more than ${MAX_MATCHER_DEPTH} levels deep`])
    const inner = m.type === 'not' ? [m.matcher] : m.matchers
    inner.forEach((child, i) => checkMatcher(child, m.type === 'not' ? `${at}.matcher` : `${at}.matchers[${i}]`, depth + 1))
  } else if ('path' in m) {
    const problem = jsonPathProblem(m.path)
    if (problem) throw new Validation([`${at}.path: ${problem}`])
  }
}

/** Whether `m` holds for a login that was granted `scopes` and answered `info`. */
export function matches(m: Matcher, scopes: string[], info: unknown): boolean {
  switch (m.type) {
    case 'none':
      return true
    case 'and':
      return m.matchers.every((c) => matches(c, scopes, info))
    case 'or':
      return m.matchers.some((c) => matches(c, scopes, info))
    case 'not':
      return !matches(m.matcher, scopes, info)
    case 'scopes':
      return m.scopes.every((s) => scopes.includes(s))
    case 'field_exists':
      return queryJson(m.path, info).length > 0
    case 'field_equals':
      return queryJson(m.path, info).some((v) => asText(v) === m.equals)
    case 'field_contains':
      return queryJson(m.path, info).some((v) =>
        Array.isArray(v) ? v.some((x) => asText(x) === m.contains) : asText(v).includes(m.contains),
      )
    case 'field_starts_with':
      return queryJson(m.path, info).some((v) => asText(v).startsWith(m.starts_with))
    case 'field_ends_with':
      return queryJson(m.path, info).some((v) => asText(v).endsWith(m.ends_with))
  }
}

export const toMapping = (r: MappingRow) => ({
  uuid: r.uuid,
  matcher: r.matcher as Matcher,
  mapping: r.mapping as Mapping,
  created: r.created,
})

const ofProvider = (provider: string) => eq(oauthProviderMappings.oauth_provider_uuid, provider)

export const listMappings = (db: Db | Tx, provider: string, page: PageParams) =>
  paginate(
    db,
    {
      from: oauthProviderMappings,
      where: ofProvider(provider),
      orderBy: [asc(oauthProviderMappings.created), asc(oauthProviderMappings.uuid)],
      map: toMapping,
    },
    page,
  )

export const getMapping = (db: Db | Tx, provider: string, uuid: string) =>
  loadOr404(db, oauthProviderMappings, oauthProviderMappings.uuid, uuid, 'oauth mapping', { where: ofProvider(provider) })

async function checkMapping(tx: Tx, types: MappingTypes, matcher: Matcher | undefined, mapping: Mapping | undefined) {
  if (matcher) checkMatcher(matcher)
  if (mapping) {
    const type = types.get(mapping.type)
    if (!type) throw new Validation([`mapping.type: unknown mapping type ${mapping.type}`])
    await type.check?.(tx, mapping)
  }
}

export async function createMapping(tx: Tx, types: MappingTypes, provider: string, fields: { matcher: Matcher; mapping: Mapping }) {
  await checkMapping(tx, types, fields.matcher, fields.mapping)
  const [row] = await tx
    .insert(oauthProviderMappings)
    .values({ oauth_provider_uuid: provider, ...fields })
    .returning()
  return row
}

export async function updateMapping(
  tx: Tx,
  types: MappingTypes,
  provider: string,
  uuid: string,
  fields: { matcher?: Matcher; mapping?: Mapping },
) {
  const row = await getMapping(tx, provider, uuid)
  await checkMapping(tx, types, fields.matcher, fields.mapping)
  if (fields.matcher === undefined && fields.mapping === undefined) return row
  const [updated] = await tx.update(oauthProviderMappings).set(fields).where(eq(oauthProviderMappings.uuid, row.uuid)).returning()
  return updated
}

export async function deleteMapping(tx: Tx, provider: string, uuid: string) {
  const row = await getMapping(tx, provider, uuid)
  await tx.delete(oauthProviderMappings).where(eq(oauthProviderMappings.uuid, row.uuid))
  return row
}

/**
 * Applies a provider's mappings to a user at login or link: matched ones are applied (one per
 * target), unmatched ones with `revoke_unmatched` reverted unless a matched one grants the same
 * target. Each runs in a savepoint: one that fails is logged and skipped, the login goes on.
 */
export async function applyMappings(
  tx: Tx,
  types: MappingTypes,
  log: Logger,
  provider: string,
  userUuid: string,
  scopes: string[],
  info: unknown,
) {
  const rows = await tx
    .select()
    .from(oauthProviderMappings)
    .where(ofProvider(provider))
    .orderBy(asc(oauthProviderMappings.created), asc(oauthProviderMappings.uuid))
  const granted = new Set<string>()
  const plan: { row: MappingRow; type: MappingType; apply: boolean }[] = []
  for (const row of rows) {
    const type = types.get((row.mapping as Mapping).type)
    if (!type) continue
    const hit = matches(row.matcher as Matcher, scopes, info)
    if (hit) granted.add(type.target(row.mapping as Mapping))
    plan.push({ row, type, apply: hit })
  }
  for (const { row, type, apply } of plan) {
    const mapping = row.mapping as Mapping
    if (!apply && (!mapping.revoke_unmatched || granted.has(type.target(mapping)))) continue
    try {
      // The kernel's savepoint: a mapping's after-commit work (emit, afterCommit) joins the login's transaction.
      await transaction(tx, (sp) => (apply ? type.apply(sp, userUuid, mapping) : type.revert(sp, userUuid, mapping)))
    } catch (e) {
      log.warn('oauth mapping failed', { mapping: row.uuid, user: userUuid, error: e as Error })
    }
  }
}

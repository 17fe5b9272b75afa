import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm'
import {
  BadRequest,
  LimitExceeded,
  NotFound,
  Validation,
  loadOr404,
  paginate,
  parseCidr,
  type ActivityLogs,
  type Actor,
  type Db,
  type PageParams,
  type PermissionCatalog,
  type Principal,
  type Tx,
} from 'hatchery'
import { userApiKeys } from '../tables'
import { userTransaction } from './users'
import type { ApiKeyRow } from './credentials'

const live = () => or(isNull(userApiKeys.expires), gt(userApiKeys.expires, sql`now()`))
const ownedBy = (userUuid: string) => and(eq(userApiKeys.user_uuid, userUuid), live())

export function toApiKey(row: ApiKeyRow) {
  const { user_uuid: _u, key_hash: _h, ...rest } = row
  return rest
}

type Lists = { user_permissions?: string[]; admin_permissions?: string[]; server_permissions?: string[] }
export type ApiKeyFields = Lists & { name?: string; allowed_ips?: string[]; expires?: string | null }
/** A fresh secret: the full key (shown once) and what is stored of it. */
export type FreshKey = { key: string; key_start: string; key_hash: string }

/** Checks catalogs, CIDRs and expiry; returns normalised values. */
function checkFields(catalog: PermissionCatalog, body: ApiKeyFields) {
  const errors: string[] = []
  for (const [field, name] of [
    ['user_permissions', 'user'],
    ['admin_permissions', 'admin'],
    ['server_permissions', 'server'],
  ] as const) {
    const bad = body[field] ? catalog.firstInvalid(name, body[field]!) : null
    if (bad) errors.push(`${field}: invalid permission: ${bad}`)
  }
  const allowed_ips = body.allowed_ips?.map((ip, i) => {
    const cidr = parseCidr(ip)
    if (!cidr) errors.push(`allowed_ips[${i}]: not an IP address or CIDR network`)
    return cidr?.text ?? ip
  })
  const expires: Date | null | undefined = body.expires === undefined ? undefined : body.expires === null ? null : new Date(body.expires)
  if (expires && !(expires.getTime() > Date.now())) errors.push('expires: time must be in the future')
  if (errors.length) throw new Validation(errors)
  return { allowed_ips: allowed_ips ? [...new Set(allowed_ips)] : undefined, expires }
}

/** A key may only hand out what it holds itself (sessions are not limited here). */
function withinScope(principal: Principal, lists: Lists): boolean {
  const key = principal.apiKey
  if (!key) return true
  const sub = (asked: string[] | undefined, held: string[]) => !asked || asked.every((p) => held.includes(p))
  return (
    sub(lists.user_permissions, key.userPermissions) &&
    sub(lists.admin_permissions, key.adminPermissions) &&
    sub(lists.server_permissions, key.serverPermissions)
  )
}

const auditOf = (row: ApiKeyRow) => ({
  uuid: row.uuid,
  identifier: row.key_start,
  name: row.name,
  allowed_ips: row.allowed_ips,
  user_permissions: row.user_permissions,
  admin_permissions: row.admin_permissions,
  server_permissions: row.server_permissions,
  expires: row.expires,
})

const ownedKey = (db: Db | Tx, userUuid: string, uuid: string): Promise<ApiKeyRow> =>
  loadOr404(db, userApiKeys, userApiKeys.uuid, uuid, 'api key', { where: ownedBy(userUuid) })

/** The user's unexpired keys, oldest first; `search` matches the name. */
export function listApiKeys(db: Db | Tx, userUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: userApiKeys,
      where: ownedBy(userUuid),
      search: [userApiKeys.name],
      orderBy: [asc(userApiKeys.created), asc(userApiKeys.uuid)],
      map: toApiKey,
    },
    page,
  )
}

/** One unexpired key of the user by its identifier (`key_start`), or 404. */
export async function findApiKeyByIdentifier(db: Db | Tx, userUuid: string, identifier: string): Promise<ApiKeyRow> {
  const [row] = await db
    .select()
    .from(userApiKeys)
    .where(and(eq(userApiKeys.key_start, identifier), ownedBy(userUuid)))
    .limit(1)
  if (!row) throw new NotFound('api key not found')
  return row
}

/** What the key services need besides the database: the catalogs, the activity log, who asks. */
export interface KeyCaller {
  catalog: PermissionCatalog
  log: ActivityLogs
  principal: Principal
  actor: Actor
}

/** Creates a key (417 past `max` keys; 400 when it would hold more than the calling key). */
export async function createApiKey(
  db: Db,
  caller: KeyCaller,
  body: ApiKeyFields & { name: string },
  fresh: FreshKey,
  max: number,
): Promise<ApiKeyRow> {
  if (!withinScope(caller.principal, body)) throw new BadRequest('permissions: more permissions than self')
  const { allowed_ips, expires } = checkFields(caller.catalog, body)
  const userUuid = caller.principal.user.uuid
  return userTransaction(db, userUuid, async (tx) => {
    if ((await tx.$count(userApiKeys, eq(userApiKeys.user_uuid, userUuid))) >= max)
      throw new LimitExceeded('maximum number of api keys reached')
    const [row] = await tx
      .insert(userApiKeys)
      .values({
        user_uuid: userUuid,
        name: body.name,
        key_start: fresh.key_start,
        key_hash: fresh.key_hash,
        allowed_ips: allowed_ips ?? [],
        user_permissions: body.user_permissions,
        admin_permissions: body.admin_permissions,
        server_permissions: body.server_permissions,
        expires: expires ?? null,
      })
      .returning()
    await caller.log.user(tx, caller.actor, 'api-key:create', auditOf(row))
    return row
  })
}

/** Changes the given fields of one of the caller's keys; absent fields stay. */
export async function updateApiKey(db: Db, caller: KeyCaller, uuid: string, body: ApiKeyFields): Promise<void> {
  if (!withinScope(caller.principal, body)) throw new BadRequest('permissions: more permissions than self')
  const { allowed_ips, expires } = checkFields(caller.catalog, body)
  const userUuid = caller.principal.user.uuid
  await userTransaction(db, userUuid, async (tx) => {
    const current = await ownedKey(tx, userUuid, uuid)
    const fields = {
      name: body.name,
      allowed_ips,
      user_permissions: body.user_permissions,
      admin_permissions: body.admin_permissions,
      server_permissions: body.server_permissions,
      expires,
    }
    const changes = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined))
    // Drizzle refuses an update without values; an empty body changes nothing.
    const [row] =
      Object.keys(changes).length === 0
        ? [current]
        : await tx.update(userApiKeys).set(changes).where(eq(userApiKeys.uuid, uuid)).returning()
    await caller.log.user(tx, caller.actor, 'user:api-key.update', auditOf(row))
  })
}

/** Deletes one of the caller's keys (a key deleting itself is logged without it). */
export async function deleteApiKey(db: Db, caller: KeyCaller, uuid: string): Promise<void> {
  const { principal, actor } = caller
  await userTransaction(db, principal.user.uuid, async (tx) => {
    const row = await ownedKey(tx, principal.user.uuid, uuid)
    await tx.delete(userApiKeys).where(eq(userApiKeys.uuid, row.uuid))
    const apiKeyUuid = principal.apiKey?.uuid === row.uuid ? null : (principal.apiKey?.uuid ?? null)
    await caller.log.user(tx, { ...actor, apiKeyUuid }, 'api-key:delete', { uuid: row.uuid, identifier: row.key_start, name: row.name })
  })
}

/** Gives one of the caller's keys a new secret; the old one stops working at once. */
export async function recreateApiKey(db: Db, caller: KeyCaller, uuid: string, fresh: FreshKey): Promise<void> {
  await userTransaction(db, caller.principal.user.uuid, async (tx) => {
    const row = await ownedKey(tx, caller.principal.user.uuid, uuid)
    if (!withinScope(caller.principal, row)) throw new BadRequest('unable to recreate api key with more permissions than self')
    await tx.update(userApiKeys).set({ key_start: fresh.key_start, key_hash: fresh.key_hash }).where(eq(userApiKeys.uuid, row.uuid))
    await caller.log.user(tx, caller.actor, 'api-key:recreate', { uuid: row.uuid, identifier: fresh.key_start, name: row.name })
  })
}

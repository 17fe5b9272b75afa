import { asc, eq } from 'drizzle-orm'
import { loadOr404, paginate, Validation, writeSecret, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import type { Static } from '@sinclair/typebox'
import { oauthProviders } from '../tables'
import { SECRET_MASK, type CreateProvider, type UpdateProvider } from '../model'
import { jsonPathProblem } from './jsonpath'

export type ProviderRow = typeof oauthProviders.$inferSelect
type CreateFields = Static<typeof CreateProvider>
type UpdateFields = Static<typeof UpdateProvider>

export function toAdminProvider(r: ProviderRow) {
  const { client_secret: _secret, ...rest } = r
  return {
    uuid: rest.uuid,
    name: rest.name,
    description: rest.description,
    client_id: rest.client_id,
    client_secret: SECRET_MASK,
    auth_url: rest.auth_url,
    token_url: rest.token_url,
    info_url: rest.info_url,
    scopes: rest.scopes,
    identifier_path: rest.identifier_path,
    email_path: rest.email_path,
    username_path: rest.username_path,
    name_first_path: rest.name_first_path,
    name_last_path: rest.name_last_path,
    enabled: rest.enabled,
    login_only: rest.login_only,
    login_bypass_2fa: rest.login_bypass_2fa,
    link_viewable: rest.link_viewable,
    user_manageable: rest.user_manageable,
    basic_auth: rest.basic_auth,
    created: rest.created,
  }
}

export const toPublicProvider = (r: Pick<ProviderRow, 'uuid' | 'name' | 'link_viewable' | 'user_manageable'>) => ({
  uuid: r.uuid,
  name: r.name,
  link_viewable: r.link_viewable,
  user_manageable: r.user_manageable,
})

/** What the admin activity log records of a provider (never the secret). */
export function providerAudit(r: ProviderRow) {
  const { client_secret: _s, created: _c, uuid: _u, ...rest } = r
  return rest
}

const URL_FIELDS = ['auth_url', 'token_url', 'info_url'] as const
const PATH_FIELDS = ['identifier_path', 'email_path', 'username_path', 'name_first_path', 'name_last_path'] as const

/** URLs must be http(s) and paths acceptable JSONPath: 400 listing every failing field. */
function checkFields(fields: UpdateFields): void {
  const errors: string[] = []
  for (const key of URL_FIELDS) {
    const value = fields[key]
    if (value === undefined) continue
    let ok = false
    try {
      const url = new URL(value)
      ok = (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password
    } catch {}
    if (!ok) errors.push(`${key}: not a valid http(s) URL`)
  }
  for (const key of PATH_FIELDS) {
    const value = fields[key]
    if (typeof value !== 'string') continue
    const problem = jsonPathProblem(value)
    if (problem) errors.push(`${key}: ${problem}`)
  }
  if (errors.length) throw new Validation(errors)
}

export const listProviders = (db: Db | Tx, page: PageParams) =>
  paginate(
    db,
    {
      from: oauthProviders,
      search: [oauthProviders.name],
      orderBy: [asc(oauthProviders.created), asc(oauthProviders.uuid)],
      map: toAdminProvider,
    },
    page,
  )

export const getProvider = (db: Db | Tx, uuid: string, opts: { lock?: boolean } = {}) =>
  loadOr404(db, oauthProviders, oauthProviders.uuid, uuid, 'oauth provider', opts)

export async function createProvider(tx: Tx, secrets: Secrets, fields: CreateFields): Promise<ProviderRow> {
  checkFields(fields)
  const [row] = await tx
    .insert(oauthProviders)
    .values({
      ...fields,
      description: fields.description ?? null,
      client_secret: writeSecret(secrets, fields.client_secret, null, 'client_secret'),
    })
    .returning()
  return row
}

/** Absent fields stay; `client_secret` equal to the mask keeps the stored secret; null clears a nullable field. */
export async function updateProvider(tx: Tx, secrets: Secrets, uuid: string, fields: UpdateFields): Promise<ProviderRow> {
  const current = await getProvider(tx, uuid, { lock: true })
  checkFields(fields)
  const { client_secret, ...rest } = fields
  const changes: Partial<typeof oauthProviders.$inferInsert> = { ...rest }
  if (client_secret !== undefined && client_secret !== SECRET_MASK)
    changes.client_secret = writeSecret(secrets, client_secret, current.client_secret, 'client_secret')
  if (Object.values(changes).every((v) => v === undefined)) return current
  const [row] = await tx.update(oauthProviders).set(changes).where(eq(oauthProviders.uuid, current.uuid)).returning()
  return row
}

export async function deleteProvider(tx: Tx, uuid: string): Promise<ProviderRow> {
  const row = await getProvider(tx, uuid, { lock: true })
  await tx.delete(oauthProviders).where(eq(oauthProviders.uuid, row.uuid))
  return row
}

/** A copy under a new name (secret included, still encrypted); mappings and links stay with the original. */
export async function duplicateProvider(tx: Tx, uuid: string, name: string): Promise<{ source: ProviderRow; copy: ProviderRow }> {
  const source = await getProvider(tx, uuid)
  const { uuid: _u, created: _c, ...fields } = source
  const [copy] = await tx
    .insert(oauthProviders)
    .values({ ...fields, name })
    .returning()
  return { source, copy }
}

/** Enabled providers, oldest first (the login page's buttons). */
export const enabledProviders = (db: Db | Tx) =>
  db.select().from(oauthProviders).where(eq(oauthProviders.enabled, true)).orderBy(asc(oauthProviders.created), asc(oauthProviders.uuid))

import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm'
import { Conflict, NotFound, paginate, parseUuid, type Db, type PageParams, type SettingsSnapshot, type Tx } from 'hatchery'
import { tables as userTables, toAdminUser } from '../../users'
import { oauthProviders, userOauthLinks } from '../tables'
import { getProvider, toPublicProvider } from './providers'

type LinkRow = typeof userOauthLinks.$inferSelect
type ProviderRow = typeof oauthProviders.$inferSelect
const { users, roles } = userTables

export const toLink = (r: { link: LinkRow; provider: ProviderRow }) => ({
  uuid: r.link.uuid,
  oauth_provider: toPublicProvider(r.provider),
  identifier: r.link.identifier,
  last_used: r.link.last_used,
  created: r.link.created,
})

const order = [asc(userOauthLinks.created), asc(userOauthLinks.uuid)]
const withProvider = (db: Db | Tx) => (total: Record<string, any>) =>
  db
    .select({ link: getTableColumns(userOauthLinks), provider: getTableColumns(oauthProviders), ...total })
    .from(userOauthLinks)
    .innerJoin(oauthProviders, eq(oauthProviders.uuid, userOauthLinks.oauth_provider_uuid))

/** The account's own links: only those of `link_viewable` providers, no search. */
export const listOwnLinks = (db: Db | Tx, user: string, page: PageParams) =>
  paginate(
    db,
    {
      from: withProvider(db),
      where: and(eq(userOauthLinks.user_uuid, user), eq(oauthProviders.link_viewable, true)),
      orderBy: order,
      map: toLink,
    },
    page,
  )

/** A user's links (admin: every provider; search: identifier). */
export const listUserLinks = (db: Db | Tx, user: string, page: PageParams) =>
  paginate(
    db,
    { from: withProvider(db), where: eq(userOauthLinks.user_uuid, user), search: [userOauthLinks.identifier], orderBy: order, map: toLink },
    page,
  )

export async function getUserLink(db: Db | Tx, user: string, uuid: string) {
  const [row] = await withProvider(db)({})
    .where(and(eq(userOauthLinks.uuid, parseUuid(uuid, 'oauth link')), eq(userOauthLinks.user_uuid, user)))
    .limit(1)
  if (!row) throw new NotFound('oauth link not found')
  return row as { link: LinkRow; provider: ProviderRow }
}

/** `ownAccount`: the user removing their own link, allowed only for `user_manageable` providers (the reference does not check: QUIRK). */
export async function deleteUserLink(tx: Tx, user: string, uuid: string, opts: { ownAccount?: boolean } = {}) {
  const row = await getUserLink(tx, user, uuid)
  if (opts.ownAccount && !row.provider.user_manageable) throw new Conflict('you cannot unlink this oauth provider')
  await tx.delete(userOauthLinks).where(eq(userOauthLinks.uuid, row.link.uuid))
  return row
}

/** Links a user to a provider by hand (admin): unknown provider 404, a taken identifier or provider 409. */
export async function createUserLink(tx: Tx, user: string, providerUuid: string, identifier: string) {
  const provider = await getProvider(tx, providerUuid)
  const [link] = await tx.insert(userOauthLinks).values({ user_uuid: user, oauth_provider_uuid: provider.uuid, identifier }).returning()
  return { link, provider }
}

// ------------------------------------------------------------------ a provider's users

const withUser = (db: Db | Tx) => (total: Record<string, any>) =>
  db
    .select({ link: getTableColumns(userOauthLinks), user: getTableColumns(users), role: getTableColumns(roles), ...total })
    .from(userOauthLinks)
    .innerJoin(users, eq(users.uuid, userOauthLinks.user_uuid))
    .leftJoin(roles, eq(roles.uuid, users.role_uuid))

type UserLinkRow = { link: LinkRow; user: typeof users.$inferSelect; role: typeof roles.$inferSelect | null }
const toProviderUser = (settings: SettingsSnapshot) => (r: UserLinkRow) => ({
  uuid: r.link.uuid,
  user: toAdminUser({ user: r.user, role: r.role }, settings),
  identifier: r.link.identifier,
  last_used: r.link.last_used,
  created: r.link.created,
})

export const listProviderUsers = (db: Db | Tx, provider: string, settings: SettingsSnapshot, page: PageParams) =>
  paginate(
    db,
    {
      from: withUser(db),
      where: eq(userOauthLinks.oauth_provider_uuid, provider),
      search: [userOauthLinks.identifier, users.username],
      orderBy: order,
      map: toProviderUser(settings),
    },
    page,
  )

export async function providerUserByIdentifier(db: Db | Tx, provider: string, identifier: string, settings: SettingsSnapshot) {
  const [row] = await withUser(db)({})
    .where(and(eq(userOauthLinks.oauth_provider_uuid, provider), eq(userOauthLinks.identifier, identifier)))
    .limit(1)
  if (!row) throw new NotFound('user oauth link not found')
  return toProviderUser(settings)(row as UserLinkRow)
}

export const touchLink = (tx: Tx, uuid: string) =>
  tx
    .update(userOauthLinks)
    .set({ last_used: sql`now()` })
    .where(eq(userOauthLinks.uuid, uuid))

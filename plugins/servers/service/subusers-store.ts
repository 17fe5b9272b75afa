import { and, asc, count, eq, getTableColumns, sql } from 'drizzle-orm'
import { paginate, type Db, type PageParams, type SettingsSnapshot, type Tx } from 'hatchery'
import type { MailApi } from '../../mail'
import { tables as userTables, toShortUser, userMailContext, type UserRow } from '../../users'
import { serverSubusers, servers } from '../tables'
import type { ServerRow } from './admin-servers'
import { shortId } from './install-mail'
import type { SubuserGrant } from './subusers'

const { users } = userTables
export type SubuserRow = typeof serverSubusers.$inferSelect

/** The grant of `userUuid` on `serverUuid`, or null: what `api.subusers` answers. */
export async function findSubuser(db: Db | Tx, serverUuid: string, userUuid: string): Promise<SubuserGrant | null> {
  const [row] = await db
    .select({ permissions: serverSubusers.permissions, ignored_files: serverSubusers.ignored_files })
    .from(serverSubusers)
    .where(and(eq(serverSubusers.server_uuid, serverUuid), eq(serverSubusers.user_uuid, userUuid)))
  return row ?? null
}

/** A subuser row with its user, or undefined. */
export async function subuserWithUser(db: Db | Tx, serverUuid: string, userUuid: string) {
  const [row] = await db
    .select({ subuser: serverSubusers, user: users })
    .from(serverSubusers)
    .innerJoin(users, eq(users.uuid, serverSubusers.user_uuid))
    .where(and(eq(serverSubusers.server_uuid, serverUuid), eq(serverSubusers.user_uuid, userUuid)))
  return row
}

/** The `ServerSubuser` object (spec 03 §3.1). */
export const toServerSubuser = (row: { subuser: SubuserRow; user: UserRow }, settings: SettingsSnapshot) => ({
  user: toShortUser(row.user, settings),
  permissions: row.subuser.permissions,
  ignored_files: row.subuser.ignored_files,
  created: row.subuser.created,
})

/** A server's subusers, oldest first; `search` matches the username. */
export function listSubusers(db: Db | Tx, serverUuid: string, page: PageParams, settings: SettingsSnapshot) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ subuser: getTableColumns(serverSubusers), user: getTableColumns(users), ...total })
          .from(serverSubusers)
          .innerJoin(users, eq(users.uuid, serverSubusers.user_uuid)),
      where: eq(serverSubusers.server_uuid, serverUuid),
      search: [users.username],
      orderBy: [asc(serverSubusers.created), asc(serverSubusers.user_uuid)],
      map: (row) => toServerSubuser(row as { subuser: SubuserRow; user: UserRow }, settings),
    },
    page,
  )
}

/** Takes the server's row lock (the reference's `servers::<uuid>::subusers` lock) and counts its subusers. */
export async function lockAndCount(tx: Tx, serverUuid: string): Promise<number> {
  await tx.select({ uuid: servers.uuid }).from(servers).where(eq(servers.uuid, serverUuid)).for('no key update')
  const [row] = await tx.select({ n: count() }).from(serverSubusers).where(eq(serverSubusers.server_uuid, serverUuid))
  return Number(row.n)
}

/** The user of an email, case-insensitive. */
export async function userByEmail(db: Db | Tx, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1)
  return row
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The username of an account made by invitation: the email's local part (letters, digits, `_`; 10 at most), `_` and 4 random alphanumerics. */
export function invitedUsername(email: string): string {
  const local = [...email.slice(0, email.lastIndexOf('@'))]
    .filter((c) => /[\p{L}\p{N}_]/u.test(c))
    .slice(0, 10)
    .join('')
  const random = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => ALNUM[b % ALNUM.length]).join('')
  return `${local}_${random}`
}

/** `added_to_server` and `removed_from_server`: sent to the subuser. */
export function registerSubuserMail(mailer: MailApi): void {
  const variables = ['user.uuid', 'user.username', 'user.email', 'user.name_first', 'user.name_last', 'server.uuid', 'server.name']
  mailer.templates.register('added_to_server', {
    subject: 'You have been added to {{server.name}}',
    text: 'Hello {{user.username}},\n\nYou have been added as a subuser of the server {{server.name}} on {{app_name}}. Open it here:\n\n{{server_link}}',
    variables: [...variables, 'server_link'],
  })
  mailer.templates.register('removed_from_server', {
    subject: 'You have been removed from {{server.name}}',
    text: 'Hello {{user.username}},\n\nYou are no longer a subuser of the server {{server.name}} on {{app_name}}.',
    variables,
  })
}

/** Mails `added_to_server` or `removed_from_server` in the background. */
export function mailSubuser(
  mailer: MailApi,
  settings: SettingsSnapshot,
  template: 'added_to_server' | 'removed_from_server',
  user: UserRow,
  server: ServerRow,
) {
  const base = settings.get('app.url').replace(/\/+$/, '')
  mailer.sendLater(template, user.email, {
    user: userMailContext(user),
    server: { uuid: server.uuid, name: server.name },
    ...(template === 'added_to_server' ? { server_link: `${base}/server/${shortId(server)}` } : {}),
  })
}

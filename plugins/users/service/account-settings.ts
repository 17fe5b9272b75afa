import { eq } from 'drizzle-orm'
import { Conflict, Validation, uniqueAs, type ActivityLogs, type Actor, type Db } from 'hatchery'
import { users } from '../tables'
import { isLanguage } from '../languages'
import { changePassword, dropResetLinks } from './credential-policy'
import { assertCurrentPassword } from './passwords'
import { getUser, userTransaction, type UserRow } from './users'

/** Frozen accounts cannot change themselves; suspended ones reach only the routes exempt from that gate. */
function assertChangeable(user: UserRow, opts: { suspended?: boolean } = {}) {
  if (user.frozen) throw new Conflict('account is frozen')
  if (opts.suspended && user.suspended) throw new Conflict('account is suspended')
}

export type AccountChanges = Partial<
  Pick<UserRow, 'username' | 'name_first' | 'name_last' | 'language' | 'toast_position' | 'start_on_grouped_servers'>
>

/**
 * Changes the actor's name, username and preferences; absent fields stay, and `language` is
 * ignored unless `allowLanguage`. 409 when frozen, suspended or the username is taken.
 */
export async function updateAccount(db: Db, log: ActivityLogs, actor: Actor, body: AccountChanges, allowLanguage: boolean): Promise<void> {
  if (body.language !== undefined && !isLanguage(body.language)) throw new Validation('language: invalid language')
  const { user } = await getUser(db, actor.userUuid)
  assertChangeable(user, { suspended: true })
  const changes = {
    username: body.username,
    name_first: body.name_first,
    name_last: body.name_last,
    language: allowLanguage ? body.language : undefined,
    toast_position: body.toast_position,
    start_on_grouped_servers: body.start_on_grouped_servers,
  }
  await userTransaction(db, user.uuid, async (tx) => {
    let row = user
    if (Object.values(changes).some((v) => v !== undefined)) {
      ;[row] = await tx
        .update(users)
        .set(changes)
        .where(eq(users.uuid, user.uuid))
        .returning()
        .catch(uniqueAs('user with username already exists'))
    }
    await log.user(tx, actor, 'account:update', {
      username: row.username,
      name_first: row.name_first,
      name_last: row.name_last,
      language: row.language,
      toast_position: row.toast_position,
      start_on_grouped_servers: row.start_on_grouped_servers,
    })
  })
}

/** Changes the actor's email (needs the current password); outstanding reset links stop working. */
export async function changeEmail(db: Db, log: ActivityLogs, actor: Actor, email: string, password: string): Promise<void> {
  const { user } = await getUser(db, actor.userUuid)
  assertChangeable(user)
  await assertCurrentPassword(user, password)
  if (email === user.email) return
  await userTransaction(db, user.uuid, async (tx) => {
    await tx.update(users).set({ email }).where(eq(users.uuid, user.uuid)).catch(uniqueAs('email already in use'))
    await dropResetLinks(tx, user.uuid)
    await log.user(tx, actor, 'account:email-changed', { old: user.email, new: email })
  })
}

/**
 * Changes the actor's password (needs the current one) through the one password policy;
 * `keepSession` (the calling session, null when an admin impersonates) stays.
 */
export async function changeOwnPassword(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  body: { password: string; new_password: string },
  keepSession: string | null,
): Promise<void> {
  const { user } = await getUser(db, actor.userUuid)
  assertChangeable(user)
  await assertCurrentPassword(user, body.password)
  await userTransaction(db, user.uuid, async (tx) => {
    await changePassword(tx, user.uuid, body.new_password, { keepSession })
    await log.user(tx, actor, 'account:password-changed', {})
  })
}

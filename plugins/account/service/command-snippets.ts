import { asc, eq } from 'drizzle-orm'
import { LimitExceeded, loadOr404, paginate, type Db, type PageParams, type Tx, type ActivityLogs, type Actor } from 'hatchery'
import { userTransaction } from '../../users'
import { userCommandSnippets } from '../tables'

export type CommandSnippetRow = typeof userCommandSnippets.$inferSelect

export const toCommandSnippet = (r: CommandSnippetRow) => ({
  uuid: r.uuid,
  name: r.name,
  eggs: r.eggs,
  command: r.command,
  created: r.created,
})

const ofUser = (userUuid: string) => eq(userCommandSnippets.user_uuid, userUuid)

export function listCommandSnippets(db: Db | Tx, userUuid: string, page: PageParams) {
  const order = [asc(userCommandSnippets.created), asc(userCommandSnippets.uuid)]
  return paginate(
    db,
    { from: userCommandSnippets, where: ofUser(userUuid), search: [userCommandSnippets.name], orderBy: order, map: toCommandSnippet },
    page,
  )
}

const ownedSnippet = (db: Db | Tx, userUuid: string, uuid: string) =>
  loadOr404(db, userCommandSnippets, userCommandSnippets.uuid, uuid, 'command snippet', { where: ofUser(userUuid) })

/** 417 when the user already has `max` snippets (the owner's row is locked: see `userTransaction`). */
async function checkRoom(tx: Tx, userUuid: string, max: number): Promise<void> {
  if ((await tx.$count(userCommandSnippets, ofUser(userUuid))) >= max) throw new LimitExceeded('maximum number of command snippets reached')
}

export interface SnippetFields {
  name: string
  eggs: string[]
  command: string
}

export async function createCommandSnippet(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  fields: SnippetFields,
  max: number,
): Promise<CommandSnippetRow> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    await checkRoom(tx, actor.userUuid, max)
    const [row] = await tx
      .insert(userCommandSnippets)
      .values({ user_uuid: actor.userUuid, ...fields })
      .returning()
    await log.user(tx, actor, 'user:command-snippet.create', { uuid: row.uuid, name: row.name, eggs: row.eggs, command: row.command })
    return row
  })
}

export async function updateCommandSnippet(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  uuid: string,
  changes: Partial<SnippetFields>,
): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    let row = await ownedSnippet(tx, actor.userUuid, uuid)
    if (changes.name !== undefined || changes.eggs !== undefined || changes.command !== undefined) {
      ;[row] = await tx
        .update(userCommandSnippets)
        .set({ name: changes.name, eggs: changes.eggs, command: changes.command })
        .where(eq(userCommandSnippets.uuid, uuid))
        .returning()
    }
    await log.user(tx, actor, 'user:command-snippet.update', { uuid: row.uuid, name: row.name, eggs: row.eggs, command: row.command })
  })
}

export async function deleteCommandSnippet(db: Db, log: ActivityLogs, actor: Actor, uuid: string): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    const row = await ownedSnippet(tx, actor.userUuid, uuid)
    await tx.delete(userCommandSnippets).where(eq(userCommandSnippets.uuid, row.uuid))
    await log.user(tx, actor, 'user:command-snippet.delete', { uuid: row.uuid, name: row.name })
  })
}

/** Copies a snippet's eggs and command under a new name; counts against the limit like a create. */
export async function duplicateCommandSnippet(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  uuid: string,
  name: string,
  max: number,
): Promise<CommandSnippetRow> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    const source = await ownedSnippet(tx, actor.userUuid, uuid)
    await checkRoom(tx, actor.userUuid, max)
    const [row] = await tx
      .insert(userCommandSnippets)
      .values({ user_uuid: actor.userUuid, name, eggs: source.eggs, command: source.command })
      .returning()
    await log.user(tx, actor, 'user:command-snippet.duplicate', {
      source_uuid: source.uuid,
      source_name: source.name,
      uuid: row.uuid,
      name: row.name,
    })
    return row
  })
}

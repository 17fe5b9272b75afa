import { and, asc, eq } from 'drizzle-orm'
import { LimitExceeded, loadOr404, type Db, type Tx, type ActivityLogs, type Actor } from 'hatchery'
import { userTransaction } from '../../users'
import { userServerGroups } from '../tables'

export type ServerGroupRow = typeof userServerGroups.$inferSelect

export const toServerGroup = (r: ServerGroupRow) => ({
  uuid: r.uuid,
  name: r.name,
  order: r.order,
  server_order: r.server_order,
  created: r.created,
})

const ofUser = (userUuid: string) => eq(userServerGroups.user_uuid, userUuid)

/** Every group of a user, by `order` then creation. */
export function listServerGroups(db: Db | Tx, userUuid: string): Promise<ServerGroupRow[]> {
  return db
    .select()
    .from(userServerGroups)
    .where(ofUser(userUuid))
    .orderBy(asc(userServerGroups.order), asc(userServerGroups.created), asc(userServerGroups.uuid))
}

export function getServerGroup(db: Db | Tx, userUuid: string, uuid: string): Promise<ServerGroupRow> {
  return loadOr404(db, userServerGroups, userServerGroups.uuid, uuid, 'server group', { where: ofUser(userUuid) })
}

export async function createServerGroup(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  fields: { name: string; server_order: string[] },
  max: number,
): Promise<ServerGroupRow> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    if ((await tx.$count(userServerGroups, ofUser(actor.userUuid))) >= max)
      throw new LimitExceeded('maximum number of user server groups reached')
    const [row] = await tx
      .insert(userServerGroups)
      .values({ user_uuid: actor.userUuid, ...fields })
      .returning()
    await log.user(tx, actor, 'user:server-group.create', { uuid: row.uuid, name: row.name, server_order: row.server_order })
    return row
  })
}

export async function updateServerGroup(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  uuid: string,
  changes: { name?: string; server_order?: string[] },
): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    let row = await getServerGroup(tx, actor.userUuid, uuid)
    if (changes.name !== undefined || changes.server_order !== undefined) {
      ;[row] = await tx
        .update(userServerGroups)
        .set({ name: changes.name, server_order: changes.server_order })
        .where(eq(userServerGroups.uuid, uuid))
        .returning()
    }
    await log.user(tx, actor, 'user:server-group.update', { uuid: row.uuid, name: row.name, server_order: row.server_order })
  })
}

export async function deleteServerGroup(db: Db, log: ActivityLogs, actor: Actor, uuid: string): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    const row = await getServerGroup(tx, actor.userUuid, uuid)
    await tx.delete(userServerGroups).where(eq(userServerGroups.uuid, row.uuid))
    await log.user(tx, actor, 'user:server-group.delete', { uuid: row.uuid, name: row.name })
  })
}

/**
 * Gives each listed group its 1-based position as `order` (a UUID listed twice keeps its first
 * position). Other users' and unknown UUIDs are ignored; unlisted groups keep their order.
 */
export async function reorderServerGroups(db: Db, log: ActivityLogs, actor: Actor, order: string[]): Promise<void> {
  const positions = new Map<string, number>()
  order.forEach((uuid, i) => {
    if (!positions.has(uuid)) positions.set(uuid, i + 1)
  })
  await userTransaction(db, actor.userUuid, async (tx) => {
    for (const [uuid, position] of positions) {
      await tx
        .update(userServerGroups)
        .set({ order: position })
        .where(and(eq(userServerGroups.uuid, uuid), ofUser(actor.userUuid)))
    }
    await log.user(tx, actor, 'user:server-group.update-order', { server_group_order: order })
  })
}

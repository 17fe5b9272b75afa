import { and, asc, count, eq, isNull, sql } from 'drizzle-orm'
import { LimitExceeded, NotFound, parseUuid, transaction, type Db, type Tx } from 'hatchery'
import { getServer, type ServerRow } from '../../servers'
import type { BackupGroup } from '../model'
import { serverBackupGroups as g, serverBackups as b } from '../tables'

export type GroupRow = typeof g.$inferSelect

const usable = sql`${b.successful} and ${b.completed} is not null`

/** The server's backup groups with their counts (spec 03 §5.2.4), oldest first; `uuid` picks one. */
export async function groupsOf(db: Db | Tx, server: string, uuid?: string): Promise<BackupGroup[]> {
  const rows = await db
    .select({
      group: g,
      total: sql<number>`count(${b.uuid})::int`,
      usable: sql<number>`(count(${b.uuid}) filter (where ${usable}))::int`,
      unlocked: sql<number>`(count(${b.uuid}) filter (where ${usable} and not ${b.locked}))::int`,
    })
    .from(g)
    .leftJoin(b, and(eq(b.backup_group_uuid, g.uuid), isNull(b.deleted)))
    .where(and(eq(g.server_uuid, server), uuid ? eq(g.uuid, uuid) : undefined))
    .groupBy(g.uuid)
    .orderBy(asc(g.created), asc(g.uuid))
  return rows.map((r) => ({
    uuid: r.group.uuid,
    name: r.group.name,
    retention_count: r.group.retention_count,
    retention_days: r.group.retention_days,
    total_backups: Number(r.total),
    usable_backups: Number(r.usable),
    usable_unlocked_backups: Number(r.unlocked),
    created: r.group.created,
  }))
}

/** The group `value` names on `server`: 400 malformed, 404 `backup group not found`. */
export async function groupOf(db: Db | Tx, server: string, value: string): Promise<GroupRow> {
  const uuid = parseUuid(value, 'backup group')
  const [row] = await db
    .select()
    .from(g)
    .where(and(eq(g.server_uuid, server), eq(g.uuid, uuid)))
  if (!row) throw new NotFound('backup group not found')
  return row
}

/** Creates a group under the server's lock: 417 at `server.max_backup_group_count`, 409 on a taken name. */
export function createGroup(
  db: Db,
  server: ServerRow,
  max: number,
  values: { name: string; retention_count?: number | null; retention_days?: number | null },
  log: (tx: Tx, row: GroupRow) => Promise<void>,
): Promise<GroupRow> {
  return transaction(db, async (tx) => {
    await getServer(tx, server.uuid, true)
    const [{ n }] = await tx.select({ n: count() }).from(g).where(eq(g.server_uuid, server.uuid))
    if (n >= max) throw new LimitExceeded('maximum number of backup groups reached')
    const [row] = await tx
      .insert(g)
      .values({
        server_uuid: server.uuid,
        name: values.name,
        retention_count: values.retention_count ?? null,
        retention_days: values.retention_days ?? null,
      })
      .returning()
    await log(tx, row)
    return row
  })
}

/** Deletes a group; with `lock` its remaining backups are locked first (they become ungrouped). */
export function deleteGroup(db: Db, group: GroupRow, lock: boolean, log: (tx: Tx) => Promise<void>): Promise<void> {
  return transaction(db, async (tx) => {
    if (lock)
      await tx
        .update(b)
        .set({ locked: true })
        .where(and(eq(b.backup_group_uuid, group.uuid), isNull(b.deleted)))
    await tx.delete(g).where(eq(g.uuid, group.uuid))
    await log(tx)
  })
}

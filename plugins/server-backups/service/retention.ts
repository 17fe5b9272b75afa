import { and, asc, eq, gt, isNotNull, isNull, lt } from 'drizzle-orm'
import { SYSTEM_ACTOR, transaction } from 'hatchery'
import { serverBackupGroups as g, serverBackups as b } from '../tables'
import type { BackupRow } from './backups'
import { dispatchDeletion, markDeleting } from './delete'
import type { BackupRuntime } from './runtime'

const BATCH = 100
const DAY_MS = 86_400_000

/**
 * The group age job (spec 03 §5.2.4 `retention_days`; the reference has no such job): every completed,
 * unlocked backup of a group older than the group's `retention_days` is marked for deletion, logged as
 * rotation logs it (`server:backup.delete`, `source: "eviction"`, `rule: "group-age"`) and its deletion
 * dispatched like any other (`deletion-retries` resends what fails). Groups and their backups are
 * taken `BATCH` at a time. Returns how many backups were marked.
 */
export async function pruneAgedGroupBackups(rt: BackupRuntime, now = new Date()): Promise<number> {
  let marked = 0
  let after: string | null = null
  for (;;) {
    const groups = await rt.db
      .select()
      .from(g)
      .where(and(isNotNull(g.retention_days), after ? gt(g.uuid, after) : undefined))
      .orderBy(asc(g.uuid))
      .limit(BATCH)
    for (const group of groups) marked += await pruneGroup(rt, group, new Date(now.getTime() - group.retention_days! * DAY_MS))
    if (groups.length < BATCH) return marked
    after = groups[groups.length - 1].uuid
  }
}

async function pruneGroup(rt: BackupRuntime, group: typeof g.$inferSelect, cutoff: Date): Promise<number> {
  let marked = 0
  for (;;) {
    const victims = await rt.db
      .select()
      .from(b)
      .where(
        and(
          eq(b.backup_group_uuid, group.uuid),
          lt(b.created, cutoff),
          eq(b.locked, false),
          isNotNull(b.completed),
          isNull(b.deleting),
          isNull(b.deleted),
        ),
      )
      .orderBy(asc(b.created), asc(b.uuid))
      .limit(BATCH)
    const evicted = await transaction(rt.db, async (tx) => {
      const rows: BackupRow[] = []
      for (const victim of victims) {
        const row = await markDeleting(tx, victim).catch(() => null)
        if (!row) continue
        rows.push(row)
        await rt.activity(
          tx,
          SYSTEM_ACTOR,
          'server:backup.delete',
          { source: 'eviction', uuid: row.uuid, name: row.name, rule: 'group-age', group: group.name, policy: null },
          row.server_uuid ?? group.server_uuid,
        )
      }
      return rows
    })
    for (const row of evicted)
      await dispatchDeletion(rt, row).catch((e) => rt.log.warn('backup group age deletion failed', { backup: row.uuid, error: String(e) }))
    marked += evicted.length
    if (victims.length < BATCH) return marked
  }
}

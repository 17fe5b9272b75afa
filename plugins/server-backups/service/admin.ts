import { and, asc, eq, gte, isNotNull, isNull, sql, type SQL } from 'drizzle-orm'
import { BadRequest, NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import { getServer, toAdminServers, type ServerRow, type ServerViews } from '../../servers'
import type { AdminServerBackup } from '../model'
import { serverBackups as b } from '../tables'
import { toServerBackup, type BackupRow } from './backups'

/** `AdminServerBackup` objects for rows (their servers built in one batch). */
export async function toAdminBackups(db: Db | Tx, views: ServerViews, rows: BackupRow[]): Promise<AdminServerBackup[]> {
  const uuids = [...new Set(rows.map((r) => r.server_uuid).filter((u): u is string => !!u))]
  const serverRows = await Promise.all(uuids.map((u) => getServer(db, u)))
  const admin = await toAdminServers(db, views, serverRows)
  const byUuid = new Map(admin.map((s) => [s.uuid, s]))
  return rows.map((r) => ({
    ...toServerBackup(r),
    server: (r.server_uuid && byUuid.get(r.server_uuid)) || null,
    system_backup_policy_uuid: r.system_backup_policy_uuid,
    is_shared: r.shared,
  }))
}

/** A page of admin backups matching `where`, oldest first, searched by name. */
export async function adminBackupPage(db: Db, views: ServerViews, where: SQL | undefined, page: PageParams) {
  const rows = await paginate(
    db,
    { from: b, where, search: [b.name], orderBy: [asc(b.created), asc(b.uuid)], map: (r: BackupRow) => r },
    page,
  )
  return { ...rows, data: await toAdminBackups(db, views, rows.data) }
}

/** A backup stored on `node` that is not deleted: 400 malformed, 404 `backup not found`. */
export async function nodeBackupOr404(db: Db | Tx, node: string, value: string): Promise<BackupRow> {
  const uuid = parseUuid(value, 'backup')
  const [row] = await db
    .select()
    .from(b)
    .where(and(eq(b.node_uuid, node), eq(b.uuid, uuid), isNull(b.deleted)))
  if (!row) throw new NotFound('backup not found')
  return row
}

/** The server an admin names for a node backup: 404 `server not found`, 400 when it is on another node. */
export async function serverOnNode(db: Db | Tx, node: string, uuid: string): Promise<ServerRow> {
  const server = await getServer(db, uuid).catch(() => {
    throw new NotFound('server not found')
  })
  if (server.node_uuid !== node) throw new BadRequest('server does not belong to the same node as the backup')
  return server
}

const Stat = (where: SQL) => ({
  total: sql<number>`(count(*) filter (where ${where}))::int`,
  successful: sql<number>`(count(*) filter (where ${where} and ${b.successful}))::int`,
  successful_bytes: sql<number>`coalesce(sum(${b.bytes}) filter (where ${where} and ${b.successful}), 0)::bigint`,
  failed: sql<number>`(count(*) filter (where ${where} and not ${b.successful}))::int`,
  deleted: sql<number>`(count(*) filter (where ${where} and ${b.deleted} is not null))::int`,
  deleted_bytes: sql<number>`coalesce(sum(${b.bytes}) filter (where ${where} and ${b.deleted} is not null), 0)::bigint`,
})

/**
 * `stats/backups` (spec 02 §12.2) over completed backups, optionally of one backup configuration:
 * all time, today (since midnight), the last 7 and 30 days.
 */
export async function backupStats(db: Db, configuration?: string) {
  const today = new Date()
  today.setHours(0, 0, 0, 0)
  const since = (days: number) => gte(b.completed, new Date(today.getTime() - days * 86_400_000))
  const periods = { all_time: sql`true`, today: since(0)!, week: since(7)!, month: since(30)! }
  const [row] = await db
    .select({
      all_time: sql`1`,
      ...Object.fromEntries(Object.entries(periods).flatMap(([k, w]) => Object.entries(Stat(w)).map(([f, s]) => [`${k}__${f}`, s]))),
    })
    .from(b)
    .where(and(isNotNull(b.completed), configuration ? eq(b.backup_configuration_uuid, configuration) : undefined))
  const pick = (k: string) => {
    const out: Record<string, number> = {}
    for (const f of ['total', 'successful', 'successful_bytes', 'failed', 'deleted', 'deleted_bytes'])
      out[f] = Number((row as Record<string, unknown>)[`${k}__${f}`] ?? 0)
    return out as { total: number; successful: number; successful_bytes: number; failed: number; deleted: number; deleted_bytes: number }
  }
  return { all_time: pick('all_time'), today: pick('today'), week: pick('week'), month: pick('month') }
}

import { and, eq, inArray, lt, sql } from 'drizzle-orm'
import { canonicalIp, Validation, type ActivityWriter, type Db, type PluginContext, type SettingsSnapshot, type Tx } from 'hatchery'
import { deleteInBatches, oldestKept, olderThan, RETENTION_BATCH, tables as userTables } from '../../users'
import { serverActivities, servers } from '../tables'

type NewServerActivity = typeof serverActivities.$inferInsert

/** Writes `server` entries: `subject` is the server; the actor is whoever acted (a user, or nobody for the system). */
const writeServerActivity: ActivityWriter = async (db, entry) => {
  if (!entry.subject) throw new Error(`server activity ${entry.event} without a server`)
  await db.insert(serverActivities).values({
    server_uuid: entry.subject,
    user_uuid: entry.actor.userUuid,
    impersonator_uuid: entry.actor.impersonatorUuid,
    api_key_uuid: entry.actor.apiKeyUuid,
    ip: entry.actor.ip,
    event: entry.event,
    data: entry.data,
  })
}

/** Fills the kernel's `server` activity log with the writer of `server_activities`. */
export function provideServerActivityLog(ctx: PluginContext): void {
  ctx.kernel.provideActivityLog('server', writeServerActivity, ctx.plugin)
}

/**
 * An entry a node reports (spec 04 §3.2 `POST /api/remote/activity`), or one the panel writes on a
 * node's behalf (a schedule changing the startup): who acted is whatever Wings says.
 */
export interface NodeActivity {
  server: string
  user?: string | null
  schedule?: string | null
  event: string
  metadata?: unknown
  ip?: string | null
  timestamp?: string
}

/** Entries with an `ip` that is not an address are refused as a whole (the reference's parser does the same). */
function checkAddresses(items: NodeActivity[]): (string | null)[] {
  const problems: string[] = []
  const ips = items.map((item, i) => {
    if (item.ip === undefined || item.ip === null) return null
    const ip = canonicalIp(item.ip)
    if (ip === null) problems.push(`data.${i}.ip: not an IP address`)
    return ip
  })
  if (problems.length) throw new Validation(problems)
  return ips
}

/**
 * Stores a node's batch in one statement: entries of servers not on `nodeUuid` are dropped, and
 * schedule entries unless `withSchedules`; a user that no longer exists is stored as null (the
 * log keeps what happened, as a deleted user's entries do). Returns how many were stored.
 */
export async function recordNodeActivity(db: Db | Tx, nodeUuid: string, items: NodeActivity[], withSchedules: boolean): Promise<number> {
  const ips = checkAddresses(items)
  const wanted = [...new Set(items.map((i) => i.server.toLowerCase()))]
  if (!wanted.length) return 0
  const owned = await db
    .select({ uuid: servers.uuid })
    .from(servers)
    .where(and(inArray(servers.uuid, wanted), eq(servers.node_uuid, nodeUuid)))
  const onNode = new Set(owned.map((s) => s.uuid))
  const kept = items
    .map((item, i) => ({ item, ip: ips[i] }))
    .filter(({ item }) => onNode.has(item.server.toLowerCase()) && (withSchedules || !item.schedule))
  const named = [...new Set(kept.map(({ item }) => item.user?.toLowerCase()).filter((u): u is string => !!u))]
  const known = new Set(
    named.length
      ? (await db.select({ uuid: userTables.users.uuid }).from(userTables.users).where(inArray(userTables.users.uuid, named))).map(
          (u) => u.uuid,
        )
      : [],
  )
  const rows: NewServerActivity[] = kept.map(({ item, ip }) => {
    const user = item.user?.toLowerCase()
    return {
      server_uuid: item.server.toLowerCase(),
      user_uuid: user && known.has(user) ? user : null,
      schedule_uuid: item.schedule?.toLowerCase() ?? null,
      event: item.event,
      ip,
      data: item.metadata ?? {},
      created: item.timestamp === undefined ? undefined : new Date(item.timestamp),
    }
  })
  for (let i = 0; i < rows.length; i += 1_000) await db.insert(serverActivities).values(rows.slice(i, i + 1_000))
  return rows.length
}

/**
 * Enforces `activity.server_log_retention_{days,count}`: entries older than the days go, and past
 * the count only each server's newest stay. Batches of `batch` rows, each its own transaction.
 * @returns how many entries went
 */
export async function enforceServerActivityRetention(db: Db, settings: SettingsSnapshot, batch = RETENTION_BATCH): Promise<number> {
  const a = serverActivities
  const cutoff = sql`now() - make_interval(days => ${settings.get('activity.server_log_retention_days')})`
  let removed = await deleteInBatches(db, a, lt(a.created, cutoff), batch)
  const keep = settings.get('activity.server_log_retention_count')
  if (keep === null) return removed
  // The (server_uuid, created, id) index answers this without reading the rows.
  const over = await db
    .select({ server: a.server_uuid })
    .from(a)
    .groupBy(a.server_uuid)
    .having(sql`count(*) > ${keep}`)
  for (const { server } of over) {
    const ofServer = eq(a.server_uuid, server)
    const kept = await oldestKept(db, a, keep, ofServer)
    if (kept) removed += await deleteInBatches(db, a, and(ofServer, olderThan(a, kept))!, batch)
  }
  return removed
}

import { Cron } from 'croner'
import { asc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm'
import type { Static } from 'elysia'
import { loadOr404, paginate, Validation, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { tables as backupTables, toAdminBackupConfiguration } from '../../backup-configurations'
import { requireRelation } from './links'
import type { CreateSystemBackupPolicy, SystemBackupPolicy, UpdateSystemBackupPolicy } from '../model'
import {
  systemBackupPolicies as policies,
  systemBackupPolicyBackups as backups,
  systemBackupPolicyLocations as policyLocations,
  systemBackupPolicyNodes as policyNodes,
  systemBackupPolicyServers as policyServers,
} from '../tables'

const { backupConfigurations } = backupTables
export type PolicyRow = typeof policies.$inferSelect
export type AdminPolicy = Static<typeof SystemBackupPolicy>

const countOf = (table: typeof policyNodes | typeof policyLocations | typeof policyServers | typeof backups) =>
  sql<number>`(select count(*) from ${table} where ${table.policy_uuid} = ${policies.uuid})`.mapWith(Number)

const selection = {
  policy: getTableColumns(policies),
  bc: getTableColumns(backupConfigurations),
  total_nodes: countOf(policyNodes),
  total_locations: countOf(policyLocations),
  total_servers: countOf(policyServers),
  total_backups: countOf(backups),
}

type Selected = {
  policy: PolicyRow
  bc: typeof backupConfigurations.$inferSelect | null
  total_nodes: number
  total_locations: number
  total_servers: number
  total_backups: number
}

function toAdminPolicy(secrets: Secrets, r: Selected): AdminPolicy {
  const p = r.policy
  return {
    uuid: p.uuid,
    backup_configuration: r.bc ? toAdminBackupConfiguration(secrets, r.bc) : null,
    name: p.name,
    description: p.description,
    enabled: p.enabled,
    cron: p.cron,
    retention_count: p.retention_count,
    retention_days: p.retention_days,
    parallelism: p.parallelism,
    triggered: p.triggered,
    total_nodes: r.total_nodes,
    total_locations: r.total_locations,
    total_servers: r.total_servers,
    total_backups: r.total_backups,
    created: p.created,
  }
}

const query = (db: Db | Tx, total = {}) =>
  db
    .select({ ...selection, ...total })
    .from(policies)
    .leftJoin(backupConfigurations, eq(backupConfigurations.uuid, policies.backup_configuration_uuid))

/** Policies by creation with their counts; `search` matches the name. */
export function listPolicies(db: Db | Tx, secrets: Secrets, page: PageParams, where?: SQL) {
  return paginate(
    db,
    {
      from: (total) => query(db, total),
      where,
      search: [policies.name],
      orderBy: [asc(policies.created), asc(policies.uuid)],
      map: (r) => toAdminPolicy(secrets, r),
    },
    page,
  )
}

/** The policy a path parameter names: 400 `invalid system backup policy uuid`, 404 `system backup policy not found`. */
export const getPolicy = (db: Db | Tx, uuid: string, lock = false) =>
  loadOr404(db, policies, policies.uuid, uuid, 'system backup policy', { lock })

/** One policy as answered. */
export async function adminPolicy(db: Db | Tx, secrets: Secrets, uuid: string): Promise<AdminPolicy> {
  const [row] = await query(db).where(eq(policies.uuid, uuid))
  return toAdminPolicy(secrets, row)
}

/** `system-backup-policy:create|update` activity data (the reference's). */
export const policyAudit = (r: PolicyRow) => ({ uuid: r.uuid, name: r.name, description: r.description, enabled: r.enabled, cron: r.cron })

/** 400 `cron: …` unless croner reads it as 5 fields, or 6 with seconds (a date is no schedule). */
function checkCron(cron: string | undefined): void {
  if (cron === undefined) return
  if (!/^\S+(\s+\S+){4,5}$/.test(cron.trim()) && !/^@\w+$/.test(cron.trim())) throw new Validation('cron: invalid cron expression')
  try {
    new Cron(cron, { paused: true, timezone: 'UTC', mode: '5-or-6-parts' }).stop()
  } catch (e) {
    throw new Validation(`cron: invalid cron expression (${(e as Error).message.replace(/^CronPattern: /, '')})`)
  }
}

async function checkBackupConfiguration(tx: Tx, uuid: string | null | undefined): Promise<void> {
  if (uuid) await requireRelation(tx, backupConfigurations, backupConfigurations.uuid, uuid, 'backup_configuration')
}

export async function createPolicy(tx: Tx, input: Static<typeof CreateSystemBackupPolicy>): Promise<PolicyRow> {
  checkCron(input.cron)
  await checkBackupConfiguration(tx, input.backup_configuration_uuid)
  const [row] = await tx
    .insert(policies)
    .values({
      backup_configuration_uuid: input.backup_configuration_uuid?.toLowerCase() ?? null,
      name: input.name,
      description: input.description ?? null,
      enabled: input.enabled,
      cron: input.cron.trim(),
      retention_count: input.retention_count ?? null,
      retention_days: input.retention_days ?? null,
      parallelism: input.parallelism,
    })
    .returning()
  return row
}

/**
 * Absent fields stay; null clears a nullable one. A changed cron, or a policy switched on, counts its
 * slots from now (no catch-up run for occurrences before the change).
 */
export async function updatePolicy(tx: Tx, uuid: string, input: Static<typeof UpdateSystemBackupPolicy>): Promise<PolicyRow> {
  const current = await getPolicy(tx, uuid, true)
  checkCron(input.cron)
  await checkBackupConfiguration(tx, input.backup_configuration_uuid)
  const changes = {
    ...input,
    cron: input.cron?.trim(),
    backup_configuration_uuid: input.backup_configuration_uuid?.toLowerCase() ?? input.backup_configuration_uuid,
  }
  if (Object.values(changes).every((v) => v === undefined)) return current
  const restart = (changes.cron !== undefined && changes.cron !== current.cron) || (changes.enabled === true && !current.enabled)
  const [row] = await tx
    .update(policies)
    .set({ ...changes, ...(restart ? { last_slot: sql`greatest(${policies.last_slot}, now())` } : {}) })
    .where(eq(policies.uuid, current.uuid))
    .returning()
  return row
}

/** Deletes a policy (its links cascade); the uuids of the backups it had started, for `delete_backups`. */
export async function deletePolicy(tx: Tx, uuid: string): Promise<{ row: PolicyRow; backups: string[] }> {
  const row = await getPolicy(tx, uuid, true)
  const started = await tx.select({ uuid: backups.backup_uuid }).from(backups).where(eq(backups.policy_uuid, row.uuid))
  await tx.delete(policies).where(eq(policies.uuid, row.uuid))
  return { row, backups: started.map((b) => b.uuid) }
}

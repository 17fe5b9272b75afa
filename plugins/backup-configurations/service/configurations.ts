import { asc, eq } from 'drizzle-orm'
import type { Static } from 'elysia'
import { loadOr404, paginate, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { backupConfigurations } from '../tables'
import type { BackupConfiguration, CreateBackupConfiguration, UpdateBackupConfiguration } from '../model'
import { expectServedDisk, maskConfigs, normalizeStored, prepareConfigs } from './configs'

export type BackupConfigurationRow = typeof backupConfigurations.$inferSelect
export type AdminBackupConfiguration = Static<typeof BackupConfiguration>

/** The wire object: every secret masked. */
export function toAdminBackupConfiguration(secrets: Secrets, r: BackupConfigurationRow): AdminBackupConfiguration {
  return {
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    maintenance_enabled: r.maintenance_enabled,
    shared: r.shared,
    backup_disk: r.backup_disk as AdminBackupConfiguration['backup_disk'],
    backup_configs: maskConfigs(secrets, normalizeStored(r.backup_configs)),
    created: r.created,
  }
}

/** `backup-configuration:create` / `:update` activity data (the reference's keys). */
export const configurationAudit = (r: BackupConfigurationRow) => ({
  uuid: r.uuid,
  name: r.name,
  description: r.description,
  maintenance_enabled: r.maintenance_enabled,
})

/** The configuration a path parameter names: 400 malformed, 404 unknown. */
export const getConfiguration = (db: Db | Tx, uuid: string, lock = false) =>
  loadOr404(db, backupConfigurations, backupConfigurations.uuid, uuid, 'backup configuration', { lock })

export const listConfigurations = (db: Db | Tx, secrets: Secrets, page: PageParams) =>
  paginate(
    db,
    {
      from: backupConfigurations,
      search: [backupConfigurations.name],
      orderBy: [asc(backupConfigurations.created), asc(backupConfigurations.uuid)],
      map: (r) => toAdminBackupConfiguration(secrets, r),
    },
    page,
  )

export async function createConfiguration(
  tx: Tx,
  secrets: Secrets,
  input: Static<typeof CreateBackupConfiguration>,
): Promise<BackupConfigurationRow> {
  expectServedDisk(input.backup_disk)
  const backup_configs = prepareConfigs(secrets, input.backup_configs, null)
  const [row] = await tx
    .insert(backupConfigurations)
    .values({
      name: input.name,
      description: input.description ?? null,
      maintenance_enabled: input.maintenance_enabled,
      shared: input.shared,
      backup_disk: input.backup_disk,
      backup_configs,
    })
    .returning()
  return row
}

/** Absent fields stay; `backup_configs` replaces the whole object, a masked secret keeping the stored one. */
export async function updateConfiguration(
  tx: Tx,
  secrets: Secrets,
  uuid: string,
  input: Static<typeof UpdateBackupConfiguration>,
): Promise<BackupConfigurationRow> {
  expectServedDisk(input.backup_disk)
  const current = await getConfiguration(tx, uuid, true)
  const { backup_configs, ...rest } = input
  const changes: Partial<typeof backupConfigurations.$inferInsert> = { ...rest }
  if (backup_configs) changes.backup_configs = prepareConfigs(secrets, backup_configs, normalizeStored(current.backup_configs))
  if (Object.values(changes).every((v) => v === undefined)) return current
  const [row] = await tx.update(backupConfigurations).set(changes).where(eq(backupConfigurations.uuid, current.uuid)).returning()
  return row
}

/** Locations, nodes and servers using it are left without one (foreign keys `ON DELETE SET NULL`, as the reference). */
export async function deleteConfiguration(tx: Tx, uuid: string): Promise<BackupConfigurationRow> {
  const row = await getConfiguration(tx, uuid, true)
  await tx.delete(backupConfigurations).where(eq(backupConfigurations.uuid, row.uuid))
  return row
}

/** A copy under a new name; the encrypted secrets are copied as they are. */
export async function duplicateConfiguration(tx: Tx, uuid: string, name: string) {
  const source = await getConfiguration(tx, uuid)
  const { uuid: _u, created: _c, ...fields } = source
  const [copy] = await tx
    .insert(backupConfigurations)
    .values({ ...fields, name })
    .returning()
  return { source, copy }
}

import { and, asc, eq, isNotNull, isNull, type SQL } from 'drizzle-orm'
import { HttpError, LimitExceeded, NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import {
  getConfiguration,
  normalizeStored,
  revealConfigs,
  tables as configTables,
  type BackupConfigurationRow,
} from '../../backup-configurations'
import { tables as locationTables } from '../../locations'
import { tables as nodeTables } from '../../nodes'
import type { ServerRow } from '../../servers'
import type { ServerBackup } from '../model'
import { serverBackups as b } from '../tables'
import type { BackupRuntime } from './runtime'

export type BackupRow = typeof b.$inferSelect

/** Retries after which a deletion counts as failed (spec 03 §5.1). */
export const MAX_DELETION_RETRIES = 8

export function deletionStatus(r: BackupRow): 'deleting' | 'failed' | null {
  if (r.deleted || !r.deleting) return null
  return r.deletion_retries >= MAX_DELETION_RETRIES ? 'failed' : 'deleting'
}

export function toServerBackup(r: BackupRow): ServerBackup {
  return {
    uuid: r.uuid,
    backup_group_uuid: r.backup_group_uuid,
    name: r.name,
    ignored_files: r.ignored_files,
    is_successful: r.successful,
    is_locked: r.locked,
    is_browsable: r.browsable,
    is_streaming: r.streaming,
    checksum: r.checksum,
    bytes: r.bytes,
    files: r.files,
    metadata: r.metadata,
    deletion_status: deletionStatus(r),
    completed: r.completed,
    created: r.created,
  }
}

/** The Wings adapter of a disk (spec 04 §1.6 E): `local` is Wings' own storage. */
export const adapterOf = (disk: string) => (disk === 'local' ? 'wings' : disk)

/** The disk of a Wings adapter: the inverse of {@link adapterOf}. */
export const diskOf = (adapter: string) => (adapter === 'wings' ? 'local' : adapter)

/** Disks Hatchery can serve (the others are refused when a backup configuration is created). */
export const SERVED_DISKS = ['local', 's3', 'ddup-bak', 'btrfs', 'zfs', 'restic'] as const

/** A backup of `server` (any node, system backups included; deleted ones are 404), for the item routes (spec 03 §1.5). */
export async function serverBackup(db: Db | Tx, server: string, value: string, lock = false): Promise<BackupRow> {
  const uuid = parseUuid(value, 'backup')
  const query = db
    .select()
    .from(b)
    .where(and(eq(b.server_uuid, server), eq(b.uuid, uuid), isNull(b.deleted)))
  const [row] = lock ? await query.for('update') : await query
  if (!row) throw new NotFound('backup not found')
  return row
}

/** A page of backups matching `where`, oldest first, searched by name. */
export function backupPage(db: Db | Tx, where: SQL | undefined, page: PageParams) {
  return paginate(db, { from: b, where, search: [b.name], orderBy: [asc(b.created), asc(b.uuid)], map: toServerBackup }, page)
}

/** Backups of the server on its current node that are not deleted; `system` picks policy backups or the others. */
export const visibleOn = (server: ServerRow, system: boolean) =>
  and(
    eq(b.server_uuid, server.uuid),
    eq(b.node_uuid, server.node_uuid),
    isNull(b.deleted),
    system ? isNotNull(b.system_backup_policy_uuid) : isNull(b.system_backup_policy_uuid),
  )

/** The effective backup configuration (spec 03 §5.1): the server's, else its node's, else the node's location's. */
export async function configurationOf(db: Db | Tx, server: ServerRow): Promise<BackupConfigurationRow | null> {
  const { nodes } = nodeTables
  const { locations } = locationTables
  const [refs] = await db
    .select({ node: nodes.backup_configuration_uuid, location: locations.backup_configuration_uuid })
    .from(nodes)
    .leftJoin(locations, eq(locations.uuid, nodes.location_uuid))
    .where(eq(nodes.uuid, server.node_uuid))
  const uuid = server.backup_configuration_uuid ?? refs?.node ?? refs?.location
  return uuid ? await getConfiguration(db, uuid) : null
}

/** The configuration a backup was stored with, or 417 `<missing>` / `<maintenance>` as the calling route words them. */
export async function usableConfiguration(
  db: Db | Tx,
  backup: BackupRow,
  messages: { missing: string; maintenance: string },
): Promise<BackupConfigurationRow> {
  const [row] = backup.backup_configuration_uuid
    ? await db
        .select()
        .from(configTables.backupConfigurations)
        .where(eq(configTables.backupConfigurations.uuid, backup.backup_configuration_uuid))
    : []
  if (!row) throw new LimitExceeded(messages.missing)
  if (row.maintenance_enabled) throw new LimitExceeded(messages.maintenance)
  return row
}

/** The stored settings of a configuration with its secrets decrypted (never answered to a client). */
export const revealed = (rt: BackupRuntime, row: BackupConfigurationRow) => revealConfigs(rt.secrets, normalizeStored(row.backup_configs))

/** The three state checks shared by download, export and restore (spec 03 §5.2.3), `verb` completing `backup has failed and cannot be …`. */
export function expectUsable(r: BackupRow, verb: string): void {
  if (r.deleting) throw new LimitExceeded('backup is being deleted')
  if (!r.completed) throw new LimitExceeded('backup has not been completed yet')
  if (!r.successful) throw new LimitExceeded(`backup has failed and cannot be ${verb}`)
}

/** A failure answered as the reference does (500 with a fixed message), its cause logged. */
export function failed(rt: BackupRuntime, message: string, cause: unknown): HttpError {
  rt.log.warn(message, { error: (cause as Error)?.message ?? String(cause) })
  return new HttpError(500, message)
}

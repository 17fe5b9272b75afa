import { t, type Static } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { model as serverModel, wingsModel } from '../servers'
import { serverBackupGroups, serverBackups } from './tables'

const B = createSelectSchema(serverBackups).properties
const G = createSelectSchema(serverBackupGroups).properties

export const DeletionStatus = t.Nullable(t.UnionEnum(['deleting', 'failed']))

/** `ServerBackup` (spec 03 §5.1). */
export const ServerBackup = t.Object({
  uuid: B.uuid,
  backup_group_uuid: t.Nullable(t.String({ format: 'uuid' })),
  name: t.String(),
  ignored_files: t.Array(t.String()),
  is_successful: t.Boolean(),
  is_locked: t.Boolean(),
  is_browsable: t.Boolean(),
  is_streaming: t.Boolean(),
  checksum: t.Nullable(t.String()),
  bytes: t.Integer(),
  files: t.Integer(),
  metadata: t.Any(),
  deletion_status: DeletionStatus,
  completed: t.Nullable(t.Date()),
  created: B.created,
})
export type ServerBackup = Static<typeof ServerBackup>

/** `AdminServerBackup` (spec 02 §6.13): the client object with its server (null when detached), policy and `is_shared`. */
export const AdminServerBackup = t.Composite([
  t.Object({
    server: t.Nullable(serverModel.AdminServer),
    system_backup_policy_uuid: t.Nullable(t.String({ format: 'uuid' })),
    is_shared: t.Boolean(),
  }),
  ServerBackup,
])
export type AdminServerBackup = Static<typeof AdminServerBackup>

/** `BackupGroup` (spec 03 §5.2.4): counts over the group's non-deleted backups; usable = successful and completed. */
export const BackupGroup = t.Object({
  uuid: G.uuid,
  name: t.String(),
  retention_count: t.Nullable(t.Integer()),
  retention_days: t.Nullable(t.Integer()),
  total_backups: t.Integer(),
  usable_backups: t.Integer(),
  usable_unlocked_backups: t.Integer(),
  created: G.created,
})
export type BackupGroup = Static<typeof BackupGroup>

const Name = t.String({ minLength: 1, maxLength: 255 })
const Glob = t.String({ maxLength: 1024 })

export const CreateBackup = t.Object({
  name: t.Optional(t.Nullable(Name)),
  backup_group_uuid: t.Optional(t.Nullable(t.String({ format: 'uuid' }))),
  ignored_files: t.Array(Glob, { maxItems: 1000 }),
})
export const UpdateBackup = t.Object({
  name: t.Optional(Name),
  backup_group_uuid: t.Optional(t.Nullable(t.String({ format: 'uuid' }))),
  locked: t.Optional(t.Boolean()),
})
export const RestoreBackup = t.Object({
  truncate_directory: t.Optional(t.Boolean()),
  restore_startup: t.Optional(t.Boolean()),
})

export const ARCHIVE_FORMATS = wingsModel.STREAMABLE_ARCHIVE_FORMATS
export const ArchiveFormat = t.UnionEnum(ARCHIVE_FORMATS)
export const DownloadQuery = t.Object({ archive_format: t.Optional(ArchiveFormat) })
export const ExportBackup = t.Object({
  path: t.String({ minLength: 1, maxLength: 4096 }),
  archive_format: t.Optional(ArchiveFormat),
  foreground: t.Optional(t.Boolean()),
})
export const BackupQuery = t.Object({ archive_format: t.Nullable(t.String()), size: t.Nullable(t.Integer()) })

export const CreateGroup = t.Object({
  name: Name,
  retention_count: t.Optional(t.Nullable(t.Integer({ minimum: 1, maximum: 100_000 }))),
  retention_days: t.Optional(t.Nullable(t.Integer({ minimum: 1, maximum: 100_000 }))),
})
export const UpdateGroup = t.Partial(CreateGroup)
export const DeleteGroup = t.Object({ lock_backups: t.Optional(t.Boolean()) })

/** `POST /api/remote/backups/{backup}` (spec 04 §3.2). */
export const BackupReport = t.Object({
  checksum: t.String({ maxLength: 200 }),
  checksum_type: t.String({ maxLength: 50 }),
  size: t.Integer({ minimum: 0 }),
  files: t.Integer({ minimum: 0 }),
  successful: t.Boolean(),
  browsable: t.Boolean(),
  streaming: t.Boolean(),
  parts: t.Array(t.Object({ etag: t.String(), part_number: t.Integer({ minimum: 1, maximum: 10_000 }) }), { maxItems: 10_000 }),
})
export const RestoreReport = t.Object({ server_uuid: t.Optional(t.Nullable(t.String({ format: 'uuid' }))), successful: t.Boolean() })
export const DeletionReport = t.Object({ successful: t.Boolean() })

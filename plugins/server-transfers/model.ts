import { t, type Static } from 'elysia'

const Uuid = t.String({ format: 'uuid' })
/** A uuid as an object key (a record's keys are matched by pattern, not format). */
const UUID_KEY = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

export const ArchiveFormat = t.UnionEnum(['tar', 'tar_gz', 'tar_xz', 'tar_lzip', 'tar_bz2', 'tar_lz4', 'tar_zstd'])
export const CompressionLevel = t.UnionEnum(['best_speed', 'good_speed', 'good_compression', 'best_compression'])
const Multiplex = t.Integer({ minimum: 0, description: 'Parallel streams; more than 16 is 400 `multiplex channels cannot exceed 16`' })

/** `POST /api/admin/servers/{server}/transfer` (spec 02 §8.12). */
export const TransferBody = t.Object({
  node_uuid: Uuid,
  allocation_uuid: t.Optional(t.Nullable(Uuid)),
  allocation_uuids: t.Array(Uuid, { maxItems: 1024 }),
  backups: t.Array(Uuid, { maxItems: 1024 }),
  delete_source_backups: t.Boolean(),
  archive_format: ArchiveFormat,
  compression_level: t.Optional(t.Nullable(CompressionLevel)),
  multiplex_channels: Multiplex,
})
export type TransferBody = Static<typeof TransferBody>

export const AllocationMode = t.UnionEnum([
  'none',
  'random_primary',
  'random_all',
  'preserve_ports',
  'egg_config_deployment',
  'egg_config_self_assign_range',
])
export type AllocationMode = Static<typeof AllocationMode>

/** `POST /api/admin/nodes/{node}/servers/transfer` (spec 02 §6.11). */
export const MassTransferBody = t.Object({
  servers: t.Union([
    t.Object({ type: t.Literal('all') }),
    t.Object({ type: t.Literal('uuids'), uuids: t.Array(Uuid, { maxItems: 1024 }) }),
  ]),
  node_uuid: Uuid,
  allocation_mode: AllocationMode,
  transfer_backups: t.Boolean(),
  delete_source_backups: t.Boolean(),
  archive_format: ArchiveFormat,
  compression_level: t.Optional(t.Nullable(CompressionLevel)),
  multiplex_channels: Multiplex,
})
export type MassTransferBody = Static<typeof MassTransferBody>

export const TransferProgress = t.Object({
  archive_bytes_processed: t.Integer(),
  network_bytes_processed: t.Integer(),
  bytes_total: t.Integer(),
  files_processed: t.Integer(),
})

/** The Wings backup adapters (spec 04 §1.6 E); `wings` is the panel's `local` disk. */
export const BackupAdapter = t.UnionEnum(['wings', 's3', 'ddup-bak', 'btrfs', 'zfs', 'restic', 'proxmox-backup-server', 'kopia'])

/** What changed about a backup on its way (the checksum is stored as `<checksum_type>:<checksum>`). */
export const BackupMigration = t.Object({
  checksum: t.String({ minLength: 1, maxLength: 200 }),
  checksum_type: t.String({ minLength: 1, maxLength: 32 }),
  browsable: t.Boolean(),
  streaming: t.Boolean(),
  adapter: t.Optional(t.Nullable(BackupAdapter)),
})

/**
 * The remote success callback's body (spec 04 §3): the backups the destination received, and
 * what changed about them. The plugins owning backups move them (`ServersApi.transferHooks`).
 */
export const TransferSuccess = t.Object({
  backups: t.Optional(t.Array(Uuid, { maxItems: 10_000 })),
  backup_migrations: t.Optional(
    t.Record(t.String({ pattern: UUID_KEY }), BackupMigration, { maxProperties: 10_000, additionalProperties: false }),
  ),
})
export type TransferSuccess = Static<typeof TransferSuccess>

import { t, type Static } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { SECRET_MASK, Uuid, WireInteger } from 'hatchery'
import { backupConfigurations } from './tables'

const C = createSelectSchema(backupConfigurations).properties

export const BACKUP_DISKS = ['local', 's3', 'ddup-bak', 'btrfs', 'zfs', 'restic', 'proxmox-backup-server', 'kopia'] as const
export const BackupDisk = t.UnionEnum(BACKUP_DISKS)
export const CompressionType = t.UnionEnum(['none', 'gz', 'xz', 'lzip', 'bz2', 'lz4', 'zstd'])

const Text = t.String({ minLength: 1, maxLength: 255 })
/** The reference's `u64` fields, bounded to what a JSON number holds exactly. */
const Count = t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
const Fingerprint = t.Nullable(t.String({ maxLength: 95, description: 'SHA-256, 64 hex characters, colons optional' }))
const Secret = (what: string) =>
  t.String({ minLength: 1, maxLength: 255, description: `${what}; reads as \`${SECRET_MASK}\`, which sent back keeps the stored value` })
const Environment = t.Record(t.String({ maxLength: 255 }), t.String({ maxLength: 4096 }), { maxProperties: 100 })

const PruneJob = t.Object({ cron: t.String({ minLength: 1, maxLength: 255 }), nodes: t.Array(Uuid, { maxItems: 1000 }) })

/** `backup_configs` as a request sends it (optional fields may be left out). */
export const BackupConfigsInput = t.Object({
  s3: t.Optional(
    t.Nullable(
      t.Object({
        access_key: Text,
        secret_key: Secret('S3 secret key'),
        bucket: Text,
        region: Text,
        endpoint: Text,
        path_style: t.Boolean(),
        compression_type: t.Optional(CompressionType),
        part_size: Count,
      }),
    ),
  ),
  restic: t.Optional(
    t.Nullable(
      t.Object({
        repository: t.String({ minLength: 3, maxLength: 255 }),
        retry_lock_seconds: Count,
        environment: t.Record(t.String({ maxLength: 255 }), t.String({ maxLength: 4096 }), {
          maxProperties: 100,
          description: `Values whose names look secret (…PASSWORD…, …SECRET…, …TOKEN…, …_KEY) read as \`${SECRET_MASK}\``,
        }),
        prune_jobs: t.Optional(t.Array(PruneJob, { maxItems: 50 })),
      }),
    ),
  ),
  pbs: t.Optional(
    t.Nullable(
      t.Object({
        url: Text,
        datastore: Text,
        namespace: t.Optional(t.Nullable(Text)),
        token_id: Text,
        token_secret: Secret('PBS token secret'),
        fingerprint: t.Optional(Fingerprint),
        backup_id_prefix: t.Optional(t.Nullable(Text)),
      }),
    ),
  ),
  kopia: t.Optional(
    t.Nullable(
      t.Object({
        url: Text,
        username: Text,
        password: Secret('Kopia repository password'),
        fingerprint: t.Optional(Fingerprint),
        tags: t.Record(t.String({ maxLength: 255 }), t.String({ maxLength: 255 }), { maxProperties: 50 }),
      }),
    ),
  ),
})
export type BackupConfigsIn = Static<typeof BackupConfigsInput>

/** `backup_configs` as answered: every key present, secrets masked. */
export const BackupConfigs = t.Object({
  s3: t.Nullable(
    t.Object({
      access_key: t.String(),
      secret_key: t.String(),
      bucket: t.String(),
      region: t.String(),
      endpoint: t.String(),
      path_style: t.Boolean(),
      compression_type: CompressionType,
      part_size: WireInteger(),
    }),
  ),
  restic: t.Nullable(
    t.Object({ repository: t.String(), retry_lock_seconds: WireInteger(), environment: Environment, prune_jobs: t.Array(PruneJob) }),
  ),
  pbs: t.Nullable(
    t.Object({
      url: t.String(),
      datastore: t.String(),
      namespace: t.Nullable(t.String()),
      token_id: t.String(),
      token_secret: t.String(),
      fingerprint: t.Nullable(t.String()),
      backup_id_prefix: t.Nullable(t.String()),
    }),
  ),
  kopia: t.Nullable(
    t.Object({
      url: t.String(),
      username: t.String(),
      password: t.String(),
      fingerprint: t.Nullable(t.String()),
      tags: t.Record(t.String(), t.String()),
    }),
  ),
})
export type BackupConfigsOut = Static<typeof BackupConfigs>

/** `AdminApiBackupConfiguration` (spec 02 §2.5), secrets masked. */
export const BackupConfiguration = t.Object({
  uuid: C.uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  maintenance_enabled: t.Boolean(),
  shared: t.Boolean(),
  backup_disk: BackupDisk,
  backup_configs: BackupConfigs,
  created: C.created,
})

const Name = t.String({ minLength: 1, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))

export const CreateBackupConfiguration = t.Object({
  name: Name,
  description: t.Optional(Description),
  maintenance_enabled: t.Boolean(),
  shared: t.Boolean(),
  backup_disk: BackupDisk,
  backup_configs: BackupConfigsInput,
})
/** `backup_configs: null` leaves it as it is (the reference reads a null optional field as absent; the official form may send it). */
export const UpdateBackupConfiguration = t.Composite([
  t.Partial(t.Omit(CreateBackupConfiguration, ['backup_configs'])),
  t.Object({ backup_configs: t.Optional(t.Nullable(BackupConfigsInput)) }),
])
export const DuplicateBackupConfiguration = t.Object({ name: Name })

const Stat = t.Object({
  total: t.Integer(),
  successful: t.Integer(),
  successful_bytes: t.Integer(),
  failed: t.Integer(),
  deleted: t.Integer(),
  deleted_bytes: t.Integer(),
})
/** `GET …/stats`: backups stored through a configuration, by period. */
export const BackupStats = t.Object({ all_time: Stat, today: Stat, week: Stat, month: Stat })
export type BackupStatsOut = Static<typeof BackupStats>

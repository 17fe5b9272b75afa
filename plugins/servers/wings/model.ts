import { t, type Static } from 'elysia'

/**
 * The Wings answers the panel reads (spec 04 §1.5–§1.6, current generation). An answer that does
 * not match is garbage (502). Fields the 2025 Wings snapshot lacks (spec 04 §5) are optional, so
 * such a node still reads; the routes pass the objects on as Wings sent them.
 */
const u64 = t.Integer({ minimum: 0 })

export const SystemInfo = t.Object({
  architecture: t.String(),
  cpu_count: u64,
  kernel_version: t.String(),
  os: t.String(),
  version: t.String(),
})

export const SystemOverview = t.Object({
  version: t.String(),
  local_time: t.String(),
  container_type: t.String(),
  cpu: t.Object({ name: t.String(), brand: t.String(), vendor_id: t.String(), frequency_mhz: u64, cpu_count: u64 }),
  memory: t.Object({ total_bytes: u64, free_bytes: u64, used_bytes: u64, used_bytes_process: u64 }),
  servers: t.Object({ total: u64, online: u64, offline: u64 }),
  architecture: t.String(),
  kernel_version: t.String(),
})

export const SystemStats = t.Object({
  stats: t.Object({
    cpu: t.Object({ used: t.Number(), threads: u64, model: t.String() }),
    network: t.Object({
      received: u64,
      received_packets: t.Optional(u64),
      receiving_rate: u64,
      received_packets_rate: t.Optional(u64),
      sent: u64,
      sent_packets: t.Optional(u64),
      sending_rate: u64,
      sending_packets_rate: t.Optional(u64),
    }),
    memory: t.Object({ used: u64, used_process: t.Optional(u64), total: u64 }),
    disk: t.Object({ used: u64, total: u64, read: u64, reading_rate: u64, written: u64, writing_rate: u64 }),
  }),
})

export const SystemLogs = t.Object({
  log_files: t.Array(
    t.Object({
      name: t.String(),
      compression_type: t.Optional(t.UnionEnum(['none', 'gz', 'xz', 'lzip', 'bz2', 'lz4', 'zstd'])),
      size: u64,
      last_modified: t.String(),
    }),
  ),
})

/** The live Wings configuration: passed through (spec 02 §6.8 b). */
export const WingsConfig = t.Record(t.String(), t.Unknown())
export const ConfigApplied = t.Object({ applied: t.Boolean() })

export const ServerState = t.UnionEnum(['offline', 'starting', 'stopping', 'running'])
export const ResourceUsage = t.Object({
  memory_bytes: u64,
  memory_limit_bytes: u64,
  disk_bytes: u64,
  state: ServerState,
  network: t.Object({ rx_bytes: u64, rx_packets: t.Optional(u64), tx_bytes: u64, tx_packets: t.Optional(u64) }),
  cpu_absolute: t.Number(),
  cpu_limit_absolute: t.Optional(u64),
  uptime: u64,
})
export const Utilization = t.Record(t.String(), ResourceUsage)

/** `GET /api/servers/{uuid}/schedules/{schedule}` (Wings answers it with 202). */
export const ScheduleStatus = t.Object({
  status: t.Object({ running: t.Boolean(), errors: t.Record(t.String(), t.String()), step: t.Union([t.String(), t.Null()]) }),
})

export const PortsUsed = t.Object({
  used: t.Record(t.String(), t.Array(t.Object({ port: u64, server: t.Optional(t.Union([t.String(), t.Null()])) }))),
})

export const Affected = t.Object({ affected: u64 })
/** `{}` and other answers whose content the panel does not use (it must still be Wings' JSON). */
export const Anything = t.Unknown()

export const PowerAction = t.UnionEnum(['start', 'stop', 'restart', 'kill'])
export const ServerSelector = t.Union([
  t.Object({ type: t.Literal('uuids'), uuids: t.Array(t.String({ format: 'uuid' })) }),
  t.Object({ type: t.Literal('all') }),
])

/** `GET /api/transfers` (spec 04 §1.6 F): outgoing transfers' progress by server uuid. */
export const TransferProgress = t.Object({
  archive_bytes_processed: u64,
  network_bytes_processed: u64,
  bytes_total: u64,
  files_processed: u64,
})
export const Transfers = t.Record(t.String(), TransferProgress)
/** `POST /api/servers/{uuid}/transfer` to the source node (spec 04 §1.6 F). */
export interface TransferRequest {
  url: string
  token: string
  archive_format: string
  compression_level: string | null
  backups: string[]
  delete_backups: boolean
  multiplex_streams: number
}

export type SystemInfo = Static<typeof SystemInfo>
export type SystemOverview = Static<typeof SystemOverview>
export type SystemStats = Static<typeof SystemStats>
export type SystemLogs = Static<typeof SystemLogs>
export type WingsConfig = Static<typeof WingsConfig>
export type ResourceUsage = Static<typeof ResourceUsage>
export type PortsUsed = Static<typeof PortsUsed>
export type PowerAction = Static<typeof PowerAction>
export type ServerSelector = Static<typeof ServerSelector>

/** `POST /api/servers/{uuid}/reinstall`'s script (spec 04 §1.5 `InstallationScript`). */
export interface InstallationScript {
  container_image: string
  entrypoint: string
  script: string
  environment: Record<string, unknown>
}

/** The archive formats Wings streams a backup or a folder in (spec 04 §1.6 D–E). */
export const STREAMABLE_ARCHIVE_FORMATS = [
  'tar',
  'tar_gz',
  'tar_xz',
  'tar_lzip',
  'tar_bz2',
  'tar_lz4',
  'tar_zstd',
  'itaf',
  'itaf_gz',
  'itaf_xz',
  'itaf_lzip',
  'itaf_bz2',
  'itaf_lz4',
  'itaf_zstd',
  'zip',
] as const

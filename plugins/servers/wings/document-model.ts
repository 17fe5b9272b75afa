import { t, type Static } from 'elysia'

/**
 * The server configuration document (spec 04 §3.3, `RemoteServer`): `GET /api/remote/servers…`
 * answers it and `POST /api/servers/{uuid}/sync` carries it. Every key is always sent.
 */
const Uuid = t.String({ format: 'uuid' })

export const ServerSettings = t.Object({
  uuid: Uuid,
  start_on_completion: t.Null(),
  meta: t.Object({ name: t.String(), description: t.String() }),
  suspended: t.Boolean(),
  invocation: t.String({ description: 'The startup command, `{{VAR}}` placeholders kept' }),
  skip_egg_scripts: t.Boolean(),
  entrypoint: t.Null(),
  environment: t.Record(t.String(), t.String()),
  labels: t.Record(t.String(), t.String()),
  backups: t.Array(Uuid),
  schedules: t.Array(t.Unknown()),
  allocations: t.Object({
    force_outgoing_ip: t.Boolean(),
    default: t.Nullable(t.Object({ ip: t.String(), port: t.Integer() })),
    mappings: t.Record(t.String(), t.Array(t.Integer())),
  }),
  build: t.Object({
    memory_limit: t.Integer(),
    overhead_memory: t.Integer(),
    swap: t.Integer(),
    io_weight: t.Nullable(t.Integer()),
    cpu_limit: t.Integer(),
    disk_space: t.Integer(),
    threads: t.Nullable(t.String()),
    oom_disabled: t.Boolean(),
  }),
  mounts: t.Array(t.Object({ source: t.String(), target: t.String(), read_only: t.Boolean() })),
  egg: t.Object({ id: Uuid, file_denylist: t.Array(t.String()) }),
  container: t.Object({
    image: t.String(),
    timezone: t.Nullable(t.String()),
    hugepages_passthrough_enabled: t.Boolean(),
    kvm_passthrough_enabled: t.Boolean(),
    seccomp: t.Object({ remove_allowed: t.Array(t.String()) }),
  }),
  auto_kill: t.Object({ enabled: t.Boolean(), seconds: t.Integer() }),
  auto_start_behavior: t.UnionEnum(['always', 'unless_stopped', 'never']),
})

export const ProcessConfiguration = t.Object({
  startup: t.Object({ done: t.Array(t.String()), strip_ansi: t.Boolean() }),
  stop: t.Object({ type: t.String(), value: t.Nullable(t.String()) }),
  configs: t.Array(
    t.Object({
      file: t.String(),
      create_new: t.Boolean(),
      parser: t.String(),
      replace: t.Array(
        t.Object({
          match: t.String(),
          insert_new: t.Boolean(),
          update_existing: t.Boolean(),
          if_value: t.Nullable(t.String()),
          replace_with: t.Unknown(),
        }),
      ),
    }),
  ),
})

export const RemoteServer = t.Object({ settings: ServerSettings, process_configuration: ProcessConfiguration })
export type RemoteServer = Static<typeof RemoteServer>

/** What other plugins add to a server's document (their rows): backups, schedules, mounts. */
export interface DocumentParts {
  backups: string[]
  schedules: unknown[]
  mounts: { source: string; target: string; read_only: boolean }[]
}

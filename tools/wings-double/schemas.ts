/**
 * What Wings accepts, as TypeBox schemas: the request bodies of the routes the double serves and the
 * documents it fetches from the panel (spec 04 §1.5, §1.6, §3.3). Written from the node's side of the
 * contract; nothing here is shared with the panel, so a panel that drifts from the protocol is caught.
 *
 * Objects allow extra keys (serde ignores unknown fields); `?` fields of the spec accept null or absence.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

// A pattern, not `format: 'uuid'`: TypeBox formats live in a process-wide registry the panel also uses.
const UUID_RE = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const Uuid = Type.String({ pattern: UUID_RE })
const U64 = Type.Integer({ minimum: 0 })
const U32 = Type.Integer({ minimum: 0, maximum: 4294967295 })
const I64 = Type.Integer()
const Opt = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]))
/** A serde `#[serde(default)]` field: may be absent, not null. */
const Def = <T extends TSchema>(schema: T) => Type.Optional(schema)

export const PowerAction = Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('restart'), Type.Literal('kill')])
export type PowerAction = Static<typeof PowerAction>

export const BackupAdapter = Type.Union(
  ['wings', 's3', 'ddup-bak', 'btrfs', 'zfs', 'restic', 'proxmox-backup-server', 'kopia'].map((a) => Type.Literal(a)),
)

export const InstallationScript = Type.Object({
  container_image: Type.String(),
  entrypoint: Type.String(),
  script: Type.String(),
  environment: Type.Record(Type.String(), Type.Unknown()),
})

const ServerSelector = Type.Union([
  Type.Object({ type: Type.Literal('uuids'), uuids: Type.Array(Uuid) }),
  Type.Object({ type: Type.Literal('all') }),
])

/** §3.3 `settings`, current generation (C): the panel emits every key. */
const Settings = Type.Object({
  uuid: Uuid,
  start_on_completion: Opt(Type.Boolean()),
  meta: Type.Object({ name: Type.String(), description: Type.String() }),
  suspended: Type.Boolean(),
  invocation: Type.String(),
  skip_egg_scripts: Type.Boolean(),
  entrypoint: Opt(Type.Array(Type.String())),
  environment: Type.Record(Type.String(), Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  backups: Type.Array(Uuid),
  schedules: Type.Array(
    Type.Object({ uuid: Uuid, triggers: Type.Unknown(), condition: Type.Unknown(), actions: Type.Array(Type.Unknown()) }),
  ),
  allocations: Type.Object({
    force_outgoing_ip: Type.Boolean(),
    default: Opt(Type.Object({ ip: Type.String({ minLength: 1 }), port: Type.Integer({ minimum: 0, maximum: 65535 }) })),
    mappings: Type.Record(Type.String(), Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }))),
  }),
  build: Type.Object({
    memory_limit: I64,
    overhead_memory: I64,
    swap: Type.Integer({ minimum: -1 }),
    io_weight: Opt(U32),
    cpu_limit: I64,
    disk_space: U64,
    threads: Opt(Type.String()),
    oom_disabled: Type.Boolean(),
  }),
  mounts: Type.Array(Type.Object({ source: Type.String(), target: Type.String(), read_only: Type.Boolean() })),
  egg: Type.Object({ id: Uuid, file_denylist: Type.Array(Type.String()) }),
  container: Type.Object({
    image: Type.String({ minLength: 1 }),
    timezone: Opt(Type.String()),
    hugepages_passthrough_enabled: Type.Boolean(),
    kvm_passthrough_enabled: Type.Boolean(),
    seccomp: Type.Object({ remove_allowed: Type.Array(Type.String()) }),
  }),
  auto_kill: Type.Object({ enabled: Type.Boolean(), seconds: U64 }),
  auto_start_behavior: Type.Union([Type.Literal('always'), Type.Literal('unless_stopped'), Type.Literal('never')]),
})

const Parser = Type.Union(['file', 'yaml', 'properties', 'ini', 'json', 'xml', 'toml'].map((p) => Type.Literal(p)))

const ProcessConfiguration = Type.Object({
  startup: Type.Object({ done: Type.Array(Type.String()), strip_ansi: Type.Boolean() }),
  stop: Type.Object({ type: Type.String(), value: Opt(Type.String()) }),
  configs: Type.Array(
    Type.Object({
      file: Type.String(),
      create_new: Def(Type.Boolean()),
      parser: Parser,
      replace: Type.Array(
        Type.Object({
          match: Type.String(),
          insert_new: Def(Type.Boolean()),
          update_existing: Def(Type.Boolean()),
          if_value: Opt(Type.String()),
          replace_with: Type.Unknown(),
        }),
      ),
    }),
  ),
})

/** §3.3 `RemoteServer`: `GET /api/remote/servers/{uuid}` and the `server` of a sync. */
export const RemoteServer = Type.Object({ settings: Settings, process_configuration: ProcessConfiguration })
export type RemoteServer = Static<typeof RemoteServer>

/** §3.2 `GET /api/remote/servers?page=&per_page=`: what Wings reads at boot. */
export const RemotePage = Type.Object({
  data: Type.Array(RemoteServer),
  meta: Type.Object({ current_page: U64, last_page: U64, total: U64 }),
})
export type RemotePage = Static<typeof RemotePage>

export const Bodies = {
  createServer: Type.Object({ uuid: Uuid, start_on_completion: Def(Type.Boolean()), skip_scripts: Def(Type.Boolean()) }),
  power: Type.Object({ action: PowerAction, wait_seconds: Opt(U64) }),
  nodePower: Type.Object({ servers: ServerSelector, action: PowerAction, wait_seconds: Opt(U64) }),
  commands: Type.Object({ commands: Type.Array(Type.String()) }),
  reinstall: Type.Object({ truncate_directory: Def(Type.Boolean()), installation_script: Opt(InstallationScript) }),
  sync: Type.Object({ server: Opt(Type.Unknown()) }),
  createBackup: Type.Object({ adapter: BackupAdapter, uuid: Uuid, ignore: Type.String() }),
  deleteBackup: Type.Object({ adapter: BackupAdapter, foreground: Def(Type.Boolean()), server: Opt(Uuid) }),
  wsPermissions: Type.Object({
    user_permissions: Type.Array(
      Type.Object({ user: Uuid, permissions: Type.Array(Type.String()), ignored_files: Def(Type.Array(Type.String())) }),
    ),
  }),
  wsDeny: Type.Object({ jtis: Type.Array(Type.String()) }),
  deauthorizeUser: Type.Object({ user: Uuid, servers: Def(Type.Array(Uuid)) }),
  configUpdate: Type.Record(Type.String(), Type.Unknown()),
  createDirectory: Type.Object({ root: Type.String(), name: Type.String({ minLength: 1 }) }),
  deleteFiles: Type.Object({ root: Type.String(), files: Type.Array(Type.String()) }),
  restoreBackup: Type.Object({ adapter: BackupAdapter, truncate_directory: Type.Boolean(), download_url: Opt(Type.String()) }),
  triggerSchedule: Type.Object({ skip_condition: Type.Boolean() }),
  chmodFiles: Type.Object({
    root: Type.String(),
    files: Type.Array(Type.Object({ file: Type.String(), mode: Type.String({ pattern: '^[0-7]{3,4}$' }), recursive: Def(Type.Boolean()) })),
  }),
  copyFile: Type.Object({ path: Type.String(), name: Opt(Type.String()), overwrite: Def(Type.Boolean()), foreground: Def(Type.Boolean()) }),
  renameFiles: Type.Object({ root: Type.String(), files: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })) }),
}

/** The first problem of `value` against `schema` as `path: message`, or null when it conforms. */
export function firstError(schema: TSchema, value: unknown): string | null {
  const error = Value.Errors(schema, value).First()
  if (!error) return null
  return `${error.path || '/'}: ${error.message}`
}

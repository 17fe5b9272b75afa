import { t, type Static, type TSchema } from 'elysia'

/**
 * The schedule model of spec 03 §4.1 (the reference's `wings_api` `ScheduleTrigger`,
 * `ScheduleCondition`, `ScheduleActionInner`), as TypeBox: every route validates with it, the
 * node receives what it accepted. Fields with a serde default are optional here and filled in by
 * `normalize` (service/validate.ts) before storing, so the node always gets whole objects.
 */
const Uuid = t.String({ format: 'uuid' })
/** A union of string literals (plain TypeBox kinds, so `Value.Check` knows them outside Elysia too). */
const lit = <const T extends string>(values: readonly T[]) => t.Union(values.map((v) => t.Literal(v))) as unknown as TSchema & { static: T }
const tagged = <const T extends string, P extends Record<string, TSchema>>(type: T, props: P = {} as P) =>
  t.Object({ type: t.Literal(type), ...props })

export const ServerState = lit(['offline', 'starting', 'stopping', 'running'] as const)
export const PowerAction = lit(['start', 'stop', 'restart', 'kill'] as const)
export const Comparator = lit(['smaller_than', 'smaller_than_or_equals', 'equal', 'greater_than', 'greater_than_or_equals'] as const)
export const Metric = lit(['cpu', 'memory', 'disk'] as const)
export const ArchiveFormat = lit(['tar', 'tar_gz', 'tar_xz', 'tar_lzip', 'tar_bz2', 'tar_lz4', 'tar_zstd', 'zip', 'seven_zip'] as const)

/** A schedule variable: `{variable}`. */
export const Variable = t.Object({ variable: t.String({ minLength: 1, maxLength: 255 }) })
/** A raw string or a variable (serde untagged). */
export const Dynamic = t.Union([t.String({ minLength: 1, maxLength: 16384 }), Variable])
const Nullable = <T extends TSchema>(schema: T) => t.Union([schema, t.Null()])
const Defaulted = <T extends TSchema>(schema: T) => t.Optional(schema)
const NonNegative = t.Number({ minimum: 0 })
const Millis = t.Integer({ minimum: 1, maximum: 86_400_000 })

export const Trigger = t.Union([
  tagged('cron', {
    schedule: t.String({
      minLength: 1,
      maxLength: 255,
      description: 'A cron pattern (optional leading seconds field), checked with croner',
    }),
  }),
  tagged('power_action', { action: PowerAction }),
  tagged('server_state', { state: ServerState }),
  tagged('backup_status', { status: lit(['starting', 'finished', 'failed'] as const) }),
  tagged('schedule_completion', { schedule: Uuid, successful: t.Boolean() }),
  tagged('resource_usage', {
    metric: Metric,
    comparator: Comparator,
    value: NonNegative,
    for_seconds: Defaulted(t.Integer({ minimum: 0, maximum: 86_400 })),
  }),
  tagged('console_line', {
    contains: t.String({ minLength: 1, maxLength: 1024 }),
    case_insensitive: Defaulted(t.Boolean()),
    output_into: t.Optional(Nullable(Variable)),
  }),
  tagged('crash'),
])
export type Trigger = Static<typeof Trigger>

const leafConditions = [
  tagged('none'),
  tagged('server_state', { state: ServerState }),
  tagged('uptime', { comparator: Comparator, value: t.Integer({ minimum: 0 }) }),
  tagged('resource_usage', { metric: Metric, comparator: Comparator, value: NonNegative }),
  tagged('file_exists', { file: t.String({ minLength: 1, maxLength: 255 }) }),
  tagged('variable_exists', { variable: Variable }),
  tagged('variable_equals', { variable: Variable, equals: Dynamic }),
  tagged('variable_contains', { variable: Variable, contains: Dynamic }),
  tagged('variable_starts_with', { variable: Variable, starts_with: Dynamic }),
  tagged('variable_ends_with', { variable: Variable, ends_with: Dynamic }),
]

export type Condition = { type: string; conditions?: Condition[]; condition?: Condition; [key: string]: unknown }

/** A condition inside a group, checked level by level by `normalizeCondition` (a recursive schema is too costly to compile per route). */
// Unknown, not an open object: Elysia's response/body cleaning would strip an open object's other keys.
const Nested = t.Unknown({ description: 'A condition (same shape)' })

/** A condition; `and`/`or`/`not` groups nest, no more than 3 deep (`normalizeCondition` checks the nested levels). */
export const Condition = t.Union([
  ...leafConditions,
  tagged('and', { conditions: t.Array(Nested, { maxItems: 256 }) }),
  tagged('or', { conditions: t.Array(Nested, { maxItems: 256 }) }),
  tagged('not', { condition: Nested }),
]) as unknown as TSchema & { static: Condition }

const OptionalGroup = t.Optional(Nullable(Uuid))
export const BackupSelector = t.Union([
  t.Object({ mode: t.Literal('latest'), backup_group_uuid: OptionalGroup }),
  t.Object({ mode: t.Literal('oldest'), backup_group_uuid: OptionalGroup }),
  t.Object({ mode: t.Literal('uuid'), uuid: Dynamic }),
  t.Object({ mode: t.Literal('name'), name: Dynamic, backup_group_uuid: OptionalGroup, oldest: Defaulted(t.Boolean()) }),
])

const fails = { ignore_failure: t.Boolean() }
const failsDefault = { ignore_failure: Defaulted(t.Boolean()) }

export const Action = t.Union([
  tagged('sleep', { duration: Millis }),
  tagged('ensure', { condition: Condition }),
  tagged('if', { condition: Condition }),
  tagged('else_if', { condition: Condition }),
  tagged('else'),
  tagged('end_if'),
  tagged('exit', { successful: t.Boolean() }),
  tagged('wait_for_state', { ...fails, state: ServerState, timeout: Millis }),
  tagged('format', { format: t.String({ minLength: 1, maxLength: 16384 }), output_into: Variable }),
  tagged('match_regex', {
    input: Dynamic,
    regex: t.String({ maxLength: 16384 }),
    output_into: t.Array(Nullable(Variable), { maxItems: 64 }),
  }),
  tagged('wait_for_console_line', {
    ...fails,
    contains: Dynamic,
    case_insensitive: Defaulted(t.Boolean()),
    timeout: Millis,
    output_into: Nullable(Variable),
  }),
  tagged('send_power', { ...fails, action: PowerAction }),
  tagged('send_command', { ...fails, command: Dynamic }),
  tagged('create_backup', {
    ...fails,
    foreground: t.Boolean(),
    name: Nullable(Dynamic),
    backup_group_uuid: OptionalGroup,
    ignored_files: t.Array(t.String({ maxLength: 4096 }), { maxItems: 1024 }),
    output_into: t.Optional(Nullable(Variable)),
  }),
  tagged('restore_backup', { ...fails, truncate_directory: t.Boolean(), restore_startup: Defaulted(t.Boolean()), backup: BackupSelector }),
  tagged('delete_backup', { ...failsDefault, backup: BackupSelector }),
  tagged('move_backup', { ...failsDefault, backup: BackupSelector, backup_group_uuid: OptionalGroup }),
  tagged('create_directory', { ...fails, root: Dynamic, name: Dynamic }),
  tagged('write_file', { ...fails, append: t.Boolean(), file: Dynamic, content: Dynamic }),
  tagged('copy_file', { ...fails, foreground: t.Boolean(), file: Dynamic, destination: Dynamic }),
  tagged('delete_files', { ...failsDefault, root: Dynamic, files: t.Array(t.String({ maxLength: 4096 }), { maxItems: 1024 }) }),
  tagged('rename_files', {
    ...failsDefault,
    root: Dynamic,
    files: t.Array(t.Object({ from: t.String({ maxLength: 4096 }), to: t.String({ maxLength: 4096 }) }), { maxItems: 1024 }),
  }),
  tagged('compress_files', {
    ...fails,
    foreground: t.Boolean(),
    root: Dynamic,
    files: t.Array(t.String({ maxLength: 4096 }), { maxItems: 1024 }),
    format: ArchiveFormat,
    name: Dynamic,
  }),
  tagged('decompress_file', { ...fails, foreground: t.Boolean(), root: Dynamic, file: Dynamic }),
  tagged('update_startup_variable', { ...fails, env_variable: Dynamic, value: Dynamic }),
  tagged('update_startup_command', { ...fails, command: Dynamic }),
  tagged('update_startup_docker_image', { ...fails, image: Dynamic }),
  tagged('http_request', {
    ...fails,
    method: lit(['get', 'post', 'put', 'patch', 'delete', 'head'] as const),
    url: t.String({ minLength: 1, maxLength: 4096 }),
    headers: Defaulted(t.Array(t.Object({ name: t.String({ minLength: 1, maxLength: 128 }), value: Dynamic }), { maxItems: 32 })),
    body: t.Optional(Nullable(Dynamic)),
    timeout: t.Integer({ minimum: 1, maximum: 60_000 }),
    ignore_error_status: Defaulted(t.Boolean()),
    output_status_into: t.Optional(Nullable(Variable)),
    output_body_into: t.Optional(Nullable(Variable)),
  }),
])
export type Action = { type: string; [key: string]: unknown }

/** The wire `ServerSchedule`. */
export const Schedule = t.Object({
  uuid: Uuid,
  name: t.String(),
  enabled: t.Boolean(),
  triggers: t.Array(Trigger),
  condition: Condition,
  last_run: t.Nullable(t.Date()),
  last_failure: t.Nullable(t.Date()),
  created: t.Date(),
})

/** The wire `ServerScheduleStep`. */
export const Step = t.Object({
  uuid: Uuid,
  action: Action,
  order: t.Integer({ minimum: -32768, maximum: 32767 }),
  error: t.Nullable(t.String()),
  created: t.Date(),
})

export const Name = t.String({ minLength: 1, maxLength: 255 })
export const Order = t.Integer({ minimum: -32768, maximum: 32767 })
export const Triggers = t.Array(Trigger, { maxItems: 64 })

/** The import/export format (spec 03 §4.1 "Exported schedule"). */
export const ExportedSchedule = t.Object({
  name: Name,
  enabled: t.Boolean(),
  triggers: Triggers,
  condition: Condition,
  steps: t.Array(t.Object({ action: Action, order: Order }), { maxItems: 1024 }),
})
export type ExportedSchedule = Static<typeof ExportedSchedule>

/** What the node reports for a schedule (`GET …/schedules/{schedule}` on Wings). */
export const ScheduleStatus = t.Object({
  running: t.Boolean(),
  errors: t.Record(t.String(), t.String()),
  step: t.Nullable(t.String()),
})

/** `POST /api/remote/schedule`: the runs the node finished since its last report. */
export const ScheduleReport = t.Object({
  data: t.Array(
    t.Object({
      uuid: Uuid,
      successful: t.Boolean(),
      errors: t.Record(t.String(), t.String({ maxLength: 65536 })),
      timestamp: t.String({ format: 'date-time' }),
    }),
    { maxItems: 10_000 },
  ),
})

import { t, type Static } from 'elysia'
import { WireInteger } from 'hatchery'
import { createSelectSchema } from 'drizzle-typebox'
import { model as backupModel } from '../backup-configurations'
import { model as eggConfigurationModel } from '../egg-configurations'
import { model as nestModel } from '../nests'
import { model as nodeModel } from '../nodes'
import { model as userModel } from '../users'
import { serverAllocations, servers } from './tables'

const S = createSelectSchema(servers)
const SA = createSelectSchema(serverAllocations)

/** Spec 02 §2.12: `uuid` is the server-allocation id, `ip` the address without prefix length. */
export const ServerAllocation = t.Object({
  uuid: SA.properties.uuid,
  ip: t.String(),
  ip_alias: t.Nullable(t.String()),
  port: WireInteger(),
  notes: SA.properties.notes,
  is_primary: t.Boolean(),
  created: SA.properties.created,
})

export const Limits = t.Object({
  cpu: t.Integer({ minimum: 0, description: 'Percent of one core (100 = one core); 0 = unlimited' }),
  memory: t.Integer({ minimum: 0, description: 'MiB; 0 = unlimited' }),
  memory_overhead: t.Integer({ minimum: 0, description: 'MiB' }),
  swap: t.Integer({ minimum: -1, description: 'MiB; -1 = unlimited, 0 = none' }),
  disk: t.Integer({ minimum: 0, description: 'MiB' }),
  io_weight: t.Nullable(t.Integer({ minimum: 0, maximum: 1000 })),
})
export const FeatureLimits = t.Object({
  allocations: t.Integer({ minimum: 0 }),
  databases: t.Integer({ minimum: 0 }),
  backups: t.Integer({ minimum: 0 }),
  schedules: t.Integer({ minimum: 0 }),
})
export const AutoKill = t.Object({ enabled: t.Boolean(), seconds: t.Integer({ minimum: 1, maximum: 3600 }) })

/** Spec 02 §2.11, in the reference's field order. */
export const AdminServer = t.Object({
  uuid: S.properties.uuid,
  uuid_short: t.String({ pattern: '^[0-9a-f]{8}$', description: 'The first 8 hex digits of the uuid' }),
  external_id: S.properties.external_id,
  allocation: t.Nullable(ServerAllocation),
  node: nodeModel.Node,
  owner: userModel.AdminUser,
  egg: nestModel.AdminNestEgg,
  nest: nestModel.Nest,
  backup_configuration: t.Nullable(backupModel.BackupConfiguration),
  status: S.properties.status,
  is_suspended: t.Boolean(),
  is_transferring: t.Boolean({ description: 'A destination node is set' }),
  name: S.properties.name,
  description: S.properties.description,
  limits: Limits,
  pinned_cpus: t.Array(t.Integer({ minimum: 0 })),
  feature_limits: FeatureLimits,
  startup: S.properties.startup,
  image: S.properties.image,
  auto_kill: AutoKill,
  auto_start_behavior: S.properties.auto_start_behavior,
  timezone: S.properties.timezone,
  hugepages_passthrough_enabled: t.Boolean(),
  kvm_passthrough_enabled: t.Boolean(),
  created: S.properties.created,
})

export type AdminServer = Static<typeof AdminServer>
export type ServerAllocation = Static<typeof ServerAllocation>

const Id = t.String({ format: 'uuid' })
const InputLimits = t.Object({
  cpu: t.Integer({ minimum: 0 }),
  memory: t.Integer({ minimum: 0 }),
  memory_overhead: t.Integer({ minimum: 0 }),
  swap: t.Integer({ minimum: -1 }),
  disk: t.Integer({ minimum: 0 }),
  io_weight: t.Optional(t.Nullable(t.Integer({ minimum: 0, maximum: 1000 }))),
})

/** `POST /api/admin/servers` (spec 02 §8.2); every key required unless optional. */
export const CreateServer = t.Object({
  node_uuid: Id,
  owner_uuid: Id,
  egg_uuid: Id,
  backup_configuration_uuid: t.Optional(t.Nullable(Id)),
  allocation_uuid: t.Optional(t.Nullable(Id)),
  allocation_uuids: t.Array(Id, { maxItems: 1024 }),
  start_on_completion: t.Boolean(),
  skip_installer: t.Boolean(),
  external_id: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: 255 }))),
  name: t.String({ minLength: 3, maxLength: 255 }),
  description: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))),
  limits: InputLimits,
  pinned_cpus: t.Array(t.Integer({ minimum: 0, maximum: 32767 }), { maxItems: 1024 }),
  startup: t.String({ minLength: 1, maxLength: 8192 }),
  image: t.String({ minLength: 2, maxLength: 255 }),
  timezone: t.Optional(t.Nullable(t.String({ maxLength: 255 }))),
  hugepages_passthrough_enabled: t.Boolean(),
  kvm_passthrough_enabled: t.Boolean(),
  feature_limits: FeatureLimits,
  variables: t.Array(t.Object({ env_variable: t.String({ minLength: 1, maxLength: 255 }), value: t.String({ maxLength: 4096 }) }), {
    maxItems: 1024,
  }),
})
export type CreateServer = Static<typeof CreateServer>

const { node_uuid: _node, allocation_uuids: _allocations, ...createFields } = CreateServer.properties
const Ratio = (description: string) => t.Optional(t.Number({ minimum: 0, maximum: 1, default: 0.5, description }))

/** `POST /api/admin/servers/deploy` (spec 02 §8.3): the create body without `node_uuid`, with the deployment. */
export const DeployServer = t.Object({
  deployment: t.Object({
    location_uuids: t.Array(Id, { maxItems: 1024, description: 'Candidate locations' }),
    allow_overallocation: t.Boolean({ description: "Ignore the nodes' memory and disk limits" }),
    suspension_penalty: Ratio("Weight of suspended servers' usage"),
    randomness: Ratio('0 = deterministic best fit'),
    allocations: t.Optional(
      t.Nullable(eggConfigurationModel.DeploymentInput, { description: "Overrides the egg configuration's deployment rules" }),
    ),
  }),
  ...createFields,
  allocation_uuids: t.Optional(t.Nullable(t.Array(Id, { maxItems: 1024 }))),
})
export type DeployServer = Static<typeof DeployServer>

/** `DELETE /api/admin/servers/{server}` (spec 02 §8.6). */
export const DeleteServer = t.Object({
  force: t.Optional(t.Boolean({ default: false, description: 'Delete the server even when its node fails' })),
  delete_backups: t.Optional(t.Boolean({ default: false, description: 'Accepted; backups do not exist yet' })),
})

/** `PATCH /api/admin/servers/{server}` (spec 02 §8.5): absent fields stay, null clears the nullable ones. */
export const UpdateServer = t.Partial(
  t.Object({
    owner_uuid: Id,
    egg_uuid: Id,
    backup_configuration_uuid: t.Nullable(Id),
    suspended: t.Boolean(),
    external_id: t.Nullable(t.String({ minLength: 1, maxLength: 255 })),
    name: t.String({ minLength: 1, maxLength: 255 }),
    description: t.Nullable(t.String({ minLength: 1, maxLength: 1024 })),
    limits: InputLimits,
    pinned_cpus: t.Array(t.Integer({ minimum: 0, maximum: 32767 }), { maxItems: 1024 }),
    startup: t.String({ minLength: 1, maxLength: 8192 }),
    image: t.String({ minLength: 2, maxLength: 255 }),
    auto_kill: t.Object({ enabled: t.Boolean(), seconds: t.Integer() }),
    auto_start_behavior: t.UnionEnum(['always', 'unless_stopped', 'never']),
    timezone: t.Nullable(t.String({ maxLength: 255 })),
    hugepages_passthrough_enabled: t.Boolean(),
    kvm_passthrough_enabled: t.Boolean(),
    feature_limits: FeatureLimits,
  }),
)
export type UpdateServer = Static<typeof UpdateServer>

/** Spec 02 §2.13: every variable of the server's egg with the server's value (else the default, else `""`). */
export const ServerVariable = t.Object({
  name: t.String(),
  name_translations: t.Record(t.String(), t.String()),
  description: t.Nullable(t.String()),
  description_translations: t.Record(t.String(), t.String()),
  env_variable: t.String(),
  default_value: t.Nullable(t.String()),
  value: t.String(),
  is_editable: t.Boolean({ description: 'The variable is `user_editable`' }),
  is_secret: t.Boolean(),
  rules: t.Array(t.String()),
  created: t.Date({ description: 'When the server set it; now when it reads the default' }),
})
export type ServerVariable = Static<typeof ServerVariable>

/** `PUT /api/admin/servers/{server}/variables` (spec 02 §8.9). */
export const UpdateServerVariables = t.Object({
  variables: t.Array(t.Object({ env_variable: t.String({ minLength: 1, maxLength: 255 }), value: t.String({ maxLength: 4096 }) }), {
    maxItems: 1024,
  }),
})
export type UpdateServerVariables = Static<typeof UpdateServerVariables>

/** `POST /api/admin/servers/{server}/allocations` (spec 02 §8.10): a node-allocation uuid. */
export const AddServerAllocation = t.Object({ allocation_uuid: Id })

/** `PATCH /api/admin/servers/{server}/allocations/{allocation}`: absent fields stay, null clears `notes`. */
export const UpdateServerAllocation = t.Partial(
  t.Object({ notes: t.Nullable(t.String({ minLength: 1, maxLength: 1024 })), primary: t.Boolean() }),
)
export type UpdateServerAllocation = Static<typeof UpdateServerAllocation>

import { t, type Static } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { model as backupModel } from '../backup-configurations'
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
  port: t.Integer(),
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

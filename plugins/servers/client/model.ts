import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { PaginationQuery, RouteOrderItem, WireInteger } from 'hatchery'
import { tables as nestTables } from '../../nests'
import { ServerAllocation } from '../model'
import { servers } from '../tables'

// Response models without a transform (no `t.Date()`, no `t.Integer()`): one transform anywhere
// makes Elysia walk every answer with TypeBox's generic Encode (see `WireInteger`).
const created = createSelectSchema(servers).properties.created
const eggCreated = createSelectSchema(nestTables.nestEggs).properties.created
const Int = WireInteger

const OrderedMap = (description: string) => t.Record(t.String(), t.String(), { description: `${description}; key order kept` })

/** The egg of a client `Server` (spec 03 §1.8). */
export const ClientNestEgg = t.Object({
  uuid: t.String({ format: 'uuid' }),
  name: t.String(),
  description: t.Nullable(t.String()),
  startup_commands: OrderedMap('Startup commands by name'),
  separate_port: t.Boolean(),
  features: t.Array(t.String()),
  docker_images: OrderedMap('Docker images by display name'),
  created: eggCreated,
})

/** The egg configurations that apply to the server's egg, merged (spec 03 §1.8). */
export const ClientEggConfiguration = t.Object({
  allocation_self_assign_enabled: t.Boolean(),
  allocation_self_assign_require_primary: t.Boolean(),
  startup_allow_custom_command: t.Boolean(),
  route_order: t.Nullable(t.Array(RouteOrderItem)),
})

/** The client `Server` object (spec 03 §1.8), computed for the caller. */
export const ClientServer = t.Object({
  uuid: t.String({ format: 'uuid' }),
  uuid_short: t.String({ pattern: '^[0-9a-f]{8}$' }),
  allocation: t.Nullable(ServerAllocation),
  egg: ClientNestEgg,
  egg_configuration: ClientEggConfiguration,
  status: t.Nullable(
    t.Union([t.Literal('installing'), t.Literal('install_failed'), t.Literal('restoring_backup'), t.Literal('backup_restore_failed')]),
  ),
  is_owner: t.Boolean(),
  is_suspended: t.Boolean(),
  is_transferring: t.Boolean(),
  permissions: t.Array(t.String(), { description: '`["*"]` for an administrator or the owner, else the subuser grant' }),
  location_uuid: t.String({ format: 'uuid' }),
  location_name: t.String(),
  location_flag: t.Nullable(t.String()),
  node_uuid: t.String({ format: 'uuid' }),
  node_name: t.String(),
  node_maintenance_enabled: t.Boolean(),
  sftp_host: t.String(),
  sftp_port: Int(),
  name: t.String(),
  description: t.Nullable(t.String()),
  limits: t.Object({ cpu: Int(), memory: Int(), swap: Int(), disk: Int() }),
  feature_limits: t.Object({ allocations: Int(), databases: Int(), backups: Int(), schedules: Int() }),
  startup: t.String(),
  image: t.String(),
  auto_kill: t.Object({ enabled: t.Boolean(), seconds: Int() }),
  auto_start_behavior: t.Union([t.Literal('always'), t.Literal('unless_stopped'), t.Literal('never')]),
  timezone: t.Nullable(t.String()),
  created,
})

export const ServersQuery = t.Object({
  ...PaginationQuery.properties,
  other: t.Optional(t.Boolean({ description: 'With admin `servers.read`: the servers the caller neither owns nor is a subuser of' })),
})

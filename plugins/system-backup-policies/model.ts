import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Uuid, WireInteger } from 'hatchery'
import { model as backupModel } from '../backup-configurations'
import { model as locationModel } from '../locations'
import { model as nodeModel } from '../nodes'
import { model as serverModel } from '../servers'
import { systemBackupPolicies, systemBackupPolicyBackups } from './tables'

const P = createSelectSchema(systemBackupPolicies).properties
const B = createSelectSchema(systemBackupPolicyBackups).properties

/** `AdminApiSystemBackupPolicy` (spec 02 §13): the backup configuration whole (secrets masked) or null. */
export const SystemBackupPolicy = t.Object({
  uuid: P.uuid,
  backup_configuration: t.Nullable(backupModel.BackupConfiguration),
  name: t.String(),
  description: t.Nullable(t.String()),
  enabled: t.Boolean(),
  cron: t.String({ examples: ['0 0 0 * * *'] }),
  retention_count: t.Nullable(WireInteger()),
  retention_days: t.Nullable(WireInteger()),
  parallelism: WireInteger(),
  triggered: t.Nullable(P.created),
  total_nodes: WireInteger(),
  total_locations: WireInteger(),
  total_servers: WireInteger(),
  total_backups: WireInteger(),
  created: P.created,
})

const Name = t.String({ minLength: 1, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
const Cron = t.String({
  minLength: 1,
  maxLength: 255,
  description: 'A cron expression of 5 fields, or 6 with seconds first (`0 0 0 * * *`), read in UTC; checked with croner',
})
const Retention = t.Nullable(t.Integer({ minimum: 1, maximum: 2_147_483_647 }))

export const CreateSystemBackupPolicy = t.Object({
  name: Name,
  description: t.Optional(Description),
  backup_configuration_uuid: t.Optional(t.Nullable(Uuid)),
  enabled: t.Boolean(),
  cron: Cron,
  retention_count: t.Optional(Retention),
  retention_days: t.Optional(Retention),
  parallelism: t.Integer({ minimum: 1, maximum: 100 }),
})
export const UpdateSystemBackupPolicy = t.Partial(CreateSystemBackupPolicy)
export const DeleteSystemBackupPolicy = t.Object({
  delete_backups: t.Optional(t.Boolean({ description: "Also delete the policy's backups (through the backup runner), after the answer" })),
})

export const PolicyLocation = t.Object({ location: locationModel.Location, created: P.created })
export const PolicyNode = t.Object({ node: nodeModel.Node, created: P.created })
export const PolicyServer = t.Object({ server: serverModel.AdminServer, created: P.created })
export const AddLocation = t.Object({ location_uuid: Uuid })
export const AddNode = t.Object({ node_uuid: Uuid })
export const AddServer = t.Object({ server_uuid: Uuid })

/** What `/backups` answers until the backups plugin provides its backup objects: the policy's links. */
export const PolicyBackupLink = t.Object({
  uuid: B.backup_uuid,
  server_uuid: B.server_uuid,
  slot: B.slot,
  created: B.created,
})

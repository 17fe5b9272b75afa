import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Uuid, WireInteger } from 'hatchery'
import { model as backupModel } from '../backup-configurations'
import { model as locationModel } from '../locations'
import { model as mountModel } from '../mounts'
import { model as databaseHostModel } from '../database-hosts'
import { nodes } from './tables'

const N = createSelectSchema(nodes).properties

/** `Node` (spec 02 §2.6): the location whole, URLs normalised, never the token. */
export const Node = t.Object({
  uuid: N.uuid,
  location: locationModel.Location,
  backup_configuration: t.Nullable(backupModel.BackupConfiguration),
  name: t.String(),
  description: t.Nullable(t.String()),
  deployment_enabled: t.Boolean(),
  maintenance_enabled: t.Boolean(),
  public_url: t.Nullable(t.String()),
  url: t.String(),
  sftp_host: t.Nullable(t.String()),
  sftp_port: WireInteger(),
  memory: WireInteger(),
  disk: WireInteger(),
  created: N.created,
})

const URL_NOTE = 'An http(s) URL; answered normalised (trailing slash, lowercase host, default port dropped)'
export const Name = t.String({ minLength: 1, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
const Url = t.String({ minLength: 3, maxLength: 255, description: `The Wings base URL. ${URL_NOTE}` })
const PublicUrl = t.Nullable(t.String({ minLength: 3, maxLength: 255, description: `The URL browsers use; null: \`url\`. ${URL_NOTE}` }))
const SftpHost = t.Nullable(t.String({ minLength: 3, maxLength: 255 }))
const Port = t.Integer({ minimum: 1, maximum: 65535 })
const MiB = t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'MiB; 0 = unlimited' })

export const CreateNode = t.Object({
  location_uuid: Uuid,
  backup_configuration_uuid: t.Optional(t.Nullable(Uuid)),
  name: Name,
  description: t.Optional(Description),
  deployment_enabled: t.Boolean(),
  maintenance_enabled: t.Boolean(),
  public_url: t.Optional(PublicUrl),
  url: Url,
  sftp_host: t.Optional(SftpHost),
  sftp_port: Port,
  memory: MiB,
  disk: MiB,
})
export const UpdateNode = t.Partial(CreateNode)
export const DuplicateNode = t.Object({ name: Name })

export const NodeToken = t.Object({
  token_id: t.String({ description: '16 letters and digits' }),
  token: t.String({ description: '64 letters and digits' }),
})

export const Capacity = t.Object({
  limits: t.Object({ memory: t.Integer(), disk: t.Integer() }),
  allocated: t.Object({ servers: t.Integer(), cpu: t.Integer(), memory: t.Integer(), memory_overhead: t.Integer(), disk: t.Integer() }),
})

/** The document Wings' `configure --join-data` takes (spec 02 §6.8(a)), exactly these keys. */
export const JoinDocument = t.Object({
  uuid: Uuid,
  token_id: t.String(),
  token: t.String(),
  api: t.Object({ port: t.Integer(), disable_openapi_docs: t.Boolean(), upload_limit: t.Integer() }),
  system: t.Object({ sftp: t.Object({ bind_port: t.Integer() }) }),
  remote: t.String({ description: "The origin of the panel's `app.url` setting" }),
})
export const JoinFormat = t.Object({
  format: t.Optional(t.Union([t.Literal('yaml'), t.Literal('json')], { default: 'yaml', description: 'yaml (default) or json' })),
})

/** Link objects (spec 02 §2.14, §2.15). */
export const NodeMount = t.Object({ mount: mountModel.Mount, created: t.Date() })
export const NodeDatabaseHost = databaseHostModel.DatabaseHostLink
/** `/mounts/{mount}/nodes` items (`NodeNodeMount`). */
export const MountNodeLink = t.Object({ node: Node, created: t.Date() })
export const AddMount = t.Object({ mount_uuid: Uuid })
export const AddDatabaseHost = t.Object({ database_host_uuid: Uuid })

import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { model as hostModel } from '../database-hosts'
import { model as serverModel } from '../servers'
import { serverDatabases } from './tables'

const D = createSelectSchema(serverDatabases).properties
const Type = t.Union([t.Literal('mysql'), t.Literal('postgres'), t.Literal('mongodb')])

const common = {
  type: Type,
  host: t.String({ description: "The host's public_host, else its connection host" }),
  port: t.Integer({ description: "The host's public_port, else its connection port" }),
  name: t.String({ description: 'The real database name: `s<first 8 hex of the server uuid>_<name>`' }),
  is_locked: t.Boolean(),
  username: t.String(),
}

/** `ServerDatabase` (spec 03 §5.3): `password` only for callers holding `databases.read-password` (and asking, on lists). */
export const ServerDatabase = t.Object({ uuid: D.uuid, ...common, password: t.Nullable(t.String()), created: D.created })

/** An admin list's item: the password always revealed, with the host (`AdminServerServerDatabase`) or the server (`AdminServerDatabase`). */
export const AdminServerServerDatabase = t.Object({
  uuid: D.uuid,
  database_host: hostModel.DatabaseHost,
  ...common,
  password: t.String(),
  created: D.created,
})
export const AdminServerDatabase = t.Object({
  uuid: D.uuid,
  server: serverModel.AdminServer,
  ...common,
  password: t.String(),
  created: D.created,
})

/** `GET …/databases/hosts`: where the server may create databases. */
export const ClientDatabaseHost = t.Object({
  uuid: t.String({ format: 'uuid' }),
  name: t.String(),
  maintenance_enabled: t.Boolean(),
  type: Type,
  host: t.String(),
  port: t.Integer(),
})

export const CreateServerDatabase = t.Object({
  database_host_uuid: t.String({ format: 'uuid' }),
  name: t.String({ minLength: 3, maxLength: 31, pattern: '^[a-zA-Z0-9_]+$', description: '3–31 of `a-z A-Z 0-9 _`' }),
})
export const UpdateServerDatabase = t.Object({ locked: t.Optional(t.Boolean()) })
export const IncludePassword = t.Object({
  include_password: t.Optional(t.Boolean({ description: 'Answer the password (needs `databases.read-password`)' })),
})

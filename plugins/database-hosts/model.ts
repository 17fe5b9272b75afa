import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { DATABASE_TYPES, databaseHosts } from './tables'

const H = createSelectSchema(databaseHosts).properties

/**
 * What a secret reads as: `""`, as the reference censors it (spec 02 §2.15). The official frontend
 * sends credentials only when the admin chooses to change them, and then a new secret; a client
 * that sends an object back as it read it (`password: ""`, `connection_string: ""`) keeps the
 * stored secret.
 */
export const CENSORED = ''

const Type = t.Union([t.Literal('mysql'), t.Literal('postgres'), t.Literal('mongodb')], { description: DATABASE_TYPES.join(' | ') })
const Port = t.Integer({ minimum: 1, maximum: 65535 })
const Host = t.String({ minLength: 1, maxLength: 255, description: 'A host name, an IPv4 or an IPv6 address' })

const CensoredCredentials = t.Union([
  t.Object({ type: t.Literal('connection_string'), connection_string: t.Literal(CENSORED, { description: 'Always `""`: write-only' }) }),
  t.Object({
    type: t.Literal('details'),
    host: t.String(),
    port: t.Integer(),
    username: t.String(),
    password: t.Literal(CENSORED, { description: 'Always `""`: write-only' }),
  }),
])

/** `AdminApiDatabaseHost` (spec 02 §2.15), secrets censored. */
export const DatabaseHost = t.Object({
  uuid: H.uuid,
  name: H.name,
  deployment_enabled: H.deployment_enabled,
  maintenance_enabled: H.maintenance_enabled,
  type: Type,
  public_host: t.Nullable(t.String()),
  public_port: t.Nullable(t.Integer()),
  credentials: CensoredCredentials,
  created: H.created,
})

const SECRET_NOTE = 'Stored encrypted, never answered (reads as `""`); on PATCH, `""` keeps the stored secret.'

/** Credentials as written: a URL (`mysql|mariadb|postgres|postgresql|mongodb://user:password@host[:port][/db]`) or the parts. */
const credentialFields = (secret: { minLength: number }) =>
  t.Union([
    t.Object({
      type: t.Literal('connection_string'),
      connection_string: t.String({
        ...secret,
        maxLength: 255,
        description: `A URL with a host, a username and a password. ${SECRET_NOTE}`,
      }),
    }),
    t.Object({
      type: t.Literal('details'),
      host: Host,
      port: Port,
      username: t.String({ minLength: 1, maxLength: 255 }),
      password: t.String({ ...secret, maxLength: 255, description: SECRET_NOTE }),
    }),
  ])

export const Credentials = credentialFields({ minLength: 1 })

const hostFields = {
  name: t.String({ minLength: 1, maxLength: 255 }),
  deployment_enabled: t.Boolean(),
  maintenance_enabled: t.Boolean(),
  public_host: t.Nullable(
    t.String({ minLength: 3, maxLength: 255, description: 'The host name servers are given; null: the connection host' }),
  ),
  public_port: t.Nullable(Port),
}

export const CreateDatabaseHost = t.Object({
  ...hostFields,
  type: Type,
  public_host: t.Optional(hostFields.public_host),
  public_port: t.Optional(hostFields.public_port),
  credentials: Credentials,
})
export const UpdateDatabaseHost = t.Partial(t.Object({ ...hostFields, credentials: credentialFields({ minLength: 0 }) }))
export const DeleteDatabaseHost = t.Optional(
  t.Object({ force: t.Optional(t.Boolean({ description: "Drop the host's server databases first (else 409 while it has any)" })) }),
)

/** NodeDatabaseHost / LocationDatabaseHost (spec 02 §2.15): what the link lists of locations and nodes answer. */
export const DatabaseHostLink = t.Object({ database_host: DatabaseHost, created: t.Date() })

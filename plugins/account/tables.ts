import { sql } from 'drizzle-orm'
import { char, customType, index, pgTable, smallint, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as userTables } from '../users'

const created = () => timestamp('created', { withTimezone: true }).notNull().defaultNow()
const owner = () =>
  uuid('user_uuid')
    .notNull()
    .references(() => userTables.users.uuid, { onDelete: 'cascade' })
const uuidList = (name: string) =>
  uuid(name)
    .array()
    .notNull()
    .default(sql`'{}'::uuid[]`)

/** `bytea` as a Buffer on both drivers (postgres.js gives a Buffer, PGlite a Uint8Array). */
const bytea = customType<{ data: Buffer; driverData: Uint8Array | string }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (typeof value === 'string' ? Buffer.from(value.replace(/^\\x/, ''), 'hex') : Buffer.from(value)),
})

/** Name columns hold 4 bytes per character of the API's limit (31 characters → 124). */
const name = () => varchar('name', { length: 124 }).notNull()

export const userSshKeys = pgTable(
  'user_ssh_keys',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: owner(),
    name: name(),
    /** `SHA256:` + 43 characters of unpadded base64. */
    fingerprint: char('fingerprint', { length: 50 }).notNull(),
    /** The key in SSH wire format (RFC 4253), as in the middle field of an OpenSSH line. */
    public_key: bytea('public_key').notNull(),
    created: created(),
  },
  (t) => [
    uniqueIndex('user_ssh_keys_user_name_unique').on(t.user_uuid, t.name),
    uniqueIndex('user_ssh_keys_user_fingerprint_unique').on(t.user_uuid, t.fingerprint),
  ],
)

export const userCommandSnippets = pgTable(
  'user_command_snippets',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: owner(),
    name: name(),
    /** Eggs the snippet is offered for; not checked against existing eggs. */
    eggs: uuidList('eggs'),
    command: text('command').notNull(),
    created: created(),
  },
  (t) => [
    uniqueIndex('user_command_snippets_user_name_unique').on(t.user_uuid, t.name),
    index('user_command_snippets_eggs_idx').using('gin', t.eggs),
  ],
)

export const userServerGroups = pgTable(
  'user_server_groups',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: owner(),
    /** Names need not be unique. */
    name: name(),
    order: smallint('order').notNull().default(0),
    /** Servers in display order; not checked against existing or accessible servers. */
    server_order: uuidList('server_order'),
    created: created(),
  },
  (t) => [index('user_server_groups_user_uuid_idx').on(t.user_uuid)],
)

import { boolean, index, integer, jsonb, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'

/** The kinds of database server a host can be (spec 02 §2.15). */
export const DATABASE_TYPES = ['mysql', 'postgres', 'mongodb'] as const
export type DatabaseType = (typeof DATABASE_TYPES)[number]

/**
 * How the panel reaches a host, as stored: the secret part (the whole connection string, or the
 * password) is encrypted with the panel key (`ctx.secrets`) and never answered.
 */
export type StoredCredentials =
  | { type: 'connection_string'; connection_string: string }
  | { type: 'details'; host: string; port: number; username: string; password: string }

/**
 * Database hosts (spec 02 §10). Links to locations and nodes (spec 02 §5, §6.13) are tables of the
 * plugins owning those, referencing `database_hosts.uuid` with `on delete cascade`.
 */
export const databaseHosts = pgTable(
  'database_hosts',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    type: varchar('type', { length: 16, enum: DATABASE_TYPES }).notNull(),
    deployment_enabled: boolean('deployment_enabled').notNull().default(false),
    maintenance_enabled: boolean('maintenance_enabled').notNull().default(false),
    public_host: varchar('public_host', { length: 255 }),
    public_port: integer('public_port'),
    credentials: jsonb('credentials').$type<StoredCredentials>().notNull(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('database_hosts_name_unique').on(t.name), index('database_hosts_created_idx').on(t.created)],
)

import { index, pgTable, primaryKey, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as backupTables } from '../backup-configurations'
import { tables as hostTables } from '../database-hosts'

/**
 * Where machines are. Nodes reference `locations.uuid` from their own plugin (`location_uuid …
 * references(() => locations.uuid)`); the database-host links are this plugin's own table below.
 */
export const locations = pgTable(
  'locations',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    backup_configuration_uuid: uuid('backup_configuration_uuid').references(() => backupTables.backupConfigurations.uuid, {
      onDelete: 'set null',
    }),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    flag: varchar('flag', { length: 2 }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('locations_name_unique').on(t.name),
    index('locations_backup_configuration_uuid_idx').on(t.backup_configuration_uuid),
  ],
)

/** The database hosts offered to servers of a location (spec 02 §5); both sides cascade. */
export const locationDatabaseHosts = pgTable(
  'location_database_hosts',
  {
    location_uuid: uuid('location_uuid')
      .notNull()
      .references(() => locations.uuid, { onDelete: 'cascade' }),
    database_host_uuid: uuid('database_host_uuid')
      .notNull()
      .references(() => hostTables.databaseHosts.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'location_database_hosts_pk', columns: [t.location_uuid, t.database_host_uuid] }),
    index('location_database_hosts_database_host_uuid_idx').on(t.database_host_uuid),
  ],
)

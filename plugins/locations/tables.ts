import { index, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as backupTables } from '../backup-configurations'

/**
 * Where machines are. Nodes and the database-host links reference `locations.uuid` from their own
 * plugins (a link table: `location_uuid … references(() => locations.uuid, { onDelete: 'cascade' })`).
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

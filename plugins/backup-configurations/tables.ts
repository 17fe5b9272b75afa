import { boolean, jsonb, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'

/**
 * Where and how backups are stored. `backup_configs` holds the per-driver settings; its secrets
 * (S3 `secret_key`, PBS `token_secret`, Kopia `password`, secret-looking restic environment values)
 * are stored encrypted with the panel key and never answered.
 */
export const backupConfigurations = pgTable(
  'backup_configurations',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    maintenance_enabled: boolean('maintenance_enabled').notNull().default(false),
    shared: boolean('shared').notNull().default(false),
    backup_disk: varchar('backup_disk', { length: 32 }).notNull().default('local'),
    backup_configs: jsonb('backup_configs').notNull().default({}),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('backup_configurations_name_unique').on(t.name)],
)

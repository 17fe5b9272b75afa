import { boolean, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'

/**
 * Host folders Wings bind-mounts into servers. Nodes, eggs and servers link to `mounts.uuid` from
 * their own plugins (a link table: `mount_uuid … references(() => mounts.uuid, { onDelete: 'cascade' })`).
 */
export const mounts = pgTable(
  'mounts',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    source: varchar('source', { length: 255 }).notNull(),
    target: varchar('target', { length: 255 }).notNull(),
    read_only: boolean('read_only').notNull().default(false),
    user_mountable: boolean('user_mountable').notNull().default(false),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mounts_name_unique').on(t.name), uniqueIndex('mounts_source_target_unique').on(t.source, t.target)],
)

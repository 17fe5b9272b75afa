import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as hostTables } from '../database-hosts'
import { tables as serverTables } from '../servers'

/**
 * Databases made for servers on database hosts (spec 03 §5.3). `name` and `username` are the real
 * names on the host (`s<8 hex>_<name>`, `u<8 hex>_<10 random>`); `password` is encrypted with the
 * panel key. A row exists only while its database does: rows are written after the host made it,
 * and deleted after the host dropped it. Servers and hosts are restricted: their deletes drop the
 * databases first.
 */
export const serverDatabases = pgTable(
  'server_databases',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'restrict' }),
    database_host_uuid: uuid('database_host_uuid')
      .notNull()
      .references(() => hostTables.databaseHosts.uuid, { onDelete: 'restrict' }),
    name: varchar('name', { length: 64 }).notNull(),
    locked: boolean('locked').notNull().default(false),
    username: varchar('username', { length: 32 }).notNull(),
    password: text('password').notNull(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('server_databases_host_name_unique').on(t.database_host_uuid, t.name),
    index('server_databases_server_idx').on(t.server_uuid, t.created),
  ],
)

import { index, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core'
import { tables as mountTables } from '../mounts'
import { tables as serverTables } from '../servers'

/**
 * The mounts attached to a server (spec 03 §5.5, spec 02 §8.11): one row per (server, mount), gone
 * with either. Whether a mount may be attached (linked to the server's node and egg, and
 * `user_mountable` for the client routes) is checked when attaching, not kept by a constraint.
 */
export const serverMounts = pgTable(
  'server_mounts',
  {
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    mount_uuid: uuid('mount_uuid')
      .notNull()
      .references(() => mountTables.mounts.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'server_mounts_pk', columns: [t.server_uuid, t.mount_uuid] }),
    index('server_mounts_mount_uuid_idx').on(t.mount_uuid),
  ],
)

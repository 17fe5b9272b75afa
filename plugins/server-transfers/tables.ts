import { index, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core'
import { tables as nodeTables } from '../nodes'
import { tables as serverTables } from '../servers'

/**
 * Transfers in progress: when each began (the timeout job ends those past
 * `server_transfers.timeout_minutes`). The servers row's `destination_node_uuid` is the truth of
 * whether a server is transferring; a row here without it (a node reset, a clear-state) is stale
 * and dropped by the job.
 */
export const serverTransfers = pgTable(
  'server_transfers',
  {
    server_uuid: uuid('server_uuid')
      .primaryKey()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    source_node_uuid: uuid('source_node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'cascade' }),
    destination_node_uuid: uuid('destination_node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'cascade' }),
    started: timestamp('started', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('server_transfers_started_idx').on(t.started),
    index('server_transfers_source_node_uuid_idx').on(t.source_node_uuid),
    index('server_transfers_destination_node_uuid_idx').on(t.destination_node_uuid),
  ],
)

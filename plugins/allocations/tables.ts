import { sql } from 'drizzle-orm'
import { check, index, inet, integer, pgTable, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as nodeTables } from '../nodes'

/**
 * The `(ip, port)` pairs a node offers servers. Unique per node on `(host(ip), port)`: the address
 * is stored bare (a host prefix), so `host(ip)` is the address text. The servers plugin's
 * server-allocation rows reference `node_allocations.uuid` (on delete cascade: a forced delete
 * takes them along).
 */
export const nodeAllocations = pgTable(
  'node_allocations',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'cascade' }),
    ip: inet('ip').notNull(),
    ip_alias: varchar('ip_alias', { length: 255 }),
    port: integer('port').notNull(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('node_allocations_node_host_port_unique').on(t.node_uuid, sql`host(${t.ip})`, t.port),
    // The lists' order (ip, port) within a node.
    index('node_allocations_node_ip_port_idx').on(t.node_uuid, t.ip, t.port),
    check('node_allocations_port_range', sql`${t.port} between 1 and 65535`),
  ],
)

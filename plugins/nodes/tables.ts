import { bigint, boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import * as backupTables from '../backup-configurations/tables'
import * as databaseHostTables from '../database-hosts/tables'
import * as locationTables from '../locations/tables'
import * as mountTables from '../mounts/tables'

/**
 * The machines Wings runs on. Allocations and servers reference `nodes.uuid` from their own
 * plugins (`node_uuid … references(() => nodes.uuid, …)`); the mount and database-host links are below.
 * `token` holds the node token encrypted by the kernel's secrets (never answered in a node object).
 */
export const nodes = pgTable(
  'nodes',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    location_uuid: uuid('location_uuid')
      .notNull()
      .references(() => locationTables.locations.uuid, { onDelete: 'restrict' }),
    backup_configuration_uuid: uuid('backup_configuration_uuid').references(() => backupTables.backupConfigurations.uuid, {
      onDelete: 'set null',
    }),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    deployment_enabled: boolean('deployment_enabled').notNull().default(true),
    maintenance_enabled: boolean('maintenance_enabled').notNull().default(false),
    public_url: varchar('public_url', { length: 255 }),
    url: varchar('url', { length: 255 }).notNull(),
    sftp_host: varchar('sftp_host', { length: 255 }),
    sftp_port: integer('sftp_port').notNull(),
    memory: bigint('memory', { mode: 'number' }).notNull(),
    disk: bigint('disk', { mode: 'number' }).notNull(),
    token_id: varchar('token_id', { length: 16 }).notNull(),
    token: text('token').notNull(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('nodes_name_unique').on(t.name),
    uniqueIndex('nodes_token_id_unique').on(t.token_id),
    index('nodes_location_uuid_idx').on(t.location_uuid),
    index('nodes_backup_configuration_uuid_idx').on(t.backup_configuration_uuid),
  ],
)

/** Mounts a node offers (spec 02 §6.13); both sides cascade. */
export const nodeMounts = pgTable(
  'node_mounts',
  {
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    mount_uuid: uuid('mount_uuid')
      .notNull()
      .references(() => mountTables.mounts.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('node_mounts_node_mount_unique').on(t.node_uuid, t.mount_uuid), index('node_mounts_mount_uuid_idx').on(t.mount_uuid)],
)

/** Database hosts a node's servers may use (spec 02 §6.13); both sides cascade. */
export const nodeDatabaseHosts = pgTable(
  'node_database_hosts',
  {
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodes.uuid, { onDelete: 'cascade' }),
    database_host_uuid: uuid('database_host_uuid')
      .notNull()
      .references(() => databaseHostTables.databaseHosts.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('node_database_hosts_node_host_unique').on(t.node_uuid, t.database_host_uuid),
    index('node_database_hosts_database_host_uuid_idx').on(t.database_host_uuid),
  ],
)

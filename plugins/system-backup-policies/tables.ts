import { boolean, index, integer, pgTable, primaryKey, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import * as backupTables from '../backup-configurations/tables'
import * as locationTables from '../locations/tables'
import * as nodeTables from '../nodes/tables'
import * as serverTables from '../servers/tables'

/**
 * Policies that back up every server they cover on a cron (spec 02 §13). `last_slot` is the newest
 * cron occurrence claimed by a run (never answered): a slot runs once, across panel processes,
 * because only the update raising it past the slot returns the row. `triggered` is set while a run
 * asked for by `POST …/trigger` is pending (the reference's "run pending" badge).
 */
export const systemBackupPolicies = pgTable(
  'system_backup_policies',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    backup_configuration_uuid: uuid('backup_configuration_uuid').references(() => backupTables.backupConfigurations.uuid, {
      onDelete: 'set null',
    }),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    enabled: boolean('enabled').notNull(),
    cron: varchar('cron', { length: 255 }).notNull(),
    retention_count: integer('retention_count'),
    retention_days: integer('retention_days'),
    parallelism: integer('parallelism').notNull(),
    triggered: timestamp('triggered', { withTimezone: true }),
    last_slot: timestamp('last_slot', { withTimezone: true }).notNull().defaultNow(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('system_backup_policies_name_unique').on(t.name),
    index('system_backup_policies_backup_configuration_uuid_idx').on(t.backup_configuration_uuid),
  ],
)

const policyUuid = () =>
  uuid('policy_uuid')
    .notNull()
    .references(() => systemBackupPolicies.uuid, { onDelete: 'cascade' })

/** Locations a policy covers: every server on a node of the location. Both sides cascade. */
export const systemBackupPolicyLocations = pgTable(
  'system_backup_policy_locations',
  {
    policy_uuid: policyUuid(),
    location_uuid: uuid('location_uuid')
      .notNull()
      .references(() => locationTables.locations.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'system_backup_policy_locations_pk', columns: [t.policy_uuid, t.location_uuid] }),
    index('system_backup_policy_locations_location_uuid_idx').on(t.location_uuid),
  ],
)

/** Nodes a policy covers: every server on the node. Both sides cascade. */
export const systemBackupPolicyNodes = pgTable(
  'system_backup_policy_nodes',
  {
    policy_uuid: policyUuid(),
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'system_backup_policy_nodes_pk', columns: [t.policy_uuid, t.node_uuid] }),
    index('system_backup_policy_nodes_node_uuid_idx').on(t.node_uuid),
  ],
)

/** Servers a policy covers by name. Both sides cascade. */
export const systemBackupPolicyServers = pgTable(
  'system_backup_policy_servers',
  {
    policy_uuid: policyUuid(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'system_backup_policy_servers_pk', columns: [t.policy_uuid, t.server_uuid] }),
    index('system_backup_policy_servers_server_uuid_idx').on(t.server_uuid),
  ],
)

/**
 * The backups a policy run started (the reference's `server_backups.system_backup_policy_uuid`):
 * the backup rows belong to the plugin behind the backup runner, so `backup_uuid` has no foreign key
 * here. `slot` is the cron occurrence (or trigger time) of the run; retention keeps the newest per server.
 */
export const systemBackupPolicyBackups = pgTable(
  'system_backup_policy_backups',
  {
    policy_uuid: policyUuid(),
    backup_uuid: uuid('backup_uuid').primaryKey(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    slot: timestamp('slot', { withTimezone: true }).notNull(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('system_backup_policy_backups_policy_server_idx').on(t.policy_uuid, t.server_uuid, t.slot),
    index('system_backup_policy_backups_server_uuid_idx').on(t.server_uuid),
  ],
)

import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  inet,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core'
import { tables as allocationTables } from '../allocations'
import { tables as backupTables } from '../backup-configurations'
import { tables as nestTables } from '../nests'
import { tables as nodeTables } from '../nodes'
import { tables as userTables } from '../users'

const at = (name: string) => timestamp(name, { withTimezone: true })

/** Why a server is not in its normal state (null); spec 02 §2.11. */
export const serverStatus = pgEnum('server_status', ['installing', 'install_failed', 'restoring_backup', 'backup_restore_failed'])
export const serverAutoStartBehavior = pgEnum('server_auto_start_behavior', ['always', 'unless_stopped', 'never'])

export interface AutoKill {
  enabled: boolean
  seconds: number
}

/**
 * Game servers: where they run (`node_uuid`, and `destination_node_uuid` while a transfer is
 * pending), whose they are and which egg starts them. The node, owner and egg cannot be deleted
 * under a server (restrict; the plugins' deletion guards answer 409 first). `allocation_uuid` is the
 * primary one of the server's `server_allocations` rows. `uuid_short` is the first 32 bits of the
 * uuid as a signed integer (the SFTP user name and the `uuid_short` hex derive from it), unique.
 * `external_id` is indexed, not unique, as in the reference (the lookup answers the first match).
 */
export const servers = pgTable(
  'servers',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    uuid_short: integer('uuid_short').notNull(),
    external_id: varchar('external_id', { length: 255 }),
    allocation_uuid: uuid('allocation_uuid').references((): AnyPgColumn => serverAllocations.uuid, { onDelete: 'set null' }),
    destination_allocation_uuid: uuid('destination_allocation_uuid').references((): AnyPgColumn => serverAllocations.uuid, {
      onDelete: 'set null',
    }),
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'restrict' }),
    destination_node_uuid: uuid('destination_node_uuid').references(() => nodeTables.nodes.uuid, { onDelete: 'restrict' }),
    owner_uuid: uuid('owner_uuid')
      .notNull()
      .references(() => userTables.users.uuid, { onDelete: 'restrict' }),
    egg_uuid: uuid('egg_uuid')
      .notNull()
      .references(() => nestTables.nestEggs.uuid, { onDelete: 'restrict' }),
    backup_configuration_uuid: uuid('backup_configuration_uuid').references(() => backupTables.backupConfigurations.uuid, {
      onDelete: 'set null',
    }),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    status: serverStatus('status'),
    suspended: boolean('suspended').notNull().default(false),
    memory: bigint('memory', { mode: 'number' }).notNull(),
    memory_overhead: bigint('memory_overhead', { mode: 'number' }).notNull().default(0),
    swap: bigint('swap', { mode: 'number' }).notNull(),
    disk: bigint('disk', { mode: 'number' }).notNull(),
    io_weight: smallint('io_weight'),
    cpu: integer('cpu').notNull(),
    pinned_cpus: smallint('pinned_cpus')
      .array()
      .notNull()
      .default(sql`'{}'::smallint[]`),
    startup: text('startup').notNull(),
    image: varchar('image', { length: 255 }).notNull(),
    auto_kill: jsonb('auto_kill').$type<AutoKill>().notNull().default({ enabled: false, seconds: 30 }),
    auto_start_behavior: serverAutoStartBehavior('auto_start_behavior').notNull().default('unless_stopped'),
    timezone: varchar('timezone', { length: 255 }),
    hugepages_passthrough_enabled: boolean('hugepages_passthrough_enabled').notNull().default(false),
    kvm_passthrough_enabled: boolean('kvm_passthrough_enabled').notNull().default(false),
    allocation_limit: integer('allocation_limit').notNull().default(0),
    database_limit: integer('database_limit').notNull().default(0),
    backup_limit: integer('backup_limit').notNull().default(0),
    schedule_limit: integer('schedule_limit').notNull().default(0),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('servers_uuid_short_unique').on(t.uuid_short),
    index('servers_external_id_idx').on(t.external_id),
    index('servers_allocation_uuid_idx').on(t.allocation_uuid),
    index('servers_node_uuid_idx').on(t.node_uuid),
    index('servers_destination_node_uuid_idx').on(t.destination_node_uuid),
    index('servers_owner_uuid_idx').on(t.owner_uuid),
    index('servers_egg_uuid_idx').on(t.egg_uuid),
    index('servers_backup_configuration_uuid_idx').on(t.backup_configuration_uuid),
    index('servers_created_uuid_idx').on(t.created, t.uuid),
    check(
      'servers_limits_range',
      sql`${t.memory} >= 0 and ${t.memory_overhead} >= 0 and ${t.swap} >= -1 and ${t.disk} >= 0 and ${t.cpu} >= 0`,
    ),
    check('servers_io_weight_range', sql`${t.io_weight} between 0 and 1000`),
    check(
      'servers_feature_limits_range',
      sql`${t.allocation_limit} >= 0 and ${t.database_limit} >= 0 and ${t.backup_limit} >= 0 and ${t.schedule_limit} >= 0`,
    ),
  ],
)

/**
 * The node allocations a server uses (`uuid` is the server-allocation id answered as
 * `ServerAllocation.uuid`). An allocation belongs to one server at most: the unique index is what
 * keeps two concurrent deploys from claiming the same one. Gone with the server or the allocation.
 */
export const serverAllocations = pgTable(
  'server_allocations',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references((): AnyPgColumn => servers.uuid, { onDelete: 'cascade' }),
    allocation_uuid: uuid('allocation_uuid')
      .notNull()
      .references(() => allocationTables.nodeAllocations.uuid, { onDelete: 'cascade' }),
    notes: varchar('notes', { length: 1024 }),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('server_allocations_allocation_uuid_unique').on(t.allocation_uuid),
    index('server_allocations_server_uuid_idx').on(t.server_uuid),
  ],
)

/** Values the server sets for its egg's variables; a variable without a row reads its default. */
export const serverVariables = pgTable(
  'server_variables',
  {
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => servers.uuid, { onDelete: 'cascade' }),
    variable_uuid: uuid('variable_uuid')
      .notNull()
      .references(() => nestTables.nestEggVariables.uuid, { onDelete: 'cascade' }),
    value: text('value').notNull(),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'server_variables_pk', columns: [t.server_uuid, t.variable_uuid] }),
    index('server_variables_variable_uuid_idx').on(t.variable_uuid),
  ],
)

/**
 * The server activity log (the kernel's `server` log, written by `ctx.activity.log('server', …)`,
 * and Wings' batches of `POST /api/remote/activity`, stored with the time Wings gives). Gone with
 * the server; a deleted user, impersonator or API key leaves the entry with null. `schedule_uuid`
 * names the schedule that acted. Deliberately no foreign key (the reference has one, `on delete
 * set null`): a node's batch naming a schedule deleted meanwhile would fail whole, and an entry
 * would stop saying a schedule acted (`is_schedule`) once the schedule is gone.
 */
export const serverActivities = pgTable(
  'server_activities',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => servers.uuid, { onDelete: 'cascade' }),
    user_uuid: uuid('user_uuid').references(() => userTables.users.uuid, { onDelete: 'set null' }),
    impersonator_uuid: uuid('impersonator_uuid').references(() => userTables.users.uuid, { onDelete: 'set null' }),
    api_key_uuid: uuid('api_key_uuid').references(() => userTables.userApiKeys.uuid, { onDelete: 'set null' }),
    schedule_uuid: uuid('schedule_uuid'),
    event: varchar('event', { length: 255 }).notNull(),
    ip: inet('ip'),
    data: jsonb('data').notNull().default({}),
    created: at('created').notNull().defaultNow(),
  },
  // Lists walk (server_uuid, created, id) backwards, newest first, like the user log.
  (t) => [
    index('server_activities_server_created_id_idx').on(t.server_uuid, t.created, t.id),
    index('server_activities_created_idx').on(t.created),
    index('server_activities_user_uuid_idx').on(t.user_uuid),
  ],
)

/**
 * Subusers (spec 03 §3.1): a user given some server permissions (`files.read`, …) on a server they
 * do not own, and the files hidden from them. One row per (server, user); gone with either.
 */
export const serverSubusers = pgTable(
  'server_subusers',
  {
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => servers.uuid, { onDelete: 'cascade' }),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => userTables.users.uuid, { onDelete: 'cascade' }),
    permissions: text('permissions')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    ignored_files: text('ignored_files')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'server_subusers_pk', columns: [t.server_uuid, t.user_uuid] }),
    index('server_subusers_user_uuid_idx').on(t.user_uuid),
  ],
)

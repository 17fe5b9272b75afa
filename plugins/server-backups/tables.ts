import { sql } from 'drizzle-orm'
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as backupTables } from '../backup-configurations'
import { tables as nodeTables } from '../nodes'
import { tables as serverTables } from '../servers'

const at = (name: string) => timestamp(name, { withTimezone: true })

/** A server's named folder of backups (spec 03 §5.2.4); `retention_count` rotates the oldest unlocked out on create. */
export const serverBackupGroups = pgTable(
  'server_backup_groups',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    retention_count: integer('retention_count'),
    retention_days: integer('retention_days'),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('server_backup_groups_server_uuid_name_unique').on(t.server_uuid, t.name)],
)

/**
 * Backups (spec 03 §5.1). A backup stays on its node when the server leaves it or is deleted
 * (`server_uuid` set null: "detached"); `deleting`/`deletion_retries`/`deleted` track a deletion Wings
 * completes later; `system_backup_policy_uuid` marks a backup made by a system policy (no foreign key
 * until that plugin exists). `upload_id`/`upload_path` are the S3 multipart upload.
 */
export const serverBackups = pgTable(
  'server_backups',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    server_uuid: uuid('server_uuid').references(() => serverTables.servers.uuid, { onDelete: 'set null' }),
    node_uuid: uuid('node_uuid')
      .notNull()
      .references(() => nodeTables.nodes.uuid, { onDelete: 'cascade' }),
    backup_configuration_uuid: uuid('backup_configuration_uuid').references(() => backupTables.backupConfigurations.uuid, {
      onDelete: 'set null',
    }),
    backup_group_uuid: uuid('backup_group_uuid').references(() => serverBackupGroups.uuid, { onDelete: 'set null' }),
    system_backup_policy_uuid: uuid('system_backup_policy_uuid'),
    name: varchar('name', { length: 255 }).notNull(),
    successful: boolean('successful').notNull().default(false),
    browsable: boolean('browsable').notNull().default(false),
    streaming: boolean('streaming').notNull().default(false),
    shared: boolean('shared').notNull().default(false),
    locked: boolean('locked').notNull().default(false),
    ignored_files: text('ignored_files')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    checksum: varchar('checksum', { length: 255 }),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    files: bigint('files', { mode: 'number' }).notNull().default(0),
    disk: varchar('disk', { length: 32 }).notNull(),
    metadata: jsonb('metadata').notNull().default({}),
    upload_id: text('upload_id'),
    upload_path: text('upload_path'),
    completed: at('completed'),
    deleting: at('deleting'),
    deletion_retries: integer('deletion_retries').notNull().default(0),
    deleted: at('deleted'),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    index('server_backups_server_uuid_idx').on(t.server_uuid),
    index('server_backups_node_uuid_idx').on(t.node_uuid),
    index('server_backups_backup_configuration_uuid_idx').on(t.backup_configuration_uuid),
    index('server_backups_backup_group_uuid_idx').on(t.backup_group_uuid),
    index('server_backups_deleting_idx').on(t.deleting),
  ],
)

import { boolean, index, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as mountTables } from '../mounts'

/** Pairs keep the order of an ordered map (`docker_images`, `startup_commands`): `jsonb` objects do not. */
export type OrderedPairs = [string, string][]

export interface ConfigFileReplacement {
  match: string
  insert_new: boolean
  update_existing: boolean
  if_value: string | null
  replace_with: unknown
}
export interface ConfigFile {
  file: string
  create_new: boolean
  parser: string
  replace: ConfigFileReplacement[]
}

/** Groups of eggs. */
export const nests = pgTable(
  'nests',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    author: varchar('author', { length: 255 }).notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('nests_name_unique').on(t.name)],
)

/**
 * Eggs: how a game is installed and run. Servers reference `nest_eggs.uuid` from their plugin;
 * `egg_repository_egg_uuid` is filled and constrained by the egg-repositories plugin.
 */
export const nestEggs = pgTable(
  'nest_eggs',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    nest_uuid: uuid('nest_uuid')
      .notNull()
      .references(() => nests.uuid, { onDelete: 'restrict' }),
    egg_repository_egg_uuid: uuid('egg_repository_egg_uuid'),
    author: varchar('author', { length: 255 }).notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    config_files: jsonb('config_files').$type<ConfigFile[]>().notNull().default([]),
    config_startup: jsonb('config_startup').$type<{ done: string[]; strip_ansi: boolean }>().notNull(),
    config_stop: jsonb('config_stop').$type<{ type: string; value: string | null }>().notNull(),
    config_script: jsonb('config_script').$type<{ container: string; entrypoint: string; content: string }>().notNull(),
    startup_commands: jsonb('startup_commands').$type<OrderedPairs>().notNull(),
    force_outgoing_ip: boolean('force_outgoing_ip').notNull().default(false),
    separate_port: boolean('separate_port').notNull().default(false),
    features: jsonb('features').$type<string[]>().notNull().default([]),
    docker_images: jsonb('docker_images').$type<OrderedPairs>().notNull(),
    file_denylist: jsonb('file_denylist').$type<string[]>().notNull().default([]),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('nest_eggs_nest_uuid_name_unique').on(t.nest_uuid, t.name),
    index('nest_eggs_egg_repository_egg_uuid_idx').on(t.egg_repository_egg_uuid),
  ],
)

/** An egg's startup variables; `rules` are Laravel-style rule strings (`plugins/nests/rules.ts`). */
export const nestEggVariables = pgTable(
  'nest_egg_variables',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    egg_uuid: uuid('egg_uuid')
      .notNull()
      .references(() => nestEggs.uuid, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    name_translations: jsonb('name_translations').$type<Record<string, string>>().notNull().default({}),
    description: varchar('description', { length: 1024 }),
    description_translations: jsonb('description_translations').$type<Record<string, string>>().notNull().default({}),
    order: smallint('order').notNull().default(0),
    env_variable: varchar('env_variable', { length: 255 }).notNull(),
    default_value: text('default_value'),
    user_viewable: boolean('user_viewable').notNull(),
    user_editable: boolean('user_editable').notNull(),
    secret: boolean('secret').notNull().default(false),
    rules: jsonb('rules').$type<string[]>().notNull().default([]),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('nest_egg_variables_egg_uuid_env_variable_unique').on(t.egg_uuid, t.env_variable)],
)

/** Mounts an egg offers its servers (`/nests/{nest}/eggs/{egg}/mounts`); gone with either side. */
export const nestEggMounts = pgTable(
  'nest_egg_mounts',
  {
    egg_uuid: uuid('egg_uuid')
      .notNull()
      .references(() => nestEggs.uuid, { onDelete: 'cascade' }),
    mount_uuid: uuid('mount_uuid')
      .notNull()
      .references(() => mountTables.mounts.uuid, { onDelete: 'cascade' }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('nest_egg_mounts_egg_uuid_mount_uuid_unique').on(t.egg_uuid, t.mount_uuid),
    index('nest_egg_mounts_mount_uuid_idx').on(t.mount_uuid),
  ],
)

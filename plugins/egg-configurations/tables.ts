import { index, jsonb, pgTable, primaryKey, smallint, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as nestTables } from '../nests'

/** `{type:"random"}` etc.: how an additional allocation is picked on deploy (spec 02 §7.8). */
export type AdditionalAllocationMode =
  | { type: 'random' }
  | { type: 'range'; start_port: number; end_port: number }
  | { type: 'add_primary' | 'subtract_primary'; value: number }
  | { type: 'multiply_primary' | 'divide_primary'; value: number }

export interface Deployment {
  dedicated: boolean
  primary: { start_port: number; end_port: number; assign_to_variable: string | null } | null
  additional: { mode: AdditionalAllocationMode; assign_to_variable: string | null }[]
}

export interface ConfigAllocations {
  user_self_assign: { enabled: boolean; require_primary_allocation: boolean; start_port: number; end_port: number }
  deployment: Deployment
}
export interface ConfigStartup {
  allow_custom_startup_command: boolean
}
export interface ConfigRoutes {
  order: unknown[]
}

/**
 * Per-egg overrides (allocations on deploy and self-assign, custom startup, the server sidebar's
 * route order). The eggs a configuration applies to are rows of `egg_configuration_eggs`, so a
 * deleted egg leaves no dangling uuid behind (the reference keeps a `uuid[]` and sweeps it).
 */
export const eggConfigurations = pgTable(
  'egg_configurations',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    order: smallint('order').notNull().default(0),
    config_allocations: jsonb('config_allocations').$type<ConfigAllocations>(),
    config_startup: jsonb('config_startup').$type<ConfigStartup>(),
    config_routes: jsonb('config_routes').$type<ConfigRoutes>(),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('egg_configurations_name_unique').on(t.name), index('egg_configurations_order_created_idx').on(t.order, t.created)],
)

/** The eggs of a configuration, in the order the admin listed them (`position`). */
export const eggConfigurationEggs = pgTable(
  'egg_configuration_eggs',
  {
    egg_configuration_uuid: uuid('egg_configuration_uuid')
      .notNull()
      .references(() => eggConfigurations.uuid, { onDelete: 'cascade' }),
    egg_uuid: uuid('egg_uuid')
      .notNull()
      .references(() => nestTables.nestEggs.uuid, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.egg_configuration_uuid, t.egg_uuid] }), index('egg_configuration_eggs_egg_uuid_idx').on(t.egg_uuid)],
)

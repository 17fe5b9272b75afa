import { index, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid, varchar, boolean } from 'drizzle-orm/pg-core'
import { tables as serverTables } from '../servers'

const at = (name: string) => timestamp(name, { withTimezone: true })

/**
 * A server's schedules (spec 03 §4.1). `triggers` and `condition` are stored as the validated wire
 * JSON (the node reads them as they are); names are unique per server. Gone with the server.
 */
export const serverSchedules = pgTable(
  'server_schedules',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    server_uuid: uuid('server_uuid')
      .notNull()
      .references(() => serverTables.servers.uuid, { onDelete: 'cascade' }),
    name: varchar('name', { length: 255 }).notNull(),
    enabled: boolean('enabled').notNull(),
    triggers: jsonb('triggers').$type<unknown[]>().notNull(),
    condition: jsonb('condition').$type<Record<string, unknown>>().notNull(),
    last_run: at('last_run'),
    last_failure: at('last_failure'),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('server_schedules_server_uuid_name_unique').on(t.server_uuid, t.name),
    index('server_schedules_server_uuid_created_idx').on(t.server_uuid, t.created, t.uuid),
  ],
)

/** A schedule's steps, run ordered by (`order`, `created`); `error` is the node's last report. Gone with the schedule. */
export const serverScheduleSteps = pgTable(
  'server_schedule_steps',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    schedule_uuid: uuid('schedule_uuid')
      .notNull()
      .references(() => serverSchedules.uuid, { onDelete: 'cascade' }),
    action: jsonb('action').$type<Record<string, unknown>>().notNull(),
    order: smallint('order').notNull(),
    error: text('error'),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [index('server_schedule_steps_schedule_order_idx').on(t.schedule_uuid, t.order, t.created)],
)

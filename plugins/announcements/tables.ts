import { sql } from 'drizzle-orm'
import { boolean, index, jsonb, pgEnum, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core'

const at = (name: string) => timestamp(name, { withTimezone: true })

export const announcementType = pgEnum('announcement_type', ['info', 'success', 'warning', 'error'])

/**
 * Panel-wide banners. An announcement whose four target lists are all empty is global (`GET
 * /api/announcements`); one naming locations, nodes, backup configurations or eggs is shown on the
 * matching servers only (the servers plugin's `/api/client/servers/{server}/announcements`).
 * The target lists hold plain uuids, not foreign keys, as the reference keeps them.
 */
export const announcements = pgTable(
  'announcements',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    type: announcementType('type').notNull(),
    enabled: boolean('enabled').notNull().default(false),
    enabled_start: at('enabled_start'),
    enabled_end: at('enabled_end'),
    dismissible: boolean('dismissible').notNull().default(false),
    dismissible_end: at('dismissible_end'),
    title: varchar('title', { length: 1020 }).notNull(),
    title_translations: jsonb('title_translations').$type<Record<string, string>>().notNull().default({}),
    content: text('content').notNull(),
    content_translations: jsonb('content_translations').$type<Record<string, string>>().notNull().default({}),
    locations: uuid('locations')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    nodes: uuid('nodes')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    backup_configurations: uuid('backup_configurations')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    eggs: uuid('eggs')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    created: at('created').notNull().defaultNow(),
  },
  (t) => [
    index('announcements_created_idx').on(t.created),
    // The public list reads enabled rows only; their window is checked on the few that are.
    index('announcements_enabled_idx').on(t.enabled, t.created),
  ],
)

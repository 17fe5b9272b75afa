import { index, json, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'

/**
 * How the panel authenticates to a repository, as stored: the password encrypted with the panel
 * key (`ctx.secrets`) and answered as `""`. `private_key` credentials only go with ssh URLs, which
 * this panel does not clone (its git client speaks http and https), so none is ever stored.
 */
export type StoredCredentials = { type: 'none' } | { type: 'password'; username: string; password: string }

/** Git repositories of eggs (spec 02 §7.8). */
export const eggRepositories = pgTable(
  'egg_repositories',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    git_repository: varchar('git_repository', { length: 2048 }).notNull(),
    credentials: jsonb('credentials').$type<StoredCredentials>().notNull().default({ type: 'none' }),
    last_synced: timestamp('last_synced', { withTimezone: true }),
    created: timestamp('created', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('egg_repositories_name_unique').on(t.name),
    uniqueIndex('egg_repositories_git_repository_unique').on(t.git_repository),
    index('egg_repositories_created_idx').on(t.created),
  ],
)

/**
 * The eggs a sync found, one per file. `exported_egg` is the egg in the Calagopus export format
 * whatever format the file had; it is `json`, not `jsonb`, so its ordered maps (`docker_images`,
 * `startup_commands`) keep their key order. `updated` moves only when a sync finds the egg changed.
 */
export const eggRepositoryEggs = pgTable(
  'egg_repository_eggs',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    egg_repository_uuid: uuid('egg_repository_uuid')
      .notNull()
      .references(() => eggRepositories.uuid, { onDelete: 'cascade' }),
    path: varchar('path', { length: 4096 }).notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    readme: text('readme'),
    exported_egg: json('exported_egg').$type<Record<string, unknown>>().notNull(),
    updated: timestamp('updated', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('egg_repository_eggs_repository_path_unique').on(t.egg_repository_uuid, t.path),
    index('egg_repository_eggs_repository_name_idx').on(t.egg_repository_uuid, t.name),
  ],
)

import { sql } from 'drizzle-orm'
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core'
import { tables as userTables } from '../users'

const created = () => timestamp('created', { withTimezone: true }).notNull().defaultNow()
const path = (name: string) => varchar(name, { length: 255 })

export const oauthProviders = pgTable(
  'oauth_providers',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    client_id: varchar('client_id', { length: 255 }).notNull(),
    /** Encrypted with the panel key (`ctx.secrets`); never answered. */
    client_secret: text('client_secret').notNull(),
    auth_url: varchar('auth_url', { length: 255 }).notNull(),
    token_url: varchar('token_url', { length: 255 }).notNull(),
    info_url: varchar('info_url', { length: 255 }).notNull(),
    scopes: varchar('scopes', { length: 255 })
      .array()
      .notNull()
      .default(sql`'{}'::varchar[]`),
    identifier_path: path('identifier_path').notNull(),
    email_path: path('email_path'),
    username_path: path('username_path'),
    name_first_path: path('name_first_path'),
    name_last_path: path('name_last_path'),
    enabled: boolean('enabled').notNull().default(false),
    login_only: boolean('login_only').notNull().default(false),
    login_bypass_2fa: boolean('login_bypass_2fa').notNull().default(true),
    link_viewable: boolean('link_viewable').notNull().default(false),
    user_manageable: boolean('user_manageable').notNull().default(false),
    basic_auth: boolean('basic_auth').notNull().default(false),
    created: created(),
  },
  (t) => [uniqueIndex('oauth_providers_name_unique').on(t.name), index('oauth_providers_created_idx').on(t.created)],
)

/** Rules applied at each OAuth login: `matcher` (JSON tree) decides, `mapping` (tagged by `type`) grants. */
export const oauthProviderMappings = pgTable(
  'oauth_provider_mappings',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    oauth_provider_uuid: uuid('oauth_provider_uuid')
      .notNull()
      .references(() => oauthProviders.uuid, { onDelete: 'cascade' }),
    matcher: jsonb('matcher').notNull(),
    mapping: jsonb('mapping').notNull(),
    created: created(),
  },
  (t) => [index('oauth_provider_mappings_provider_idx').on(t.oauth_provider_uuid, t.created)],
)

export const userOauthLinks = pgTable(
  'user_oauth_links',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => userTables.users.uuid, { onDelete: 'cascade' }),
    oauth_provider_uuid: uuid('oauth_provider_uuid')
      .notNull()
      .references(() => oauthProviders.uuid, { onDelete: 'cascade' }),
    identifier: varchar('identifier', { length: 255 }).notNull(),
    last_used: timestamp('last_used', { withTimezone: true }),
    created: created(),
  },
  (t) => [
    uniqueIndex('user_oauth_links_user_provider_unique').on(t.user_uuid, t.oauth_provider_uuid),
    uniqueIndex('user_oauth_links_provider_identifier_unique').on(t.oauth_provider_uuid, t.identifier),
  ],
)

/**
 * Authorization requests in flight: keyed by a keyed hash of `state`, bound to the browser by a
 * keyed hash of the `oauth_state` cookie's nonce, deleted when the callback consumes them (once).
 */
export const oauthStates = pgTable(
  'oauth_states',
  {
    state_hash: varchar('state_hash', { length: 64 }).primaryKey(),
    browser_hash: varchar('browser_hash', { length: 64 }).notNull(),
    oauth_provider_uuid: uuid('oauth_provider_uuid')
      .notNull()
      .references(() => oauthProviders.uuid, { onDelete: 'cascade' }),
    /** PKCE verifier, encrypted with the panel key. */
    code_verifier: text('code_verifier').notNull(),
    /** OpenID Connect nonce (when the provider's scopes include `openid`). */
    nonce: varchar('nonce', { length: 64 }),
    expires: timestamp('expires', { withTimezone: true }).notNull(),
  },
  (t) => [index('oauth_states_expires_idx').on(t.expires)],
)

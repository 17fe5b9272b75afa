import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  char,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'

const created = () => timestamp('created', { withTimezone: true }).notNull().defaultNow()
const permissionList = (name: string) =>
  varchar(name, { length: 64 })
    .array()
    .notNull()
    .default(sql`'{}'::varchar[]`)

export const roles = pgTable('roles', {
  uuid: uuid('uuid').primaryKey().defaultRandom(),
  name: varchar('name', { length: 255 }).notNull().unique('roles_name_unique'),
  description: text('description'),
  require_two_factor: boolean('require_two_factor').notNull().default(false),
  admin_permissions: permissionList('admin_permissions'),
  server_permissions: permissionList('server_permissions'),
  created: created(),
})

export const users = pgTable(
  'users',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    role_uuid: uuid('role_uuid').references(() => roles.uuid, { onDelete: 'set null' }),
    external_id: varchar('external_id', { length: 255 }).unique('users_external_id_unique'),
    avatar: varchar('avatar', { length: 255 }),
    username: varchar('username', { length: 60 }).notNull(),
    email: varchar('email', { length: 255 }).notNull(),
    name_first: varchar('name_first', { length: 255 }).notNull(),
    name_last: varchar('name_last', { length: 255 }).notNull(),
    /** argon2id (Bun.password); null for accounts without a password. */
    password: text('password'),
    admin: boolean('admin').notNull().default(false),
    frozen: boolean('frozen').notNull().default(false),
    suspended: boolean('suspended').notNull().default(false),
    totp_enabled: boolean('totp_enabled').notNull().default(false),
    totp_last_used: timestamp('totp_last_used', { withTimezone: true }),
    /** Encrypted with the panel key (pending until two-factor is enabled). */
    totp_secret: text('totp_secret'),
    language: varchar('language', { length: 15 }).notNull().default('en'),
    toast_position: varchar('toast_position', { length: 15 }).notNull().default('bottom_right'),
    start_on_grouped_servers: boolean('start_on_grouped_servers').notNull().default(false),
    created: created(),
  },
  (t) => [
    uniqueIndex('users_username_lower_unique').on(sql`lower(${t.username})`),
    uniqueIndex('users_email_lower_unique').on(sql`lower(${t.email})`),
    index('users_role_uuid_idx').on(t.role_uuid),
  ],
)

export const userSessions = pgTable(
  'user_sessions',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    key_id: char('key_id', { length: 16 }).notNull(),
    /** HMAC-SHA256 (hex) of the cookie's secret part. */
    key_hash: char('key_hash', { length: 64 }).notNull(),
    ip: inet('ip').notNull(),
    user_agent: varchar('user_agent', { length: 255 }).notNull(),
    last_used: timestamp('last_used', { withTimezone: true }).notNull().defaultNow(),
    created: created(),
  },
  (t) => [
    index('user_sessions_user_uuid_idx').on(t.user_uuid),
    index('user_sessions_key_id_idx').on(t.key_id),
    index('user_sessions_last_used_idx').on(t.last_used),
  ],
)

export const userApiKeys = pgTable(
  'user_api_keys',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    name: varchar('name', { length: 124 }).notNull(),
    /** First 16 characters of the key, in clear: the identifier clients see. */
    key_start: char('key_start', { length: 16 }).notNull(),
    /** HMAC-SHA256 (hex) of the whole key. */
    key_hash: char('key_hash', { length: 64 }).notNull(),
    /** Normalised CIDR strings; empty means any address. */
    allowed_ips: varchar('allowed_ips', { length: 64 })
      .array()
      .notNull()
      .default(sql`'{}'::varchar[]`),
    user_permissions: permissionList('user_permissions'),
    admin_permissions: permissionList('admin_permissions'),
    server_permissions: permissionList('server_permissions'),
    last_used: timestamp('last_used', { withTimezone: true }),
    expires: timestamp('expires', { withTimezone: true }),
    created: created(),
  },
  (t) => [
    uniqueIndex('user_api_keys_user_name_unique').on(t.user_uuid, t.name),
    uniqueIndex('user_api_keys_key_start_unique').on(t.key_start),
    index('user_api_keys_expires_idx').on(t.expires),
  ],
)

export const userRecoveryCodes = pgTable(
  'user_recovery_codes',
  {
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    /** HMAC-SHA256 (hex) of the code; codes are shown once. */
    code_hash: char('code_hash', { length: 64 }).notNull(),
    created: created(),
  },
  (t) => [primaryKey({ columns: [t.user_uuid, t.code_hash] })],
)

export const userPasswordResets = pgTable(
  'user_password_resets',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    token_start: char('token_start', { length: 16 }).notNull(),
    token_hash: char('token_hash', { length: 64 }).notNull(),
    created: created(),
  },
  (t) => [index('user_password_resets_token_start_idx').on(t.token_start), index('user_password_resets_user_uuid_idx').on(t.user_uuid)],
)

/** Pending two-factor logins: a single-use token between password and code. */
export const userLoginCheckpoints = pgTable(
  'user_login_checkpoints',
  {
    token_hash: char('token_hash', { length: 64 }).primaryKey(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    attempts: integer('attempts').notNull().default(0),
    expires: timestamp('expires', { withTimezone: true }).notNull(),
    created: created(),
  },
  (t) => [index('user_login_checkpoints_expires_idx').on(t.expires)],
)

/**
 * WebAuthn passkeys. A row is pending (`registration` set, `credential_id` null) between the
 * options and the verified attestation; pending rows are invisible to lists and logins and are
 * purged after `webauthn.registration_timeout_seconds`.
 */
export const userSecurityKeys = pgTable(
  'user_security_keys',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    name: varchar('name', { length: 124 }).notNull(),
    /** base64url (no padding) of the credential id; null while pending. */
    credential_id: varchar('credential_id', { length: 1400 }),
    /** base64url of the COSE public key; null while pending. */
    public_key: text('public_key'),
    /** The authenticator's signature counter as last seen (0 when it keeps none). */
    counter: bigint('counter', { mode: 'number' }).notNull().default(0),
    transports: varchar('transports', { length: 32 })
      .array()
      .notNull()
      .default(sql`'{}'::varchar[]`),
    /** Pending registration: `{ challenge, resident_key }`; null once registered. */
    registration: jsonb('registration').$type<{ challenge: string; resident_key: boolean }>(),
    last_used: timestamp('last_used', { withTimezone: true }),
    created: created(),
  },
  (t) => [
    uniqueIndex('user_security_keys_user_name_unique').on(t.user_uuid, t.name),
    uniqueIndex('user_security_keys_credential_id_unique').on(t.credential_id),
  ],
)

/** Pending security-key logins: single-use challenges (consumed by `DELETE … RETURNING`). */
export const userSecurityKeyChallenges = pgTable(
  'user_security_key_challenges',
  {
    uuid: uuid('uuid').primaryKey().defaultRandom(),
    challenge: varchar('challenge', { length: 128 }).notNull(),
    /** Users whose keys may answer (username-first login); null for a discoverable login. */
    user_uuids: uuid('user_uuids').array(),
    expires: timestamp('expires', { withTimezone: true }).notNull(),
    created: created(),
  },
  (t) => [index('user_security_key_challenges_expires_idx').on(t.expires)],
)

export const userActivities = pgTable(
  'user_activities',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    user_uuid: uuid('user_uuid')
      .notNull()
      .references(() => users.uuid, { onDelete: 'cascade' }),
    impersonator_uuid: uuid('impersonator_uuid').references(() => users.uuid, { onDelete: 'set null' }),
    api_key_uuid: uuid('api_key_uuid').references(() => userApiKeys.uuid, { onDelete: 'set null' }),
    event: varchar('event', { length: 255 }).notNull(),
    ip: inet('ip'),
    data: jsonb('data').notNull().default({}),
    created: created(),
  },
  // Lists walk (user_uuid, created, id) backwards: newest first, id breaking ties (listUserActivity).
  (t) => [
    index('user_activities_user_created_id_idx').on(t.user_uuid, t.created, t.id),
    index('user_activities_created_idx').on(t.created),
  ],
)

/**
 * How many activity rows each user has, kept exact by statement triggers on `user_activities`
 * (migration 0002), so the list's total costs one row read however long the log grows. No
 * foreign key: the row of a deleted user is removed by the same trigger when its count reaches 0.
 */
export const userActivityCounts = pgTable('user_activity_counts', {
  user_uuid: uuid('user_uuid').primaryKey(),
  count: bigint('count', { mode: 'number' }).notNull(),
})

/**
 * Rows of the admin activity log per acting user, and in all under the nil uuid (`ALL_ADMIN_ACTIVITY`),
 * kept exact by statement triggers on `admin_activities` (migration 0002) like `userActivityCounts`.
 */
export const adminActivityCounts = pgTable('admin_activity_counts', {
  subject: uuid('subject').primaryKey(),
  count: bigint('count', { mode: 'number' }).notNull(),
})

/** The `admin_activity_counts` row of the whole log. */
export const ALL_ADMIN_ACTIVITY = '00000000-0000-0000-0000-000000000000'

export const adminActivities = pgTable(
  'admin_activities',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    user_uuid: uuid('user_uuid').references(() => users.uuid, { onDelete: 'set null' }),
    impersonator_uuid: uuid('impersonator_uuid').references(() => users.uuid, { onDelete: 'set null' }),
    api_key_uuid: uuid('api_key_uuid').references(() => userApiKeys.uuid, { onDelete: 'set null' }),
    event: varchar('event', { length: 255 }).notNull(),
    ip: inet('ip'),
    data: jsonb('data').notNull().default({}),
    created: created(),
  },
  // The whole log walks (created, id) backwards, one user's entries (user_uuid, created, id) (listAdminActivity).
  (t) => [
    index('admin_activities_created_id_idx').on(t.created, t.id),
    index('admin_activities_user_created_id_idx').on(t.user_uuid, t.created, t.id),
  ],
)

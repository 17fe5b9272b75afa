import { boolean, pgTable, text, timestamp, varchar } from 'drizzle-orm/pg-core'

/**
 * An administrator's edits of one mail template (`PUT /api/admin/system/email/templates/{id}`).
 * A null column keeps the template's own value, so a default that changes with an upgrade still
 * reaches every field nobody edited. `content` is the HTML body; the plain-text part is derived
 * from it when the mail is sent.
 */
export const emailTemplates = pgTable('email_templates', {
  identifier: varchar('identifier', { length: 255 }).primaryKey(),
  subject: text('subject'),
  content: text('content'),
  enabled: boolean('enabled'),
  updated: timestamp('updated', { withTimezone: true }).notNull().defaultNow(),
})

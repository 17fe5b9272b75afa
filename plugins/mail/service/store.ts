import { eq } from 'drizzle-orm'
import { NotFound, transaction, type Actor, type ActivityLogs, type Db, type Tx } from 'hatchery'
import { emailTemplates } from '../tables'
import { htmlToText, textToHtml, type TemplateOverride, type TemplateRegistry } from './templates'

/** What `PUT …/email/templates/{id}` may change: absent keeps, null resets to the default. */
export interface TemplateEdit {
  subject?: string | null
  content?: string | null
  enabled?: boolean
}

/**
 * The override source the mail plugin installs: an administrator's stored edit of one template.
 * `content` is the HTML body; the text part is derived from it so both parts say the same.
 */
export async function storedOverride(db: Db, id: string): Promise<TemplateOverride | null> {
  const [row] = await db.select().from(emailTemplates).where(eq(emailTemplates.identifier, id))
  if (!row) return null
  return {
    subject: row.subject ?? undefined,
    html: row.content ?? undefined,
    text: row.content === null ? undefined : htmlToText(row.content),
    enabled: row.enabled ?? undefined,
  }
}

export const listTemplates = (registry: TemplateRegistry) =>
  registry.ids().map((identifier) => ({ identifier, available_variables: registry.original(identifier)!.variables }))

function known(registry: TemplateRegistry, id: string) {
  const template = registry.defaults(id)
  if (!template) throw new NotFound('email template not found')
  return template
}

/** One template as the admin API shows it: the defaults, and the stored edits (null = not edited). */
export async function getTemplate(db: Db, registry: TemplateRegistry, id: string) {
  const template = known(registry, id)
  const [row] = await db.select().from(emailTemplates).where(eq(emailTemplates.identifier, id))
  return {
    available_variables: template.variables,
    default_enabled: template.enabled,
    enabled: row?.enabled ?? template.enabled,
    default_subject: template.subject,
    subject: row?.subject ?? null,
    default_content: template.html ?? textToHtml(template.text),
    content: row?.content ?? null,
  }
}

/** Stores an edit and writes `email:templates.update` in the same transaction. */
export async function updateTemplate(
  db: Db,
  activity: ActivityLogs,
  actor: Actor,
  registry: TemplateRegistry,
  id: string,
  edit: TemplateEdit,
) {
  known(registry, id)
  const changes: Partial<typeof emailTemplates.$inferInsert> = {}
  if (edit.subject !== undefined) changes.subject = edit.subject
  if (edit.content !== undefined) changes.content = edit.content
  if (edit.enabled !== undefined) changes.enabled = edit.enabled
  await transaction(db, async (tx: Tx) => {
    await tx
      .insert(emailTemplates)
      .values({ identifier: id, ...changes })
      .onConflictDoUpdate({ target: emailTemplates.identifier, set: { ...changes, updated: new Date() } })
    await activity.admin(tx, actor, 'email:templates.update', { identifier: id })
  })
}

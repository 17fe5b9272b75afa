import { and, asc, eq, sql } from 'drizzle-orm'
import { loadOr404, paginate, timestamp, Validation, type Db, type PageParams, type Tx } from 'hatchery'
import type { Static } from '@sinclair/typebox'
import { announcements } from '../tables'
import type { CreateAnnouncement, UpdateAnnouncement } from '../model'

export type AnnouncementRow = typeof announcements.$inferSelect
type CreateFields = Static<typeof CreateAnnouncement>
type UpdateFields = Static<typeof UpdateAnnouncement>

export const toAdminAnnouncement = (r: AnnouncementRow) => ({
  uuid: r.uuid,
  type: r.type,
  enabled: r.enabled,
  enabled_start: r.enabled_start,
  enabled_end: r.enabled_end,
  dismissible: r.dismissible,
  dismissible_end: r.dismissible_end,
  title: r.title,
  title_translations: r.title_translations,
  content: r.content,
  content_translations: r.content_translations,
  locations: r.locations,
  nodes: r.nodes,
  backup_configurations: r.backup_configurations,
  eggs: r.eggs,
  created: r.created,
})

export const toPublicAnnouncement = (r: AnnouncementRow) => ({
  uuid: r.uuid,
  type: r.type,
  dismissible: r.dismissible,
  dismissible_end: r.dismissible_end,
  title: r.title,
  title_translations: r.title_translations,
  content: r.content,
  content_translations: r.content_translations,
})

/** What `announcement:create` and `announcement:update` record (spec 02 §14: the reference's fields). */
export function announcementAudit(r: AnnouncementRow) {
  const { uuid, type, enabled, enabled_start, enabled_end, dismissible: _d, dismissible_end: _de, created: _c, ...rest } = r
  const wire = (d: Date | null) => d && timestamp(d)
  return { uuid, type, enabled, enabled_start: wire(enabled_start), enabled_end: wire(enabled_end), ...rest }
}

/** Language codes are 2..15 characters (the reference's rule; the values' lengths are in the model). */
function checkTranslations(fields: UpdateFields): void {
  const errors: string[] = []
  for (const key of ['title_translations', 'content_translations'] as const) {
    for (const lang of Object.keys(fields[key] ?? {})) {
      if (lang.length < 2 || lang.length > 15) errors.push(`${key}: language code '${lang}' must be between 2 and 15 characters`)
    }
  }
  if (errors.length) throw new Validation(errors)
}

const when = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v))

function columns(fields: UpdateFields): Partial<typeof announcements.$inferInsert> {
  const { enabled_start, enabled_end, dismissible_end, ...rest } = fields
  return { ...rest, enabled_start: when(enabled_start), enabled_end: when(enabled_end), dismissible_end: when(dismissible_end) }
}

const unique = (list: string[] | undefined) => (list ? [...new Set(list.map((u) => u.toLowerCase()))] : undefined)
const targets = (fields: UpdateFields) => ({
  locations: unique(fields.locations),
  nodes: unique(fields.nodes),
  backup_configurations: unique(fields.backup_configurations),
  eggs: unique(fields.eggs),
})

export const listAnnouncements = (db: Db | Tx, page: PageParams) =>
  paginate(
    db,
    {
      from: announcements,
      search: [announcements.title],
      orderBy: [asc(announcements.created), asc(announcements.uuid)],
      map: toAdminAnnouncement,
    },
    page,
  )

export const getAnnouncement = (db: Db | Tx, uuid: string, opts: { lock?: boolean } = {}) =>
  loadOr404(db, announcements, announcements.uuid, uuid, 'announcement', opts)

export async function createAnnouncement(tx: Tx, fields: CreateFields): Promise<AnnouncementRow> {
  checkTranslations(fields)
  const [row] = await tx
    .insert(announcements)
    .values({ ...columns(fields), ...targets(fields) } as typeof announcements.$inferInsert)
    .returning()
  return row
}

/** Absent fields stay; null clears a time. */
export async function updateAnnouncement(tx: Tx, uuid: string, fields: UpdateFields): Promise<AnnouncementRow> {
  const current = await getAnnouncement(tx, uuid, { lock: true })
  checkTranslations(fields)
  const changes = Object.fromEntries(Object.entries({ ...columns(fields), ...targets(fields) }).filter(([, v]) => v !== undefined))
  if (!Object.keys(changes).length) return current
  const [row] = await tx.update(announcements).set(changes).where(eq(announcements.uuid, current.uuid)).returning()
  return row
}

export async function deleteAnnouncement(tx: Tx, uuid: string): Promise<AnnouncementRow> {
  const row = await getAnnouncement(tx, uuid, { lock: true })
  await tx.delete(announcements).where(eq(announcements.uuid, row.uuid))
  return row
}

/** An exact copy (the reference keeps the title, the enabled flag and the targets) with a new uuid and creation time. */
export async function duplicateAnnouncement(tx: Tx, uuid: string): Promise<{ source: AnnouncementRow; copy: AnnouncementRow }> {
  const source = await getAnnouncement(tx, uuid)
  const { uuid: _u, created: _c, ...fields } = source
  const [copy] = await tx.insert(announcements).values(fields).returning()
  return { source, copy }
}

const untargeted = and(
  sql`cardinality(${announcements.locations}) = 0`,
  sql`cardinality(${announcements.nodes}) = 0`,
  sql`cardinality(${announcements.backup_configurations}) = 0`,
  sql`cardinality(${announcements.eggs}) = 0`,
)

/**
 * Enabled global announcements (no target list), oldest first, whatever their window: the public
 * route caches these and filters the window per request (`isActive`).
 */
export const enabledGlobalAnnouncements = (db: Db | Tx) =>
  db
    .select()
    .from(announcements)
    .where(and(eq(announcements.enabled, true), untargeted))
    .orderBy(asc(announcements.created), asc(announcements.uuid))

/** Inside the enabled window at `now` (bounds included, as the reference). */
export const isActive = (r: Pick<AnnouncementRow, 'enabled_start' | 'enabled_end'>, now: Date) =>
  (!r.enabled_start || r.enabled_start <= now) && (!r.enabled_end || r.enabled_end >= now)

import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Uuid } from 'hatchery'
import { announcements } from './tables'

const P = createSelectSchema(announcements).properties

export const AnnouncementType = t.Union([t.Literal('info'), t.Literal('success'), t.Literal('warning'), t.Literal('error')])
const Translations = t.Record(t.String(), t.String(), { description: 'Language code → text' })
const Targets = t.Array(Uuid)

/** `AdminApiAnnouncement` (spec 02 §13). */
export const AdminAnnouncement = t.Object({
  uuid: P.uuid,
  type: AnnouncementType,
  enabled: P.enabled,
  enabled_start: P.enabled_start,
  enabled_end: P.enabled_end,
  dismissible: P.dismissible,
  dismissible_end: P.dismissible_end,
  title: t.String(),
  title_translations: Translations,
  content: t.String(),
  content_translations: Translations,
  locations: Targets,
  nodes: Targets,
  backup_configurations: Targets,
  eggs: Targets,
  created: P.created,
})

/** `ApiAnnouncement` (spec 01 §5.12): what anyone may see of an active announcement. */
export const PublicAnnouncement = t.Object({
  uuid: P.uuid,
  type: AnnouncementType,
  dismissible: P.dismissible,
  dismissible_end: P.dismissible_end,
  title: t.String(),
  title_translations: Translations,
  content: t.String(),
  content_translations: Translations,
})

// ------------------------------------------------------------------ request fields

const When = (what: string) => t.Nullable(t.String({ format: 'date-time', description: `RFC 3339; ${what}` }))
const TranslationsOf = (max: number) =>
  t.Record(t.String(), t.String({ minLength: 1, maxLength: max }), {
    maxProperties: 512,
    description: `Language code (2..15 characters) → text (1..${max} characters); at most 512 entries`,
  })
const TargetList = (what: string) => t.Array(Uuid, { maxItems: 100, description: `Show only on servers of these ${what} (at most 100)` })

const fields = {
  type: AnnouncementType,
  enabled: t.Boolean(),
  enabled_start: t.Optional(When('not shown before; null: no start')),
  enabled_end: t.Optional(When('not shown after; null: no end')),
  dismissible: t.Boolean(),
  dismissible_end: t.Optional(When('dismissing stops being offered after; null: no end')),
  title: t.String({ minLength: 1, maxLength: 255 }),
  title_translations: TranslationsOf(255),
  content: t.String({ minLength: 1, maxLength: 2048 }),
  content_translations: TranslationsOf(2048),
  locations: TargetList('locations'),
  nodes: TargetList('nodes'),
  backup_configurations: TargetList('backup configurations'),
  eggs: TargetList('eggs'),
}

export const CreateAnnouncement = t.Object(fields)
export const UpdateAnnouncement = t.Partial(t.Object(fields))

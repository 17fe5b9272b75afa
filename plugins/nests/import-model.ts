import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { nestEggs } from './tables'
import { AdminNestEgg, ConfigScript, ConfigStartup, ConfigStop, OrderedMap, Replacement } from './model'
import { CONFIG_PARSERS } from './format'

const Parser = t.String({ description: `One of ${CONFIG_PARSERS.map((p) => `\`${p}\``).join(', ')}` })

const E = createSelectSchema(nestEggs).properties

/** The exported egg document (spec 02 §7.6). */
export const ExportedEgg = t.Object({
  uuid: E.uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  author: t.String(),
  config: t.Object({
    files: t.Record(t.String(), t.Object({ create_new: t.Boolean(), parser: Parser, replace: t.Array(Replacement) })),
    startup: ConfigStartup,
    stop: ConfigStop,
  }),
  scripts: t.Object({ installation: ConfigScript }),
  startup_commands: OrderedMap('Startup commands by name'),
  force_outgoing_ip: t.Boolean(),
  separate_port: t.Boolean(),
  features: t.Array(t.String()),
  docker_images: OrderedMap('Docker images by display name'),
  file_denylist: t.Array(t.String()),
  variables: t.Array(
    t.Object({
      name: t.String(),
      name_translations: t.Record(t.String(), t.String()),
      description: t.Nullable(t.String()),
      description_translations: t.Record(t.String(), t.String()),
      order: t.Integer(),
      env_variable: t.String(),
      default_value: t.Nullable(t.String()),
      user_viewable: t.Boolean(),
      user_editable: t.Boolean(),
      secret: t.Boolean(),
      rules: t.Array(t.String()),
    }),
  ),
})

/** Hatchery's report of what an import left out (an extension: the reference drops silently). */
export const ImportReport = {
  dropped_rules: t.Array(t.Object({ env_variable: t.String(), rule: t.String(), reason: t.String() }), {
    description: 'Rules the panel does not know, taken off their variable (the variable is kept)',
  }),
  skipped_variables: t.Array(t.Object({ env_variable: t.String(), reason: t.String() }), {
    description: 'Variables left out: they break a limit of the variable routes or repeat an `env_variable`',
  }),
}

export const ImportAnswer = t.Object({ egg: AdminNestEgg, ...ImportReport })
export const UpdateImportAnswer = t.Object({ ...ImportReport })
const HttpUrl = t.String({
  pattern: '^[hH][tT][tT][pP][sS]?://',
  maxLength: 2048,
  error: 'must be a http or https url',
  description: 'An http or https URL',
})
export const ImportUrls = t.Object({ urls: t.Array(HttpUrl, { minItems: 1, maxItems: 25 }) })
export const ImportUrl = t.Object({ url: HttpUrl })
export const ImportUrlsAnswer = t.Object({
  eggs: t.Array(AdminNestEgg),
  failures: t.Array(t.Object({ url: t.String(), error: t.String() })),
  dropped_rules: t.Array(t.Object({ url: t.String(), env_variable: t.String(), rule: t.String(), reason: t.String() }), {
    description: 'Rules the panel does not know, taken off their variable, per URL',
  }),
  skipped_variables: t.Array(t.Object({ url: t.String(), env_variable: t.String(), reason: t.String() }), {
    description: 'Variables left out, per URL',
  }),
})

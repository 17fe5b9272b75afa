import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { model as mountModel } from '../mounts'
import { nestEggs, nestEggVariables, nests } from './tables'

const N = createSelectSchema(nests).properties
const E = createSelectSchema(nestEggs).properties
const V = createSelectSchema(nestEggVariables).properties

/** `Nest` (spec 02 §2.8). */
export const Nest = t.Object({
  uuid: N.uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  author: t.String(),
  created: N.created,
})

const Author = t.String({ minLength: 2, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))

export const CreateNest = t.Object({
  author: Author,
  name: t.String({ minLength: 1, maxLength: 255 }),
  description: t.Optional(Description),
})
export const UpdateNest = t.Partial(CreateNest)
export const DeleteNest = t.Object({
  delete_eggs: t.Optional(
    t.Boolean({ default: false, description: 'Delete the eggs with the nest (in one transaction); else a nest with eggs is a 409' }),
  ),
})

export const Parser = t.Union([
  t.Literal('file'),
  t.Literal('yaml'),
  t.Literal('properties'),
  t.Literal('ini'),
  t.Literal('json'),
  t.Literal('xml'),
  t.Literal('toml'),
])
export const Replacement = t.Object({
  match: t.String(),
  insert_new: t.Boolean(),
  update_existing: t.Boolean(),
  if_value: t.Nullable(t.String()),
  replace_with: t.Unknown(),
})
export const ConfigFile = t.Object({ file: t.String(), create_new: t.Boolean(), parser: Parser, replace: t.Array(Replacement) })
export const ConfigStartup = t.Object({ done: t.Array(t.String()), strip_ansi: t.Boolean() })
export const ConfigStop = t.Object({ type: t.String(), value: t.Nullable(t.String()) })
export const ConfigScript = t.Object({ container: t.String(), entrypoint: t.String(), content: t.String() })
export const OrderedMap = (what: string) =>
  t.Record(t.String(), t.String(), {
    description: `${what}; keys keep the order they were given in (the first is the default), except keys that are whole numbers such as \`17\`, which JSON decoding puts first`,
  })

/** `AdminNestEgg` (spec 02 §2.9); `egg_repository_egg` is the repository egg with its repository (the egg-repositories plugin), or null. */
export const AdminNestEgg = t.Object({
  uuid: E.uuid,
  egg_repository_egg: t.Nullable(t.Record(t.String(), t.Unknown(), { description: 'The repository egg this egg comes from' })),
  name: t.String(),
  description: t.Nullable(t.String()),
  author: t.String(),
  config_files: t.Array(ConfigFile),
  config_startup: ConfigStartup,
  config_stop: ConfigStop,
  config_script: ConfigScript,
  startup_commands: OrderedMap('Startup commands by name'),
  force_outgoing_ip: t.Boolean(),
  separate_port: t.Boolean(),
  features: t.Array(t.String()),
  docker_images: OrderedMap('Docker images by display name'),
  file_denylist: t.Array(t.String()),
  created: E.created,
})

const ReplacementInput = t.Object({
  match: t.String(),
  insert_new: t.Optional(t.Boolean({ description: 'default false' })),
  update_existing: t.Optional(t.Boolean({ description: 'default true' })),
  if_value: t.Optional(t.Nullable(t.String())),
  replace_with: t.Unknown(),
})
const ConfigFileInput = t.Object({
  file: t.String(),
  create_new: t.Optional(t.Boolean({ description: 'default true' })),
  parser: Parser,
  replace: t.Array(ReplacementInput),
})

/** Egg fields as a create body takes them (PATCH: all optional). */
export const eggFields = {
  egg_repository_egg_uuid: t.Optional(t.Nullable(t.String({ format: 'uuid' }))),
  author: Author,
  name: t.String({ minLength: 3, maxLength: 255 }),
  description: t.Optional(Description),
  config_files: t.Array(ConfigFileInput),
  config_startup: t.Object({
    done: t.Optional(t.Union([t.String(), t.Array(t.String())], { description: 'A single string is taken as a one-item list' })),
    strip_ansi: t.Optional(t.Boolean()),
  }),
  config_stop: t.Object({ type: t.String(), value: t.Optional(t.Nullable(t.String())) }),
  config_script: t.Object(
    {
      container: t.String(),
      entrypoint: t.String(),
      content: t.Optional(t.Unknown()),
      script: t.Optional(t.Unknown({ description: 'Alias of `content`' })),
    },
    { description: '`content` (or its alias `script`) must be present; null or a non-string is `""`' },
  ),
  startup_commands: t.Record(t.String(), t.String(), {
    description: 'Name → command, ≥ 1 entry, commands unique; the order is kept',
  }),
  force_outgoing_ip: t.Boolean(),
  separate_port: t.Boolean(),
  features: t.Array(t.String()),
  docker_images: t.Record(t.String(), t.String(), { description: 'Display name → image, images unique; the order is kept' }),
  file_denylist: t.Array(t.String()),
}
export const CreateEgg = t.Object(eggFields)
export const UpdateEgg = t.Partial(CreateEgg)

export const DuplicateEgg = t.Object({ name: t.String({ minLength: 1, maxLength: 255 }), nest_uuid: t.String({ format: 'uuid' }) })
export const MoveEgg = t.Object({ destination_nest_uuid: t.String({ format: 'uuid' }) })
const EggUuids = t.Array(t.String({ format: 'uuid' }), { maxItems: 1024 })
export const MoveEggs = t.Object({ egg_uuids: EggUuids, destination_nest_uuid: t.String({ format: 'uuid' }) })
export const DeleteEggs = t.Object({ egg_uuids: EggUuids })

/** `NestEggVariable` (spec 02 §2.10): the output key of `secret` is `is_secret`. */
export const NestEggVariable = t.Object({
  uuid: V.uuid,
  name: t.String(),
  name_translations: t.Record(t.String(), t.String()),
  description: t.Nullable(t.String()),
  description_translations: t.Record(t.String(), t.String()),
  order: t.Integer(),
  env_variable: t.String(),
  default_value: t.Nullable(t.String()),
  user_viewable: t.Boolean(),
  user_editable: t.Boolean(),
  is_secret: t.Boolean(),
  rules: t.Array(t.String()),
  created: V.created,
})

const Translations = (max: number) =>
  t.Record(t.String(), t.String({ minLength: 1, maxLength: max }), {
    maxProperties: 512,
    description: `Language (2–15 characters) → text (1–${max}); at most 512`,
  })
export const CreateVariable = t.Object({
  name: t.String({ minLength: 3, maxLength: 255 }),
  name_translations: Translations(255),
  description: t.Optional(Description),
  description_translations: Translations(1024),
  order: t.Integer({ minimum: -32768, maximum: 32767 }),
  env_variable: t.String({ minLength: 1, maxLength: 255 }),
  default_value: t.Optional(t.Nullable(t.String({ maxLength: 1024 }))),
  user_viewable: t.Boolean(),
  user_editable: t.Boolean(),
  secret: t.Boolean(),
  rules: t.Array(t.String({ maxLength: 1024 }), {
    maxItems: 256,
    description: 'Laravel-style rules (spec 02 §7.4); an unknown or malformed one is a 400',
  }),
})
export const UpdateVariable = t.Partial(CreateVariable)
export const DuplicateVariable = t.Object({
  name: t.String({ minLength: 1, maxLength: 255 }),
  env_variable: t.String({ minLength: 1, maxLength: 255 }),
})
export const VariableOrder = t.Object({ variable_order: t.Array(t.String({ format: 'uuid' }), { maxItems: 1024 }) })

/** An egg's mount link: `{mount, created}`. */
export const EggMount = t.Object({ mount: mountModel.Mount, created: t.Date() })
export const AddEggMount = t.Object({ mount_uuid: t.String({ format: 'uuid' }) })
/** The mounts plugin's `nest-eggs` list item. */
export const MountNestEgg = t.Object({ nest: Nest, nest_egg: AdminNestEgg, created: t.Date() })

import type { nestEggs, nestEggVariables } from '../tables'
import type { ParsedEgg } from './parse'

type EggRow = typeof nestEggs.$inferSelect
type VariableRow = typeof nestEggVariables.$inferSelect

/**
 * The exported egg of spec 02 §7.6, keys in the reference's order, ordered maps as objects in
 * their stored order, variables by `order` then creation. `parseEgg` reads it back to an equal egg.
 * @example const doc = exportEgg(egg, variables); await Bun.write('egg.json', JSON.stringify(doc, null, 2))
 */
export function exportEgg(egg: EggRow, variables: VariableRow[]) {
  const sorted = [...variables].sort((a, b) => a.order - b.order || a.created.getTime() - b.created.getTime())
  return {
    uuid: egg.uuid,
    name: egg.name,
    description: egg.description,
    author: egg.author,
    config: {
      files: Object.fromEntries(egg.config_files.map((f) => [f.file, { create_new: f.create_new, parser: f.parser, replace: f.replace }])),
      startup: { done: egg.config_startup.done, strip_ansi: egg.config_startup.strip_ansi },
      stop: { type: egg.config_stop.type, value: egg.config_stop.value },
    },
    scripts: {
      installation: {
        container: egg.config_script.container,
        entrypoint: egg.config_script.entrypoint,
        content: egg.config_script.content,
      },
    },
    startup_commands: Object.fromEntries(egg.startup_commands),
    force_outgoing_ip: egg.force_outgoing_ip,
    separate_port: egg.separate_port,
    features: egg.features,
    docker_images: Object.fromEntries(egg.docker_images),
    file_denylist: egg.file_denylist,
    variables: sorted.map((v) => ({
      name: v.name,
      name_translations: v.name_translations,
      description: v.description,
      description_translations: v.description_translations,
      order: v.order,
      env_variable: v.env_variable,
      default_value: v.default_value,
      user_viewable: v.user_viewable,
      user_editable: v.user_editable,
      secret: v.secret,
      rules: v.rules,
    })),
  }
}

export type ExportedEggDocument = ReturnType<typeof exportEgg>

/**
 * The exported document of an egg that was read but not stored (an egg repository's file): the
 * variables keep the document's order among equal `order`s.
 * @example const doc = exportParsed(parseEgg(readEggDocument(text)), repositoryEggUuid)
 */
export function exportParsed(parsed: ParsedEgg, uuid: string) {
  const egg: EggRow = { ...parsed.egg, uuid, nest_uuid: uuid, egg_repository_egg_uuid: null, created: new Date(0) }
  return exportEgg(
    egg,
    parsed.variables.map((v, at) => ({ ...v, uuid: `${at}`, egg_uuid: uuid, created: new Date(at) })),
  )
}

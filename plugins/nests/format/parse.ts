import { BadRequest, Validation } from 'hatchery'
import { ruleProblem } from '../rules'
import type { nestEggs, nestEggVariables, OrderedPairs } from '../tables'
import { configFiles, configStartup, configStop } from './config'
import { splitRules } from './rules-split'
import { at, bool, child, field, invalidType, length, object, optString, string, stringList, stringMap } from './read'

/** An egg's stored fields, as a document describes them (`nest_uuid` and the repository link are the caller's). */
export type EggFields = Required<
  Pick<
    typeof nestEggs.$inferInsert,
    | 'author'
    | 'name'
    | 'description'
    | 'config_files'
    | 'config_startup'
    | 'config_stop'
    | 'config_script'
    | 'startup_commands'
    | 'force_outgoing_ip'
    | 'separate_port'
    | 'features'
    | 'docker_images'
    | 'file_denylist'
  >
>
/** A variable's stored fields, as a document describes them (`egg_uuid` is the caller's). */
export type VariableFields = Required<Omit<typeof nestEggVariables.$inferInsert, 'uuid' | 'egg_uuid' | 'created'>>

/** A rule the panel does not know, taken off a variable on import (the variable itself is kept). */
export interface DroppedRule {
  env_variable: string
  rule: string
  reason: string
}
/** A variable left out on import: it breaks a limit of the variable routes, or repeats an `env_variable`. */
export interface SkippedVariable {
  env_variable: string
  reason: string
}

export interface ParsedEgg {
  egg: EggFields
  variables: VariableFields[]
  dropped: DroppedRule[]
  skipped: SkippedVariable[]
}

function translations(v: unknown, path: string): Record<string, string> {
  if (v === undefined || v === null) return {}
  return Object.fromEntries(Object.entries(object(v, path)).map(([k, s]) => [k, string(s, child(path, k))]))
}

function order(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -32768 || n > 32767) {
    throw new Validation(at(path, 'must be an integer between -32768 and 32767'))
  }
  return n
}

function defaultValue(v: unknown, path: string): string | null {
  if (v === undefined || v === null || v === '') return null
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  throw invalidType(path, v, 'a string')
}

function translationProblems(problems: string[], path: string, map: Record<string, string>, max: number): void {
  const entries = Object.entries(map)
  if (entries.length > 512) problems.push(at(path, 'has more than 512 entries'))
  for (const [k, s] of entries) {
    length(problems, `${path} key ${JSON.stringify(k)}`, k, 2, 15)
    length(problems, child(path, k), s, 1, max)
  }
}

function variables(v: unknown, out: ParsedEgg): void {
  if (!Array.isArray(v)) throw invalidType('variables', v, 'a sequence')
  const seen = new Set<string>()
  v.forEach((raw, i) => {
    const p = `variables[${i}]`
    const o = object(raw, p)
    const env_variable = string(field(o, 'env_variable', p), child(p, 'env_variable'))
    const description = optString(o.description, child(p, 'description'))
    const rawRules = o.rules
    const rules =
      rawRules === undefined || rawRules === null
        ? []
        : typeof rawRules === 'string'
          ? splitRules(rawRules)
          : Array.isArray(rawRules)
            ? rawRules.map((r, j) => string(r, `${child(p, 'rules')}[${j}]`)).filter((r) => r !== '')
            : (() => {
                throw invalidType(child(p, 'rules'), rawRules, 'a string or a sequence of strings')
              })()
    const variable: VariableFields = {
      name: string(field(o, 'name', p), child(p, 'name')),
      name_translations: translations(o.name_translations, child(p, 'name_translations')),
      description: description === '' ? null : description,
      description_translations: translations(o.description_translations, child(p, 'description_translations')),
      order: order(o.order ?? o.sort, child(p, o.order === undefined ? 'sort' : 'order')) || i + 1,
      env_variable,
      default_value: defaultValue(o.default_value, child(p, 'default_value')),
      user_viewable: bool(field(o, 'user_viewable', p), child(p, 'user_viewable')),
      user_editable: bool(field(o, 'user_editable', p), child(p, 'user_editable')),
      secret: bool(o.secret, child(p, 'secret'), false),
      rules: [],
    }
    const problems: string[] = []
    length(problems, 'name', variable.name, 3, 255)
    length(problems, 'description', variable.description, 1, 1024)
    length(problems, 'env_variable', env_variable, 1, 255)
    length(problems, 'default_value', variable.default_value, 0, 1024)
    translationProblems(problems, 'name_translations', variable.name_translations, 255)
    translationProblems(problems, 'description_translations', variable.description_translations, 1024)
    if (seen.has(env_variable)) problems.push('env_variable: repeats an earlier variable')
    if (problems.length) {
      out.skipped.push({ env_variable, reason: problems.join('; ') })
      return
    }
    seen.add(env_variable)
    for (const rule of rules) {
      const problem = ruleProblem(rule)
      if (problem) out.dropped.push({ env_variable, rule, reason: problem })
      else variable.rules.push(rule)
    }
    out.variables.push(variable)
  })
}

/**
 * The tolerant importer of spec 02 §7.4: Pterodactyl PTDL_v1 (its `images` list becomes
 * `docker_images` named by the image itself, in order) and PTDL_v2, Pelican PLCN_v1/v2/v3
 * (`startup_commands` maps, object `config.files`, `sort`) and Calagopus exports. Unknown keys
 * are ignored. A variable rule the panel does not know is taken off its variable and listed in
 * `dropped`; a variable breaking the variable routes' limits (name 3..255 characters, …) or
 * repeating an `env_variable` is left out and listed in `skipped`. A variable without an order
 * (or order 0) gets its 1-based position. A document the importer cannot read, or an egg breaking
 * the egg limits, is a 400 naming the field (``missing field `name` ``).
 * @example const { egg, variables, dropped } = parseEgg(readEggDocument(text))
 */
export function parseEgg(doc: unknown): ParsedEgg {
  const o = object(doc, '')
  const config = object(field(o, 'config', ''), 'config')
  const installation = object(field(object(field(o, 'scripts', ''), 'scripts'), 'installation', 'scripts'), 'scripts.installation')
  const script = installation.script !== undefined ? installation.script : installation.content
  const startupRaw = o.startup_commands !== undefined ? o.startup_commands : o.startup
  if (startupRaw === undefined) throw new BadRequest('missing field `startup_commands`')
  const startupPath = o.startup_commands !== undefined ? 'startup_commands' : 'startup'
  const startup_commands: OrderedPairs = typeof startupRaw === 'string' ? [['Default', startupRaw]] : stringMap(startupRaw, startupPath)
  let docker_images: OrderedPairs
  if (o.docker_images !== undefined) docker_images = stringMap(o.docker_images, 'docker_images')
  else if (Array.isArray(o.images)) {
    // PTDL_v1: a list; each image is named by itself (what Pterodactyl's own v1 → v2 upgrade does).
    const images = o.images.map((s, i) => string(s, `images[${i}]`))
    docker_images = [...new Set(images)].map((s) => [s, s])
  } else throw new BadRequest('missing field `docker_images`')
  const description = optString(o.description, 'description')

  const egg: EggFields = {
    author: string(field(o, 'author', ''), 'author'),
    name: string(field(o, 'name', ''), 'name'),
    description: description === '' ? null : description,
    config_files: configFiles(config.files, 'config.files'),
    config_startup: configStartup(config.startup, 'config.startup'),
    config_stop: configStop(config.stop, 'config.stop'),
    config_script: {
      container: string(field(installation, 'container', 'scripts.installation'), 'scripts.installation.container'),
      entrypoint: string(field(installation, 'entrypoint', 'scripts.installation'), 'scripts.installation.entrypoint'),
      content: script === undefined || script === null ? '' : string(script, 'scripts.installation.script'),
    },
    startup_commands,
    force_outgoing_ip: bool(o.force_outgoing_ip, 'force_outgoing_ip', false),
    separate_port: bool(o.separate_port, 'separate_port', false),
    features: stringList(o.features),
    docker_images,
    file_denylist: stringList(o.file_denylist),
  }
  const problems = eggProblems(egg)
  if (problems.length) throw new Validation(problems)
  const out: ParsedEgg = { egg, variables: [], dropped: [], skipped: [] }
  variables(field(o, 'variables', ''), out)
  return out
}

/** The egg limits of the create and import routes (spec 02 §7.2), as `field: message` lines. */
export function eggProblems(egg: EggFields): string[] {
  const problems: string[] = []
  length(problems, 'name', egg.name, 1, 255)
  length(problems, 'author', egg.author, 2, 255)
  length(problems, 'description', egg.description, 1, 1024)
  if (egg.startup_commands.length === 0) problems.push('startup_commands: at least one startup command is required')
  const commands = new Set<string>()
  for (const [, command] of egg.startup_commands) {
    if (commands.has(command)) problems.push(`startup_commands: duplicate startup command: ${command}`)
    commands.add(command)
  }
  const images = new Set<string>()
  for (const [, image] of egg.docker_images) {
    if (images.has(image)) problems.push(`docker_images: duplicate docker image: ${image}`)
    images.add(image)
  }
  return problems
}

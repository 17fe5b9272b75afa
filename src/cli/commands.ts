import { parseArgs } from 'node:util'
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { migrate, migrationStatus } from '../db/migrate'
import type { Kernel } from '../kernel/app'
import type { CliArgs, CliCommand, CliIO } from '../kernel/plugin'
import { HttpError, NotFound, Validation } from '../kernel/errors'
import { coerce, validationMessages } from '../kernel/validation'
import pkg from '../../package.json'

/** A command of `panel` itself (it sees the whole kernel, not one plugin's context). */
interface BuiltinCommand {
  description: string
  options?: CliCommand['options']
  positionals?: CliCommand['positionals']
  run(kernel: Kernel, args: CliArgs, io: CliIO): Promise<number | void>
}

/** `unknown job nope (known: a, b)`: the valid names beside the wrong one. */
const unknownName = (what: string, name: string, known: string[]) =>
  new NotFound(`unknown ${what} ${name} (known: ${known.length ? [...known].sort().join(', ') : 'none'})`)

export const builtinCommands: Record<string, BuiltinCommand> = {
  migrate: {
    description: 'Apply pending migrations of the kernel and every plugin',
    options: { status: { type: 'boolean', description: 'List migrations and whether each is applied' } },
    async run(kernel, { options }, io) {
      if (options.status) {
        const rows = await migrationStatus(kernel.database, kernel.migrationSources)
        const state = (r: (typeof rows)[number]) => (r.deleted ? 'deleted' : r.applied ? 'applied' : 'pending')
        io.result(
          rows,
          rows.map((r) => `${state(r)}  ${r.owner}/${r.name}${r.deleted ? '  (applied, but its file is gone)' : ''}`).join('\n'),
        )
        return
      }
      const applied = [...kernel.migrated, ...(await migrate(kernel.database, kernel.migrationSources))]
      io.result({ applied }, applied.length ? `applied ${applied.length} migration(s):\n${applied.join('\n')}` : 'database is up to date')
    },
  },
  'settings get': {
    description: 'Print a setting (dotted key), or the whole document without a key',
    positionals: [{ name: 'KEY' }],
    async run(kernel, { positionals }, io) {
      const snap = await kernel.settings.reload()
      const key = positionals[0]
      if (!key) return io.result(snap.document({ censor: true }))
      if (!snap.has(key)) throw unknownName('setting', key, kernel.settings.keys())
      const def = kernel.settings.definition(key)!
      const value = snap.document({ censor: true })
      io.result(
        key.split('.').reduce<any>((node, k) => node?.[k], value),
        def.secrets ? undefined : JSON.stringify(snap.value(key)),
      )
    },
  },
  'settings set': {
    description: 'Set a setting to a JSON value',
    positionals: [
      { name: 'KEY', required: true },
      { name: 'JSON', required: true },
    ],
    async run(kernel, { positionals }, io) {
      const [key, raw] = positionals
      if (!kernel.settings.definition(key)) throw unknownName('setting', key, kernel.settings.keys())
      let value: unknown
      try {
        value = JSON.parse(raw)
      } catch {
        throw new HttpError(400, `value is not JSON: ${raw} (quote strings: '"text"')`)
      }
      await kernel.settings.update({ [key]: value })
      io.result({ key, updated: true }, `${key} updated`)
    },
  },
  version: {
    description: 'Print the panel version',
    async run(_kernel, _args, io) {
      io.result({ version: pkg.version, bun: Bun.version }, `hatchery ${pkg.version} (bun ${Bun.version})`)
    },
  },
  'plugins list': {
    description: 'List installed plugins in load order',
    async run(kernel, _args, io) {
      const rows = kernel.plugins.map((p) => ({
        name: p.descriptor.name,
        version: p.descriptor.version,
        external: p.external,
        depends_on: p.descriptor.dependsOn ?? [],
      }))
      io.result(rows, rows.map((r) => `${r.name} ${r.version}${r.external ? ' (external)' : ''}`).join('\n'))
    },
  },
  'jobs list': {
    description: 'List background jobs',
    async run(kernel, _args, io) {
      const names = kernel.jobs.names()
      io.result(names, names.join('\n'))
    },
  },
  'jobs run': {
    description: 'Run a background job now',
    positionals: [{ name: 'NAME', required: true }],
    async run(kernel, { positionals }, io) {
      if (!kernel.jobs.names().includes(positionals[0])) throw unknownName('job', positionals[0], kernel.jobs.names())
      await kernel.jobs.runNow(positionals[0])
      io.result({ job: positionals[0], ran: true }, `${positionals[0]} done`)
    },
  },
}

export interface ResolvedCommand extends BuiltinCommand {
  name: string
}

/** Every command: built-ins plus each plugin's `cli` (a name used twice stops the CLI). */
export function allCommands(kernel: Pick<Kernel, 'plugins' | 'contexts'>): Map<string, ResolvedCommand> {
  const map = new Map<string, ResolvedCommand>()
  for (const [name, c] of Object.entries(builtinCommands)) map.set(name, { name, ...c })
  for (const p of kernel.plugins) {
    for (const [name, c] of Object.entries(p.descriptor.cli ?? {})) {
      if (map.has(name)) throw new Error(`${p.file}: command "${name}" is already defined`)
      map.set(name, {
        name,
        description: c.description,
        options: c.options,
        positionals: c.positionals,
        run: (k, args, io) => c.run(k.contexts.get(p.descriptor.name)!, args, io),
      })
    }
  }
  return map
}

/** Splits argv into the longest known command name and its arguments. */
export function matchCommand(commands: Map<string, ResolvedCommand>, argv: string[]): { command: ResolvedCommand; rest: string[] } | null {
  const words: string[] = []
  for (const a of argv) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  for (let n = words.length; n > 0; n--) {
    const command = commands.get(words.slice(0, n).join(' '))
    if (command) return { command, rest: argv.slice(n) }
  }
  return null
}

/**
 * Checks values against their declared schemas like a request body: every failing rule listed as
 * `field: message`; returns the values converted by the schemas (`'5'` → 5 for an integer).
 */
function checkValues(declared: [string, TSchema | undefined][], values: Record<string, unknown>): Record<string, unknown> {
  const typed = declared.filter(([name, schema]) => schema && values[name] !== undefined) as [string, TSchema][]
  if (typed.length === 0) return values
  const schema = Type.Object(Object.fromEntries(typed))
  const given = Object.fromEntries(typed.map(([name]) => [name, values[name]]))
  const converted = coerce(schema, given) as Record<string, unknown>
  if (!Value.Check(schema, converted)) throw new Validation(validationMessages(schema, given))
  return { ...values, ...converted }
}

/**
 * Parses a command's arguments: unknown options, missing required options or positionals and
 * extra positionals are usage errors (exit 2); values failing their schemas are a `Validation`.
 */
export function parseCommandArgs(command: ResolvedCommand, rest: string[]): CliArgs {
  const options = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
  )
  const parsed = parseArgs({ args: rest, options: { ...options, json: { type: 'boolean' } }, allowPositionals: true, strict: true })
  const values = parsed.values as Record<string, string | boolean | undefined>
  for (const [k, o] of Object.entries(command.options ?? {})) {
    if (o.required && values[k] === undefined) throw new HttpError(400, `missing --${k}`)
  }
  const declared = command.positionals
  if (declared) {
    const missing = declared.find((p, i) => p.required && parsed.positionals[i] === undefined)
    if (missing || parsed.positionals.length > declared.length) throw new HttpError(400, `usage: panel ${command.name} ${usage(command)}`)
  }
  const checked = checkValues(
    Object.entries(command.options ?? {}).map(([k, o]) => [k, o.schema]),
    values,
  ) as CliArgs['options']
  // Positionals are checked but stay text: `run` reads them by position.
  checkValues(
    (declared ?? []).map((p) => [p.name, p.schema]),
    Object.fromEntries((declared ?? []).map((p, i) => [p.name, parsed.positionals[i]])),
  )
  return { options: checked, positionals: parsed.positionals }
}

/** `--username X [--admin] KEY [JSON]`: options then positionals, optional ones in brackets. */
function usage(c: Pick<ResolvedCommand, 'options' | 'positionals'>): string {
  const opts = Object.entries(c.options ?? {}).map(([k, o]) =>
    o.required ? `--${k}${o.type === 'string' ? ' X' : ''}` : `[--${k}${o.type === 'string' ? ' X' : ''}]`,
  )
  const pos = (c.positionals ?? []).map((p) => (p.required ? p.name : `[${p.name}]`))
  return [...opts, ...pos].join(' ')
}

export function helpText(commands: Map<string, ResolvedCommand>): string {
  const lines = ['usage: panel <command> [options] [--json]', '', 'commands:']
  for (const c of [...commands.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`  ${[c.name, usage(c)].filter(Boolean).join(' ').padEnd(60)} ${c.description}`)
  }
  return lines.join('\n')
}

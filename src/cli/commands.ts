import { parseArgs } from 'node:util'
import { migrate, migrationStatus } from '../db/migrate'
import type { Kernel } from '../kernel/app'
import type { CliCommand, CliIO } from '../kernel/plugin'
import { HttpError } from '../kernel/errors'
import pkg from '../../package.json'

/** A command of `panel` itself (it sees the whole kernel, not one plugin's context). */
interface BuiltinCommand {
  description: string
  usage?: string
  options?: CliCommand['options']
  run(kernel: Kernel, args: { options: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIO): Promise<number | void>
}

export const builtinCommands: Record<string, BuiltinCommand> = {
  migrate: {
    description: 'Apply pending migrations of the kernel and every plugin',
    options: { status: { type: 'boolean', description: 'List migrations and whether each is applied' } },
    async run(kernel, { options }, io) {
      if (options.status) {
        const rows = await migrationStatus(kernel.database, kernel.migrationSources)
        io.result(rows, rows.map((r) => `${r.applied ? 'applied' : 'pending'}  ${r.owner}/${r.name}`).join('\n'))
        return
      }
      const applied = [...kernel.migrated, ...(await migrate(kernel.database, kernel.migrationSources))]
      io.result({ applied }, applied.length ? `applied ${applied.length} migration(s):\n${applied.join('\n')}` : 'database is up to date')
    },
  },
  'settings get': {
    description: 'Print a setting (dotted key), or the whole document without a key',
    usage: '[KEY]',
    async run(kernel, { positionals }, io) {
      const snap = await kernel.settings.reload()
      const key = positionals[0]
      if (!key) return io.result(snap.document({ censor: true }))
      if (!snap.has(key)) throw new HttpError(404, `unknown setting ${key}`)
      const def = kernel.settings.definition(key)!
      const value = snap.document({ censor: true })
      io.result(key.split('.').reduce<any>((node, k) => node?.[k], value), def.secrets ? undefined : JSON.stringify(snap.get(key)))
    },
  },
  'settings set': {
    description: 'Set a setting to a JSON value',
    usage: 'KEY JSON',
    async run(kernel, { positionals }, io) {
      const [key, raw] = positionals
      if (!key || raw === undefined) throw new HttpError(400, 'usage: panel settings set KEY JSON')
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
      const rows = kernel.plugins.map((p) => ({ name: p.descriptor.name, version: p.descriptor.version, external: p.external, depends_on: p.descriptor.dependsOn ?? [] }))
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
    usage: 'NAME',
    async run(kernel, { positionals }, io) {
      if (!positionals[0]) throw new HttpError(400, 'usage: panel jobs run NAME')
      await kernel.jobs.runNow(positionals[0])
      io.result({ job: positionals[0], ran: true }, `${positionals[0]} done`)
    },
  },
}

export interface ResolvedCommand {
  name: string
  description: string
  options: CliCommand['options']
  run(kernel: Kernel, args: { options: Record<string, string | boolean | undefined>; positionals: string[] }, io: CliIO): Promise<number | void>
}

/** Every command: built-ins plus each plugin's `cli` (a name used twice stops the CLI). */
export function allCommands(kernel: Pick<Kernel, 'plugins' | 'contexts'>): Map<string, ResolvedCommand> {
  const map = new Map<string, ResolvedCommand>()
  for (const [name, c] of Object.entries(builtinCommands)) map.set(name, { name, description: c.description, options: c.options, run: c.run })
  for (const p of kernel.plugins) {
    for (const [name, c] of Object.entries(p.descriptor.cli ?? {})) {
      if (map.has(name)) throw new Error(`${p.file}: command "${name}" is already defined`)
      map.set(name, {
        name,
        description: c.description,
        options: c.options,
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

/** Parses a command's options; unknown options and missing required ones are errors. */
export function parseCommandArgs(command: ResolvedCommand, rest: string[]) {
  const options = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([k, o]) => [k, { type: o.type, ...(o.short ? { short: o.short } : {}) }]),
  )
  const parsed = parseArgs({ args: rest, options: { ...options, json: { type: 'boolean' } }, allowPositionals: true, strict: true })
  for (const [k, o] of Object.entries(command.options ?? {})) {
    if (o.required && (parsed.values as Record<string, unknown>)[k] === undefined) throw new HttpError(400, `missing --${k}`)
  }
  return { options: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals }
}

export function helpText(commands: Map<string, ResolvedCommand>): string {
  const lines = ['usage: panel <command> [options] [--json]', '', 'commands:']
  for (const c of [...commands.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const opts = Object.entries(c.options ?? {}).map(([k, o]) => (o.required ? `--${k}${o.type === 'string' ? ' X' : ''}` : `[--${k}${o.type === 'string' ? ' X' : ''}]`))
    lines.push(`  ${[c.name, ...opts].join(' ').padEnd(60)} ${c.description}`)
  }
  return lines.join('\n')
}

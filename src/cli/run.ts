import type { Kernel } from '../kernel/app'
import type { CliIO } from '../kernel/plugin'
import { HttpError, fromDatabaseError, fromPgError } from '../kernel/errors'
import { createLogger } from '../kernel/logger'
import { allCommands, helpText, matchCommand, parseCommandArgs } from './commands'

export interface Output {
  stdout: string[]
  stderr: string[]
}

/** An io that collects output (for the control socket) or writes it through. */
export function makeIO(json: boolean, level: Kernel['log']['level'], out: Output | null): CliIO {
  const write = (stream: 'stdout' | 'stderr', text: string) => {
    if (out) out[stream].push(text)
    else process[stream].write(text + '\n')
  }
  return {
    json,
    log: createLogger({ level, write: (line) => write('stderr', line) }),
    result(value, text) {
      write('stdout', json || text === undefined ? JSON.stringify(value, null, json ? 0 : 2) : text)
    },
  }
}

/**
 * Runs one `panel` command line against a kernel; returns the exit code. Errors become one
 * line on stderr (exit 1; 2 for usage errors).
 */
export async function runCommand(kernel: Kernel, argv: string[], out: Output | null = null): Promise<number> {
  const json = argv.includes('--json')
  const io = makeIO(json, kernel.log.level, out)
  const err = (text: string) => (out ? out.stderr.push(text) : process.stderr.write(text + '\n'))
  const commands = allCommands(kernel)
  const args = argv.filter((a) => a !== '--json')
  if (args.length === 0 || args[0] === 'help' || args[0] === '--help' || args[0] === '-h') {
    io.result({ commands: [...commands.keys()] }, helpText(commands))
    return args.length === 0 ? 2 : 0
  }
  const match = matchCommand(commands, args)
  if (!match) {
    // Only command-like words: the rest may be values (passwords) that must not be echoed.
    const words = args.slice(0, 2).filter((a) => /^[a-z][a-z0-9-]*$/.test(a))
    err(`panel: unknown command "${words.join(' ')}" (see panel help)`)
    return 2
  }
  try {
    const parsed = parseCommandArgs(match.command, match.rest)
    const code = await match.command.run(kernel, parsed, io)
    return typeof code === 'number' ? code : 0
  } catch (caught) {
    // Database errors read as over HTTP: a taken name is its declared 409 message, a lost database 'database unavailable'.
    const e = caught instanceof HttpError ? caught : (fromDatabaseError(caught) ?? fromPgError(caught) ?? caught)
    if (e instanceof HttpError) {
      for (const m of e.messages) err(`panel ${match.command.name}: ${m}`)
      return e.status === 400 && /^missing --|^usage:/.test(e.messages[0]) ? 2 : 1
    }
    if ((e as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      err(`panel ${match.command.name}: ${(e as Error).message}`)
      return 2
    }
    err(`panel ${match.command.name}: ${(e as Error).message}`)
    return 1
  }
}

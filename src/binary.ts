import { basename } from 'node:path'
import { serve } from './main'
import { panel } from './cli/main'

const USAGE = `usage: hatchery                 serve the panel (configured by the environment, see README)
       hatchery panel <command>  run a panel command (also: a link to this file named panel)`

/**
 * The compiled binary's entry (called by the entry `scripts/build.ts` generates, after the
 * embedded files are registered): without arguments it serves; `hatchery panel …`, or the
 * binary invoked through a link named `panel`, is the whole CLI.
 */
export function runBinary(argv = process.argv.slice(2), invokedAs = basename(process.argv0)): Promise<unknown> {
  if (invokedAs === 'panel') return panel(argv)
  if (argv[0] === 'panel') return panel(argv.slice(1))
  if (argv.length === 0 || argv[0] === 'serve') return serve()
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE + '\n')
    process.exit(0)
  }
  process.stderr.write(`hatchery: unknown argument "${argv[0]}"\n${USAGE}\n`)
  process.exit(2)
}

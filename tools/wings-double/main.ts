/**
 * `npm run wings-double -- --panel URL --token-id ID --token TOKEN [--port P] [--hostname H]
 *   [--install-delay MS] [--fail FAULT]...` — runs the Wings double until SIGTERM/SIGINT.
 * Prints one line, `wings-double listening on <url>`, once it accepts connections.
 */
import { parseArgs } from 'node:util'
import { parseFault, startWingsDouble, type Fault } from './index'

const USAGE = `usage: wings-double --panel URL --token-id ID --token TOKEN [--port 8080] [--hostname 127.0.0.1]
  [--install-delay MS] [--callback-delay MS] [--node-uuid UUID] [--clock-offset MS] [--verbose]
  [--fail down|install-fails|backup-fails|backup-deletion-fails|restore-fails|slow=MS|html|truncated|status=CODE[@ROUTE]]...`

function fail(message: string): never {
  console.error(`wings-double: ${message}\n${USAGE}`)
  process.exit(2)
}

function integer(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!/^-?\d+$/.test(value) || number < min) fail(`--${name} must be a whole number ≥ ${min}`)
  return number
}

let args
try {
  args = parseArgs({
    options: {
      panel: { type: 'string' },
      'token-id': { type: 'string' },
      token: { type: 'string' },
      port: { type: 'string' },
      hostname: { type: 'string' },
      'install-delay': { type: 'string' },
      'callback-delay': { type: 'string' },
      'node-uuid': { type: 'string' },
      'clock-offset': { type: 'string' },
      fail: { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values
} catch (error) {
  fail((error as Error).message)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
if (!args.panel || !args['token-id'] || !args.token) fail('--panel, --token-id and --token are required')

let faults: Fault[]
try {
  faults = (args.fail ?? []).map(parseFault)
} catch (error) {
  fail((error as Error).message)
}

// Installed before the URL is printed: a supervisor may signal as soon as it reads the line.
let stopping = false
let wings: Awaited<ReturnType<typeof startWingsDouble>> | undefined
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) return
    stopping = true
    await wings?.stop()
    process.exit(0)
  })
}

const double = await startWingsDouble({
  panelUrl: args.panel,
  tokenId: args['token-id'],
  token: args.token,
  port: integer('port', args.port, 8080),
  hostname: args.hostname ?? '127.0.0.1',
  installDelayMs: integer('install-delay', args['install-delay'], 100),
  callbackDelayMs: integer('callback-delay', args['callback-delay'], 20),
  clockOffsetMs: integer('clock-offset', args['clock-offset'], 0, -Infinity),
  ...(args['node-uuid'] ? { nodeUuid: args['node-uuid'] } : {}),
})
wings = double
for (const fault of faults) double.fail(fault)
console.log(`wings-double listening on ${double.url}`)

if (args.verbose) {
  let seen = 0
  setInterval(() => {
    for (const request of double.requests.slice(seen))
      console.error(`${request.method} ${request.path}${request.query} → ${request.status}`)
    seen = double.requests.length
    for (const problem of double.problems.splice(0)) console.error(`problem: ${problem}`)
  }, 200).unref()
}

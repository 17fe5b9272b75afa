import { loadConfig, ConfigError } from './config'
import { createApp } from './kernel/app'
import { PluginError } from './kernel/loader'
import { MigrationError } from './db/migrate'
import { DataDirBusy } from './db/lock'
import { startControlSocket } from './cli/control'
import { collectWhenQuiet, shedBootMemory } from './memory'

/** Errors that mean "fix your setup", printed as one line without a stack. */
function isSetupError(e: unknown): e is Error {
  return e instanceof ConfigError || e instanceof PluginError || e instanceof MigrationError || e instanceof DataDirBusy
}

async function main() {
  const config = loadConfig()
  const panel = await createApp(config)
  const { log } = panel.kernel
  await shedBootMemory()
  const quiet = collectWhenQuiet()
  const server = Bun.serve({
    port: config.port,
    hostname: config.bind,
    // The kernel enforces its own body limits (with an errors body); Bun's would answer empty.
    maxRequestBodySize: 1024 * 1024 * 1024,
    // Bun closes a connection idle this long, even with a request in flight: keep it past the
    // request timeout, so that a slow request gets its answer (or its 503) and never an empty reply.
    idleTimeout: config.requestTimeout + 15,
    fetch: (request, srv) => {
      quiet.request()
      return panel.fetch(request, srv)
    },
    error(error) {
      log.error('unhandled server error', { error })
      return new Response(JSON.stringify({ errors: ['internal server error'] }), {
        status: 500,
        headers: { 'content-type': 'application/json' },
      })
    },
  })
  const control = panel.kernel.database.kind === 'pglite' ? await startControlSocket(panel.kernel) : undefined
  panel.kernel.jobs.start()
  log.info('listening', {
    url: `http://${config.bind}:${server.port}`,
    database: panel.kernel.database.kind,
    plugins: panel.kernel.plugins.map((p) => p.descriptor.name),
  })

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    const force = setTimeout(() => {
      log.warn('in-flight requests did not finish in 25 s; closing them')
      server.stop(true)
    }, 25_000)
    await server.stop(false)
    clearTimeout(force)
    quiet.stop()
    control?.stop()
    await panel.close()
    log.info('stopped')
    await log.flush()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

/** Starts the server (`bun src/main.ts`, or the binary without arguments); boot failures exit 1 with one line. */
export function serve(): Promise<void> {
  return main().catch((e) => {
    if (isSetupError(e)) process.stderr.write(`hatchery: ${e.message}\n`)
    else process.stderr.write(`hatchery: failed to start: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  })
}

if (import.meta.main) void serve()

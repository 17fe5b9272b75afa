#!/usr/bin/env bun
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { loadConfig, ConfigError } from '../config'
import { createKernel } from '../kernel/app'
import { createLogger } from '../kernel/logger'
import { PluginError } from '../kernel/loader'
import { MigrationError } from '../db/migrate'
import { DataDirBusy, DataDirLock } from '../db/lock'
import { controlSocketPath, runRemote } from './control'
import { runCommand } from './run'

/**
 * `panel <command>`: runs against PostgreSQL directly; on the embedded database it runs locally
 * when no server is up, else asks the running server (which owns the database) to run it.
 */
async function main(argv: string[]): Promise<number> {
  const config = loadConfig()
  if (!config.databaseUrl) {
    const holder = DataDirLock.holder(join(config.dataDir, 'db.lock'))
    if (holder && holder !== process.pid) {
      if (!existsSync(controlSocketPath(config.dataDir))) {
        throw new DataDirBusy(holder, join(config.dataDir, 'db.lock'))
      }
      return runRemote(config.dataDir, argv)
    }
  }
  const log = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, stderrOnly: true })
  const migrateFirst = config.migrate && argv[0] !== 'migrate'
  const kernel = await createKernel({ ...config, migrate: migrateFirst }, { log })
  try {
    return await runCommand(kernel, argv)
  } finally {
    await kernel.close()
  }
}

/** Runs one command line and exits with its code (`bun src/cli/main.ts`, or `hatchery panel …`). */
export function panel(argv: string[]): Promise<never> {
  return main(argv)
    .then((code) => process.exit(code))
    .catch((e) => {
      const setup = e instanceof ConfigError || e instanceof PluginError || e instanceof MigrationError || e instanceof DataDirBusy
      process.stderr.write(`panel: ${setup ? e.message : ((e as Error).stack ?? String(e))}\n`)
      process.exit(1)
    })
}

if (import.meta.main) void panel(process.argv.slice(2))

import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, run } from './processes'

/**
 * A PostgreSQL cluster of the run's own: initdb into a temporary directory, listening on a free
 * port of 127.0.0.1 (never the machine's cluster on 5432), removed by `remove()`. As root it runs
 * as the `postgres` user, since initdb refuses root.
 */
export interface Cluster {
  port: number
  /** Superuser connection, trust authentication on 127.0.0.1. */
  adminUrl: string
  restart(): Promise<void>
  stop(): Promise<void>
  start(): Promise<void>
  remove(): Promise<void>
}

/** PG_BIN, else the newest /usr/lib/postgresql/<version>/bin, else `pg_config --bindir`. */
function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length) return join(root, versions[0], 'bin')
  const bindir = Bun.spawnSync(['pg_config', '--bindir']).stdout.toString().trim()
  if (bindir && existsSync(join(bindir, 'initdb'))) return bindir
  throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) found: install the server package or set PG_BIN')
}

export async function createCluster(): Promise<Cluster> {
  const bin = binDir()
  const root = process.getuid?.() === 0
  const asOwner = root ? ['runuser', '-u', 'postgres', '--'] : []
  const dir = mkdtempSync(join(tmpdir(), 'hatchery-pg-'))
  if (root) {
    const [uid, gid] = ['-u', '-g'].map((f) => Number(Bun.spawnSync(['id', f, 'postgres']).stdout.toString().trim()))
    if (!Number.isInteger(uid) || !Number.isInteger(gid))
      throw new Error('running as root, but there is no postgres user to own the cluster')
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const port = freePort()
  const env = { ...(process.env as Record<string, string>), LC_ALL: 'C' }
  const pgctl = async (...args: string[]) => {
    const { code, stderr, stdout } = await run([...asOwner, join(bin, 'pg_ctl'), '-D', data, '-w', '-t', '60', ...args], env)
    if (code !== 0) throw new Error(`pg_ctl ${args.at(-1)} exited ${code}: ${(stderr || stdout).trim().split('\n').pop()}`)
  }
  // Without -l the server would inherit pg_ctl's stdout, a pipe run() reads until it closes.
  const logTo = ['-l', join(dir, 'postgresql.log')]
  const start = () => pgctl(...logTo, '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir}`, 'start')
  let removed = false
  const remove = async () => {
    if (removed) return
    removed = true
    await run([...asOwner, join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], env).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const init = await run([...asOwner, join(bin, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], env)
    if (init.code !== 0) throw new Error(`initdb exited ${init.code}: ${init.stderr.trim().split('\n').pop()}`)
    await start()
  } catch (e) {
    await remove()
    throw e
  }
  return {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    // pg_ctl restart reuses the -o options of the last start (postmaster.opts), not its -l.
    restart: () => pgctl(...logTo, '-m', 'fast', 'restart'),
    stop: () => pgctl('-m', 'fast', 'stop'),
    start,
    remove,
  }
}

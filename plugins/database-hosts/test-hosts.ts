/**
 * Real database servers for tests (test files only): this machine's MariaDB (127.0.0.1:3306, root
 * without a password) and a PostgreSQL cluster made on a free port with password (scram-sha-256)
 * authentication, since the machine's own cluster trusts every password.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as { port: number }).port
  await new Promise((ok) => server.close(ok))
  return port
}

const run = (cmd: string[]) => {
  const r = Bun.spawnSync(cmd, { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`${cmd.slice(0, 4).join(' ')}: ${r.stderr.toString().trim() || r.stdout.toString().trim()}`)
}

const asPostgres = () => (process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [])

/** A running scratch cluster: superuser `postgres` with `password` on 127.0.0.1:`port`; `stop()` removes it. */
export interface ScratchPostgres {
  port: number
  password: string
  stop(): void
}

/**
 * Starts a PostgreSQL cluster with `initdb --auth=scram-sha-256` from the newest
 * `/usr/lib/postgresql/<v>/bin` (as the `postgres` user when running as root). Throws when it
 * cannot (no binaries): callers skip their real-host tests then.
 * @example const pg = await startScratchPostgres('secret'); afterAll(() => pg.stop())
 */
export async function startScratchPostgres(password: string): Promise<ScratchPostgres> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : []
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(`${b}/initdb`))
  if (!bin) throw new Error('no initdb under /usr/lib/postgresql/*/bin')
  const dir = mkdtempSync(join(tmpdir(), 'hatchery-pg-'))
  const prefix = asPostgres()
  if (prefix.length)
    chownSync(
      dir,
      Number(Bun.spawnSync(['id', '-u', 'postgres']).stdout.toString()),
      Number(Bun.spawnSync(['id', '-g', 'postgres']).stdout.toString()),
    )
  writeFileSync(join(dir, 'pw'), password)
  if (prefix.length) run(['chown', 'postgres', join(dir, 'pw')])
  const port = await freePort()
  const stop = () => {
    Bun.spawnSync([...prefix, `${bin}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop'])
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    run([
      ...prefix,
      `${bin}/initdb`,
      '-D',
      join(dir, 'data'),
      '--auth=scram-sha-256',
      '-U',
      'postgres',
      `--pwfile=${join(dir, 'pw')}`,
      '--no-sync',
    ])
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`
    run([...prefix, `${bin}/pg_ctl`, '-D', join(dir, 'data'), '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
  } catch (error) {
    stop()
    throw error
  }
  return { port, password, stop }
}

/** The Wings double as a process of its own, for end-to-end tests (test files only). */
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { ROOT } from './server'

const BUN = join(ROOT, 'node_modules/.bin/bun')

export type WingsProcess = Subprocess<'ignore', 'pipe', 'pipe'>

/**
 * Starts `tools/wings-double/main.ts` with `args` (`--panel`, `--token-id`, `--token`, `--port`,
 * `--fail`, …) and waits for its `listening on` line (20 s at most).
 * @example const wings = await spawnWingsDouble(['--panel', url, '--token-id', id, '--token', secret, '--port', '8080'])
 */
export async function spawnWingsDouble(args: string[]): Promise<WingsProcess> {
  const child = Bun.spawn([BUN, 'tools/wings-double/main.ts', ...args], { cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const reader = child.stdout.getReader()
  let seen = ''
  const deadline = Date.now() + 20_000
  while (!seen.includes('listening on')) {
    if (Date.now() > deadline) throw new Error('the Wings double did not start')
    const { done, value } = await reader.read()
    if (done) throw new Error(`the Wings double exited: ${await new Response(child.stderr).text()}`)
    seen += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return child
}

/** Stops a double started by `spawnWingsDouble` (SIGTERM, then waits for it to exit). */
export async function stopWingsDouble(child: WingsProcess | undefined): Promise<void> {
  if (!child) return
  child.kill('SIGTERM')
  await child.exited
}

/** Polls `probe` every 100 ms until it answers something other than undefined; throws after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

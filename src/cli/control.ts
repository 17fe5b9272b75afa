import { chmodSync, existsSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Kernel } from '../kernel/app'
import { runCommand, type Output } from './run'

/** The control socket of a server running on the embedded database. */
export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock')
}

/**
 * While the server owns the embedded database (PGlite has a single writer), `panel` commands
 * are run by the server itself: the CLI sends its argv over this Unix socket (mode 0600, in
 * DATA_DIR) and prints what comes back.
 */
export async function startControlSocket(kernel: Kernel): Promise<{ stop(): void }> {
  const path = controlSocketPath(kernel.config.dataDir)
  if (existsSync(path)) unlinkSync(path)
  const server = Bun.serve({
    unix: path,
    async fetch(request) {
      if (request.method !== 'POST' || new URL(request.url).pathname !== '/run') return new Response('not found', { status: 404 })
      const { argv } = (await request.json()) as { argv: string[] }
      if (!Array.isArray(argv) || argv.some((a) => typeof a !== 'string')) return new Response('bad request', { status: 400 })
      const out: Output = { stdout: [], stderr: [] }
      const code = await runCommand(kernel, argv, out)
      return Response.json({ code, ...out })
    },
  })
  chmodSync(path, 0o600)
  return {
    stop() {
      server.stop(true)
      try {
        unlinkSync(path)
      } catch {}
    },
  }
}

/** Sends a command line to the running server; returns its exit code. */
export async function runRemote(dataDir: string, argv: string[]): Promise<number> {
  const response = await fetch('http://localhost/run', {
    unix: controlSocketPath(dataDir),
    method: 'POST',
    body: JSON.stringify({ argv }),
    headers: { 'content-type': 'application/json' },
  } as RequestInit)
  const result = (await response.json()) as { code: number; stdout: string[]; stderr: string[] }
  for (const line of result.stderr) process.stderr.write(line + '\n')
  for (const line of result.stdout) process.stdout.write(line + '\n')
  return result.code
}

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import { TEST_KEY } from 'hatchery/testing'

export const ROOT = resolve(import.meta.dir, '../..')
const BUN = join(ROOT, 'node_modules/.bin/bun')

/** A free TCP port (the OS picks one; we release it at once). */
export function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

export interface RunningServer {
  url: string
  env: Record<string, string>
  process: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Lines the server printed on stdout so far (JSON logs). */
  lines: string[]
  stop(signal?: NodeJS.Signals): Promise<number>
  cleanup(): void
}

/** Environment for a panel process on a fresh temp DATA_DIR (embedded database unless given). */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'hatchery-srv-')),
    APP_ENCRYPTION_KEY: TEST_KEY,
    PORT: String(freePort()),
    BIND: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  }
}

/** Starts `src/main.ts` and waits for its `listening` line. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const child = Bun.spawn([BUN, 'src/main.ts'], { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const lines: string[] = []
  const reader = child.stdout.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let resolveReady!: () => void
  let rejectReady!: (e: Error) => void
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)))
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let nl: number
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (line.includes('"msg":"listening"')) resolveReady()
      }
    }
    rejectReady(new Error(`server exited before listening: ${await new Response(child.stderr).text()}`))
  })()
  const timer = setTimeout(() => rejectReady(new Error('server did not start in 60 s')), 60_000)
  try {
    await ready
  } finally {
    clearTimeout(timer)
  }
  return {
    url: `http://127.0.0.1:${env.PORT}`,
    env,
    process: child,
    lines,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal)
      return child.exited
    },
    cleanup() {
      child.kill('SIGKILL')
      rmSync(env.DATA_DIR, { recursive: true, force: true })
    },
  }
}

/** Runs the panel CLI with an environment; returns exit code and output. */
export async function runPanel(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([BUN, 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

/**
 * `panel <args> --json` against a running panel's database; its parsed output, or an error naming the command.
 * @example const node = await panelJson(panel, ['nodes', 'create', '--name', 'n1', ...])
 */
export async function panelJson(panel: RunningServer, args: string[]): Promise<any> {
  const res = await runPanel(panel.env, [...args, '--json'])
  if (res.code !== 0) throw new Error(`panel ${args.join(' ')}: ${res.code} ${res.stderr}`)
  return JSON.parse(res.stdout)
}

/**
 * A JSON request to a running panel with a session cookie: the status, the parsed body and how long it took.
 * @example const res = await panelRequest(panel, cookie, 'GET', '/api/client/servers')
 */
export async function panelRequest(
  panel: RunningServer,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now()
  const res = await fetch(`${panel.url}${path}`, {
    method,
    headers: { cookie, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json(), ms: Date.now() - started }
}

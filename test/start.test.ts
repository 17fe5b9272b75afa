// `npm start` under a supervisor: the signal goes to npm's process, not to the whole group. npm
// runs the script through `sh -c`, which must `exec` bun so that the server is npm's child and
// gets the signal npm forwards (without it, sh dies and the server keeps running, orphaned).
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from './helpers/server'
import { TEST_KEY } from '../src/testing/app'

const ROOT = resolve(import.meta.dir, '..')

/** Pids of every process below `pid` (its children, theirs, …), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // The parent pid is the 2nd field after the parenthesised command name.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {}
  }
  const below = (p: number): number[] => (parents.get(p) ?? []).flatMap((c) => [c, ...below(c)])
  return below(pid)
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/api/settings`, { signal: AbortSignal.timeout(1000) })
    return true
  } catch {
    return false
  }
}

describe('npm start under a supervisor', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} sent to npm alone stops the server: the port closes and no bun process remains`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'hatchery-start-'))
      const port = freePort()
      const npm = Bun.spawn(['npm', 'start'], {
        cwd: ROOT,
        // A process group of its own, as a supervisor's child: the signal reaches npm only.
        detached: true,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          PORT: String(port),
          BIND: '127.0.0.1',
          DATA_DIR: dataDir,
          APP_ENCRYPTION_KEY: TEST_KEY,
          LOG_LEVEL: 'info',
        },
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
      })
      let below: number[] = []
      try {
        let text = ''
        // Read to the end (a closed pipe would make the server's log writes fail), noting the listening line.
        const listening = new Promise<boolean>((ready) => {
          void (async () => {
            const decoder = new TextDecoder()
            for await (const chunk of npm.stdout) {
              text += decoder.decode(chunk, { stream: true })
              if (text.includes('"msg":"listening"')) ready(true)
            }
            ready(false)
          })()
        })
        const timeout = Bun.sleep(90_000).then(() => false)
        if (!(await Promise.race([listening, timeout])))
          throw new Error(`npm start did not listen: ${text}${await new Response(npm.stderr).text()}`)
        below = descendants(npm.pid)
        expect(below.length).toBeGreaterThan(0)
        expect(await portOpen(port)).toBe(true)

        process.kill(npm.pid, signal)
        const stopped = Date.now() + 10_000
        while ((below.some(alive) || (await portOpen(port))) && Date.now() < stopped) await Bun.sleep(100)
        expect(below.filter(alive)).toEqual([])
        expect(await portOpen(port)).toBe(false)
        expect(await npm.exited).toBeDefined()
      } finally {
        for (const pid of below) if (alive(pid)) process.kill(pid, 'SIGKILL')
        if (alive(npm.pid)) npm.kill('SIGKILL')
        rmSync(dataDir, { recursive: true, force: true })
      }
    }, 120_000)
  }
})

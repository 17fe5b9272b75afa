import type { Subprocess } from 'bun'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dir, '..')

/** Every child still running, so an interrupted run can kill them all. */
const live = new Set<Subprocess>()

process.on('exit', () => {
  for (const proc of live) proc.kill('SIGKILL')
})

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A port the OS says is free right now (another process could still take it before we bind). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

/** The last lines of a child's log file, for error messages. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export async function stop(proc: Subprocess, graceMs = 5000): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM')
    const exited = await Promise.race([proc.exited.then(() => true), sleep(graceMs).then(() => false)])
    if (!exited) {
      proc.kill('SIGKILL')
      await proc.exited
    }
  }
  live.delete(proc)
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((proc) => stop(proc)))
}

export interface Server {
  name: string
  pid: number
  url: string
  /** null while running, else how it ended (`exit code 1`, `signal SIGSEGV`). */
  exit(): string | null
  stop(): Promise<void>
}

/**
 * Starts a server and resolves once it answers HTTP (any status). Readiness is probed rather than
 * read from the "listening" log line so it also works with LOG_LEVEL=warn and for bare.ts.
 * stdout goes to /dev/null: draining a pipe of request logs here cost this process a fifth of a
 * core and, with the pipe full, stalled the panel at half its throughput. The formatting of the
 * log lines is still measured. stderr (warnings, errors, boot failures) goes to `logFile`.
 */
export async function startServer(
  name: string,
  cmd: string[],
  env: Record<string, string>,
  port: number,
  logFile: string,
  timeoutMs = 60_000,
): Promise<Server> {
  const url = `http://127.0.0.1:${port}`
  const fd = openSync(logFile, 'w')
  const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdin: 'ignore', stdout: 'ignore', stderr: fd })
  closeSync(fd)
  live.add(proc)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      live.delete(proc)
      throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) before listening:\n${tail(logFile)}`)
    }
    try {
      await fetch(url + '/', { signal: AbortSignal.timeout(1000) })
      const exit = () =>
        proc.signalCode !== null ? `signal ${proc.signalCode}` : proc.exitCode !== null ? `exit code ${proc.exitCode}` : null
      return { name, pid: proc.pid, url, exit, stop: () => stop(proc) }
    } catch {
      await sleep(100)
    }
  }
  await stop(proc)
  throw new Error(`${name} did not answer on ${url} within ${timeoutMs / 1000} s:\n${tail(logFile)}`)
}

/**
 * Runs a command to completion, collecting its output and the CPU seconds it used; killed with the
 * rest on Ctrl-C.
 */
export async function run(
  cmd: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; cpuSeconds: number }> {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  live.add(proc)
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    const cpu = proc.resourceUsage()?.cpuTime
    return { code, stdout, stderr, cpuSeconds: cpu ? Number(cpu.total) / 1e6 : 0 }
  } finally {
    live.delete(proc)
  }
}

/** VmRSS of a process in MiB (Linux /proc), or null where /proc is unavailable. */
export function rssMiB(pid: number): number | null {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Number(kb) / 1024 : null
  } catch {
    return null
  }
}

/**
 * User + system CPU seconds a process has used (Linux /proc). Sampled around a measurement it
 * tells whether the server or the load generator was the bottleneck.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of proc(5), in USER_HZ ticks (100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** CPU seconds the whole machine has been busy (all cores; Linux /proc/stat). */
export function machineBusySeconds(): number | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
    // idle and iowait are the 4th and 5th values; guest time is already counted in user.
    const [user, nice, system, , , irq, softirq, steal] = ticks
    return (user + nice + system + irq + softirq + steal) / 100
  } catch {
    return null
  }
}

import type { BenchOptions } from './options'
import { cpuSeconds, machineBusySeconds, rssMiB, sleep, type Server } from './processes'
import type { LoadResult, Measurement, RssResult } from './report'
import { wrk } from './wrk'

type Headers = Record<string, string>

/** One wrk run in a process of its own: 2 threads, `connections` connections. */
export function load(url: string, seconds: number, connections: number, headers: Headers = {}, script?: string): Promise<LoadResult> {
  return wrk({ url, seconds, connections, headers, script })
}

/**
 * Warms up, then measures. CPU figures are in cores: the server's over the measured seconds (it
 * idles while the load generator starts), everything else's (the generator's start-up included)
 * over the whole window.
 */
export async function measure(server: Server, path: string, headers: Headers, o: BenchOptions, script?: string): Promise<Measurement> {
  await load(server.url + path, o.warmup, o.connections, headers, script)
  const sample = () => ({ server: cpuSeconds(server.pid), machine: machineBusySeconds(), wall: performance.now() / 1000 })
  const before = sample()
  const result = await load(server.url + path, o.duration, o.connections, headers, script)
  const after = sample()
  if (before.server === null || after.server === null || before.machine === null || after.machine === null)
    return { ...result, serverCpu: null, otherCpu: null }
  const serverSeconds = after.server - before.server
  const other = after.machine - before.machine - serverSeconds - result.cpuSeconds
  return { ...result, serverCpu: serverSeconds / result.seconds, otherCpu: Math.max(0, other) / (after.wall - before.wall) }
}

/** VmRSS after a warm-up burst and `idle` quiet seconds: what a panel costs while nobody uses it. */
export async function idleRss(server: Server, path: string, o: BenchOptions, label: string, target?: number): Promise<RssResult> {
  await load(server.url + path, o.warmup, o.connections)
  await sleep(o.idle * 1000)
  return { label, mib: rssMiB(server.pid), target }
}

/** Median wall time in ms of `runs` sequential calls of `fn`, after `warmup` unmeasured ones (in-process figures). */
export async function p50(fn: () => Promise<unknown>, runs = 50, warmup = 0): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]
}

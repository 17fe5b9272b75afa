import { heapSize } from 'bun:jsc'

const MiB = 1024 * 1024

/**
 * Drops what only boot needed: JavaScriptCore keeps the bytecode of every function that ran (the
 * route factories, migrations, settings checks...) until memory pressure, which an idle panel never
 * has. `Bun.shrink()` deletes all compiled code and collects; what requests need is compiled again on
 * first use, as it would have been anyway (nothing was warm yet). About 7 MiB of idle RSS on
 * PostgreSQL (bench/README.md, *Idle RSS*). The collection first: code is not deleted while one runs.
 * JavaScriptCore does the work once the current task's JS returns: the promise resolves after that.
 */
export async function shedBootMemory(): Promise<void> {
  Bun.gc(true)
  Bun.shrink()
  await new Promise((resolve) => setImmediate(resolve))
}

/**
 * Decides when to run a full collection: at a tick with no request since the previous tick (the
 * panel is quiet) once the JS heap has grown by `growth` bytes since the last one. Under load it
 * never collects (every tick saw requests); after a burst it collects once; a trickle of requests
 * costs one collection per `growth` bytes allocated, not one per request.
 * @example const quiet = new QuietCollector({ heapSize, collect: () => Bun.gc(true), growth: 4 * MiB })
 */
export class QuietCollector {
  private requests = 0
  private seen = 0
  private baseline: number

  constructor(private readonly o: { heapSize: () => number; collect: () => void; growth: number }) {
    this.baseline = o.heapSize()
  }

  /** Counts a request: called once per request, so it only increments. */
  request(): void {
    this.requests++
  }

  /** Collects if quiet and grown; returns whether it did. */
  tick(): boolean {
    const busy = this.requests !== this.seen
    this.seen = this.requests
    if (busy || this.o.heapSize() - this.baseline < this.o.growth) return false
    this.o.collect()
    this.baseline = this.o.heapSize()
    return true
  }
}

/**
 * Full collections when the panel goes quiet after work (a {@link QuietCollector} ticking every
 * second). JavaScriptCore collects by allocation, so an idle panel keeps the garbage of its last
 * burst of requests (~15 MiB of heap after 2 s of `GET /api/settings`, ~6 MiB of RSS) until the
 * next one. The timer does not keep the process alive.
 * @example const quiet = collectWhenQuiet(); Bun.serve({ fetch: (r, s) => (quiet.request(), panel.fetch(r, s)) })
 */
export function collectWhenQuiet(intervalMs = 1000, growth = 4 * MiB): { request(): void; stop(): void } {
  const collector = new QuietCollector({ heapSize, collect: () => Bun.gc(true), growth })
  const timer = setInterval(() => collector.tick(), intervalMs)
  timer.unref()
  return { request: () => collector.request(), stop: () => clearInterval(timer) }
}

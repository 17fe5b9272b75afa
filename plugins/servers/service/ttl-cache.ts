/**
 * Answers kept per key for `ttlMs`, in this process: Wings answers per node (spec 04 §1.4: the
 * configuration 120 s, the servers' utilization 15 s) and the client routes' lookups (spec 03
 * §1.9 announcements 60 s per server, §6.2 the servers a user reaches on a node 15 s). A failed
 * load is not kept.
 */
export class TtlCache<T> {
  private entries = new Map<string, { value: T; until: number }>()

  constructor(private readonly ttlMs: number) {}

  async get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key)
    if (hit && hit.until > performance.now()) return hit.value
    const value = await load()
    this.entries.set(key, { value, until: performance.now() + this.ttlMs })
    return value
  }

  drop(key: string): void {
    this.entries.delete(key)
  }

  /** Forgets every key starting with `prefix` (e.g. one user's entries keyed `<user> <node>`). */
  dropPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }
}

/**
 * Wings answers kept per node for `ttlMs` (spec 04 §1.4: the configuration 120 s, the servers'
 * utilization 15 s), in this process. A failed load is not kept.
 */
export class NodeCache<T> {
  private entries = new Map<string, { value: T; until: number }>()

  constructor(private readonly ttlMs: number) {}

  async get(node: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(node)
    if (hit && hit.until > performance.now()) return hit.value
    const value = await load()
    this.entries.set(node, { value, until: performance.now() + this.ttlMs })
    return value
  }

  drop(node: string): void {
    this.entries.delete(node)
  }
}

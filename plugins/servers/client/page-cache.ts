import type { Watch } from 'hatchery'

interface Entry<V> {
  version: number
  at: number
  weight: number
  value: Promise<V>
  /** Once the read has settled successfully: its value, for `peek`. */
  loaded?: { value: V }
}

export interface VersionedCacheOptions<V> {
  /** Most weight kept (least recently used entries go first). */
  maxWeight: number
  /** A last resort: an entry older than this is read again whatever the watch says. */
  maxAgeMs: number
  /** An entry's weight once loaded (default 1). */
  weigh?: (value: V) => number
}

/**
 * Answers read from the tables `changes` watches, kept per key while those tables are unchanged:
 * the watch's version is taken before the answer is read, and an entry is served only while
 * `changes.version()` still returns it (never while it is `null`). A hit is the same object
 * instance each time (not to be mutated); a read in flight is shared by the requests that ask
 * for it meanwhile; a failed read is not kept.
 * @example
 * const pages = new VersionedCache(watch(ctx.db, ['servers']), { maxWeight: 1000, maxAgeMs: 60_000 })
 * const page = await pages.get(`${user} ${page}`, () => listServers(ctx.db, user, page))
 */
export class VersionedCache<V> {
  private readonly entries = new Map<string, Entry<V>>()
  private weight = 0

  constructor(
    private readonly changes: Watch,
    private readonly options: VersionedCacheOptions<V>,
  ) {}

  /**
   * The value `get` would answer without reading, when it is loaded and current; `undefined`
   * otherwise (nothing is read or started). For the kernel's ready lane.
   */
  peek(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (!hit?.loaded || !this.current(hit, this.changes.version(), performance.now())) return undefined
    // Most recently used now.
    this.entries.delete(key)
    this.entries.set(key, hit)
    return hit.loaded.value
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const version = this.changes.version()
    if (version === null) return load()
    const now = performance.now()
    const hit = this.entries.get(key)
    if (hit) {
      this.remove(key, hit)
      if (this.current(hit, version, now)) {
        this.entries.set(key, hit)
        this.weight += hit.weight
        return hit.value
      }
    }
    const entry: Entry<V> = { version, at: now, weight: 1, value: load() }
    this.entries.set(key, entry)
    this.weight += entry.weight
    entry.value.then(
      (value) => {
        entry.loaded = { value }
        if (this.entries.get(key) !== entry) return
        const weight = this.options.weigh?.(value) ?? 1
        this.weight += weight - entry.weight
        entry.weight = weight
        this.evict()
      },
      () => {
        if (this.entries.get(key) === entry) this.remove(key, entry)
      },
    )
    this.evict()
    return entry.value
  }

  /** Entries kept (tests). */
  get size(): number {
    return this.entries.size
  }

  /** Whether an entry may be served: read at the watch's current version (never while it is null), and not too old. */
  private current(entry: Entry<V>, version: number | null, now: number): boolean {
    return version !== null && entry.version === version && now - entry.at < this.options.maxAgeMs
  }

  private remove(key: string, entry: Entry<V>): void {
    this.entries.delete(key)
    this.weight -= entry.weight
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.weight <= this.options.maxWeight) return
      this.remove(key, entry)
    }
  }
}

import { queryScope } from '../../db/scope'
import { isDatabaseUnavailable } from '../../db/errors'
import { sql } from 'drizzle-orm'
import { Value } from '@sinclair/typebox/value'
import { t, type TSchema } from 'elysia'
import { rowsOf, type Database, type Db, type Tx } from '../../db/client'
import type { Secrets } from '../secrets'
import { Validation } from '../errors'
import { validationMessages } from '../validation'
import type { SettingDef, SettingKey, SettingValue } from './types'

/** Stale reads are refreshed in the background after this long… */
const REFRESH_AFTER_MS = 1000
/** …and awaited after this long, so another process's write is seen within 2 s. */
const MAX_AGE_MS = 2000

/** A consistent view of every setting: stored values over defaults, secrets decrypted. */
export class SettingsSnapshot {
  /** Stored values over defaults, merged once: a read is one lookup. */
  private values = new Map<string, unknown>()

  constructor(
    private defs: Map<string, SettingDef>,
    private stored: Map<string, unknown>,
  ) {
    for (const [key, def] of defs) this.values.set(key, stored.has(key) ? stored.get(key) : def.default)
  }

  /** The value of a dotted key (`ratelimits.client`), typed by its definition; throws for an unknown key. */
  get<K extends SettingKey>(key: K): SettingValue<K>
  get(key: string): unknown {
    return this.value(key)
  }

  /** The value of a key known only at run time (a CLI argument, a document walk); throws for an unknown key. */
  value(key: string): unknown {
    const value = this.values.get(key)
    if (value === undefined && !this.values.has(key)) throw new Error(`unknown setting ${key}`)
    return value
  }

  has(key: string): boolean {
    return this.defs.has(key)
  }

  /** True when a value was stored (not the default). */
  isSet(key: string): boolean {
    return this.stored.has(key)
  }

  /** The nested document; with `censor`, secret fields read `null`. */
  document(opts: { censor?: boolean } = {}): Record<string, unknown> {
    const doc: Record<string, unknown> = {}
    for (const [key, def] of this.defs) {
      let value = this.value(key)
      if (opts.censor && def.secrets && value && typeof value === 'object') {
        value = { ...(value as object) }
        for (const f of def.secrets) if (f in (value as object)) (value as Record<string, unknown>)[f] = null
      }
      setPath(doc, key, value)
    }
    return doc
  }
}

function setPath(doc: Record<string, unknown>, key: string, value: unknown) {
  const parts = key.split('.')
  let node = doc
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>
  node[parts[parts.length - 1]] = value
}

/**
 * Typed settings with defaults: the core document plus every plugin's keys, addressed by dotted
 * keys everywhere. Cached per process; a write is visible at once here and within 2 s in every
 * other panel process. Secret fields are encrypted at rest.
 * @example const s = await settings.snapshot(); s.get('ratelimits.client').hits // number
 */
export class SettingsService {
  private defs = new Map<string, SettingDef>()
  private owners = new Map<string, string>()
  private current?: SettingsSnapshot
  private loadedAt = 0
  private loading?: Promise<SettingsSnapshot>

  constructor(
    private database: Database,
    private secrets: Secrets,
  ) {}

  /**
   * Adds keys (core or plugin); a key defined twice stops boot, naming the owner that defined it
   * first. `owner` labels the definer in later clashes (`users (plugins/users/index.ts)`); the
   * caller names the definer itself when it reports an error.
   */
  define(defs: Record<string, SettingDef>, owner: string): void {
    for (const [key, def] of Object.entries(defs)) {
      if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(key)) throw new Error(`setting key "${key}" is not a dotted snake_case key`)
      if (this.defs.has(key)) throw new Error(`setting "${key}" is already defined by ${this.owners.get(key)}`)
      for (const other of this.defs.keys()) {
        if (other.startsWith(key + '.') || key.startsWith(other + '.'))
          throw new Error(`setting "${key}" overlaps "${other}" of ${this.owners.get(other)}`)
      }
      if (!Value.Check(def.schema, def.default)) throw new Error(`default of setting "${key}" does not match its schema`)
      this.defs.set(key, def)
      this.owners.set(key, owner)
    }
    this.current = undefined
  }

  keys(): string[] {
    return [...this.defs.keys()]
  }

  definition(key: string): SettingDef | undefined {
    return this.defs.get(key)
  }

  /**
   * The cached snapshot, refreshed when older than 1 s (awaited past 2 s). One request sees one
   * snapshot: the first read in a request is kept for the rest of it. While the database cannot
   * be read the last snapshot is served (nothing can change settings meanwhile).
   */
  async snapshot(): Promise<SettingsSnapshot> {
    const scope = queryScope.getStore()
    if (scope?.settings) return scope.settings as SettingsSnapshot
    const snapshot = await this.fresh()
    if (scope) scope.settings = snapshot
    return snapshot
  }

  /**
   * The snapshot `snapshot()` would answer without waiting for the database (the request's own, or
   * the cached one while younger than 2 s; past 1 s it starts the reload, as `snapshot()` does),
   * else undefined. For per-request hot paths, which skip an await:
   * @example const settings = ctx.settings.cached() ?? (await ctx.settings.snapshot())
   */
  cached(): SettingsSnapshot | undefined {
    const scope = queryScope.getStore()
    if (scope?.settings) return scope.settings as SettingsSnapshot
    if (!this.current) return undefined
    const age = Date.now() - this.loadedAt
    if (age >= MAX_AGE_MS) return undefined
    if (age >= REFRESH_AFTER_MS) void this.reload().catch(() => {})
    if (scope) scope.settings = this.current
    return this.current
  }

  private async fresh(): Promise<SettingsSnapshot> {
    const age = Date.now() - this.loadedAt
    if (this.current && age < REFRESH_AFTER_MS) return this.current
    if (this.current && age < MAX_AGE_MS) {
      void this.reload().catch(() => {})
      return this.current
    }
    try {
      return await this.reload()
    } catch (e) {
      if (this.current && isDatabaseUnavailable(e)) return this.current
      throw e
    }
  }

  /** Shorthand for `(await snapshot()).get(key)`, typed by the key's definition. */
  async get<K extends SettingKey>(key: K): Promise<SettingValue<K>> {
    return (await this.snapshot()).get(key)
  }

  reload(): Promise<SettingsSnapshot> {
    this.loading ??= (async () => {
      try {
        const started = Date.now()
        this.current = await this.read(this.database.db)
        this.loadedAt = started
        // A request that changed settings reads its own change from here on.
        const scope = queryScope.getStore()
        if (scope?.settings) scope.settings = this.current
        return this.current
      } finally {
        this.loading = undefined
      }
    })()
    return this.loading
  }

  private async read(db: Db | Tx): Promise<SettingsSnapshot> {
    const rows = rowsOf<{ key: string; value: unknown }>(await db.execute(sql`select key, value from settings`))
    const stored = new Map<string, unknown>()
    for (const row of rows) {
      const def = this.defs.get(row.key)
      if (def) stored.set(row.key, this.open(def, row.value))
    }
    return new SettingsSnapshot(this.defs, stored)
  }

  private open(def: SettingDef, value: unknown): unknown {
    if (!def.secrets || !value || typeof value !== 'object') return value
    const out = { ...(value as Record<string, unknown>) }
    for (const f of def.secrets) {
      if (typeof out[f] === 'string') {
        try {
          out[f] = this.secrets.decrypt(out[f] as string)
        } catch {
          out[f] = null
        }
      }
    }
    return out
  }

  private seal(def: SettingDef, value: unknown, previous: unknown): unknown {
    if (!def.secrets || !value || typeof value !== 'object') return value
    const out = { ...(value as Record<string, unknown>) }
    const prev = previous && typeof previous === 'object' ? (previous as Record<string, unknown>) : {}
    const sameKind = prev.type === out.type
    for (const f of def.secrets) {
      if (!(f in out) && !(f in prev)) continue
      // Write-only: absent or null keeps the stored secret, '' clears it.
      if (out[f] === undefined || out[f] === null) out[f] = sameKind ? (prev[f] ?? null) : null
      else if (out[f] === '') out[f] = null
      if (typeof out[f] === 'string') out[f] = this.secrets.encrypt(out[f] as string)
    }
    return out
  }

  /** Validates one key's value: `field: message` lines, empty when valid. */
  validate(key: string, value: unknown): string[] {
    const def = this.defs.get(key)
    if (!def) return [`${key}: unknown setting`]
    if (Value.Check(def.schema, value)) return []
    return validationMessages(def.schema, value).map((m) => `${key}.${m}`.replace(/\.body: /, ': '))
  }

  /**
   * Applies a partial update (dotted keys → values) in one transaction; unknown or invalid keys
   * reject the whole update with every problem listed.
   */
  async update(
    changes: Record<string, unknown>,
    opts: {
      allowReadOnly?: boolean
      /** Runs in the same transaction after the writes, with the resulting settings (e.g. to log an audit event). */
      within?: (tx: Tx, after: SettingsSnapshot) => Promise<void>
    } = {},
  ): Promise<void> {
    const errors: string[] = []
    for (const [key, value] of Object.entries(changes)) {
      const def = this.defs.get(key)
      if (def?.readOnly && !opts.allowReadOnly) errors.push(`${key}: read-only`)
      else errors.push(...this.validate(key, value))
    }
    if (errors.length > 0) throw new Validation(errors)
    const before = await this.reload()
    await this.database.db.transaction(async (tx) => {
      for (const [key, value] of Object.entries(changes)) {
        const def = this.defs.get(key)!
        const prev = before.isSet(key) ? before.value(key) : undefined
        const sealed = this.seal(def, value, prev)
        await tx.execute(sql`insert into settings (key, value, updated) values (${key}, ${JSON.stringify(sealed)}::jsonb, now())
          on conflict (key) do update set value = excluded.value, updated = excluded.updated`)
      }
      if (opts.within) await opts.within(tx, await this.read(tx))
    })
    await this.reload()
  }

  /**
   * Read-modify-write of one key, serialized across panel processes by a transaction-scoped lock
   * on the key, so two changes made at once (two extensions toggled together) do not lose one
   * another. `change` gets the stored value (or the default) and returns the new one; it may throw
   * to refuse (nothing is written). `within` runs in the same transaction (audit).
   * @example await settings.modify('extensions.disabled', (list) => [...list, 'greeter'], { allowReadOnly: true })
   */
  async modify<K extends SettingKey>(
    key: K,
    change: (current: SettingValue<K>) => SettingValue<K>,
    opts: { allowReadOnly?: boolean; within?: (tx: Tx, after: SettingsSnapshot) => Promise<void> } = {},
  ): Promise<SettingValue<K>> {
    const def = this.defs.get(key)
    if (!def) throw new Validation(`${key}: unknown setting`)
    if (def.readOnly && !opts.allowReadOnly) throw new Validation(`${key}: read-only`)
    const next = await this.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'hatchery.settings.' + key}))`)
      const current = (await this.read(tx)).get(key)
      const value = change(current)
      const errors = this.validate(key, value)
      if (errors.length > 0) throw new Validation(errors)
      const sealed = this.seal(def, value, current)
      await tx.execute(sql`insert into settings (key, value, updated) values (${key}, ${JSON.stringify(sealed)}::jsonb, now())
        on conflict (key) do update set value = excluded.value, updated = excluded.updated`)
      if (opts.within) await opts.within(tx, await this.read(tx))
      return value
    })
    await this.reload()
    return next
  }

  /** Removes stored values so the defaults apply again. */
  async reset(keys: string[]): Promise<void> {
    for (const key of keys) if (!this.defs.has(key)) throw new Validation(`${key}: unknown setting`)
    await this.database.db.transaction(async (tx) => {
      for (const key of keys) await tx.execute(sql`delete from settings where key = ${key}`)
    })
    await this.reload()
  }

  /** Splits a nested document into dotted keys, stopping at defined keys. */
  flatten(doc: Record<string, unknown>, prefix = ''): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(doc)) {
      const key = prefix ? `${prefix}.${k}` : k
      if (this.defs.has(key)) out[key] = v
      else if (v && typeof v === 'object' && !Array.isArray(v) && [...this.defs.keys()].some((d) => d.startsWith(key + '.'))) {
        Object.assign(out, this.flatten(v as Record<string, unknown>, key))
      }
    }
    return out
  }

  /** TypeBox schema of the whole document, every key optional (the admin PUT body). */
  updateSchema(): TSchema {
    const tree: Record<string, any> = {}
    for (const [key, def] of this.defs) {
      if (def.readOnly) continue
      setPath(tree, key, def.schema)
    }
    const build = (node: Record<string, any>): TSchema =>
      t.Object(Object.fromEntries(Object.entries(node).map(([k, v]) => [k, t.Optional(isSchema(v) ? v : build(v))])))
    return build(tree)
  }
}

const isSchema = (v: any) =>
  v &&
  typeof v === 'object' &&
  (typeof v.type === 'string' || Array.isArray(v.anyOf) || v.const !== undefined || Object.getOwnPropertySymbols(v).length > 0)

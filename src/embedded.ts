import { relative, resolve } from 'node:path'

/**
 * What a compiled binary carries instead of a checkout: the bundled plugins' modules, the SQL of
 * every migration folder, and PGlite's runtime files. `scripts/build.ts` generates the entry that
 * imports them statically and calls `embed()` before anything boots; from source nothing is
 * embedded and the kernel reads `plugins/` and `migrations/` from the disk.
 */
export interface Embedded {
  /** Folders of `plugins/` (name order) with the module of their `index.ts`. */
  plugins: { folder: string; module: Record<string, unknown> }[]
  /** Migration folders, relative to the repository root (`migrations/users`), with their files. */
  migrations: Record<string, { name: string; text: string }[]>
  /** Paths (inside the binary) of PGlite's `pglite.wasm`, `initdb.wasm` and `pglite.data`. */
  pglite: { wasm: string; initdb: string; data: string }
}

/** This module's folder; drizzle-kit (`npm run db:generate`) loads it as CommonJS under Node, without `import.meta`. */
const HERE: string = import.meta.dir ?? import.meta.dirname ?? __dirname

/** True inside a `bun build --compile` executable (its modules live under `/$bunfs/`). */
export const COMPILED = HERE.startsWith('/$bunfs/') || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(HERE)

/**
 * The repository root (holds `plugins/`, `migrations/`, `node_modules/`). In a binary, the
 * virtual folder its modules live in: bundled paths keep their repository-relative shape there.
 */
export const ROOT = COMPILED ? HERE : resolve(HERE, '..')

let current: Embedded | undefined

/** Called once by the binary's generated entry, before the server or the CLI starts. */
export function embed(contents: Embedded): void {
  current = contents
}

/** The binary's contents; undefined when running from source. */
export function embedded(): Embedded | undefined {
  return current
}

/** The embedded files of a migration folder given by its path under ROOT, if it was embedded. */
export function embeddedMigrations(dir: string): { name: string; text: string }[] | undefined {
  if (!current) return undefined
  return current.migrations[relative(ROOT, resolve(dir))]
}

// `npm run db:generate` for a plugin outside the repository (plugins/README.md, *An external
// plugin*): drizzle-kit finds the panel's packages from a schema elsewhere, and an absolute
// `--out` receives the migration.
import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './helpers/server'

const dir = mkdtempSync(join(tmpdir(), 'hatchery-external-plugin-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('generates the migration of an external plugin into its own folder, from the README command', async () => {
  writeFileSync(
    join(dir, 'tables.ts'),
    `import { index, pgTable, uuid, varchar } from 'drizzle-orm/pg-core'
export const notes = pgTable(
  'external_notes',
  { uuid: uuid('uuid').primaryKey().defaultRandom(), title: varchar('title', { length: 64 }).notNull() },
  (t) => [index('external_notes_title_idx').on(t.title)],
)
`,
  )
  const out = join(dir, 'migrations')
  const child = Bun.spawn(
    ['npm', 'run', '--silent', 'db:generate', '--', '--schema', join(dir, 'tables.ts'), '--out', out, '--name', 'init'],
    {
      cwd: ROOT,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const sql = readFileSync(join(out, '0000_init.sql'), 'utf8')
  expect(sql).toContain('CREATE TABLE "external_notes"')
  expect(sql).toContain('"title" varchar(64) NOT NULL')
  expect(sql).toContain('CREATE INDEX "external_notes_title_idx"')
  expect(existsSync(join(out, 'meta', '_journal.json'))).toBe(true)
})

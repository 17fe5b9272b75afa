import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { t } from 'elysia'
import { sql } from 'drizzle-orm'
import { definePlugin, type PluginDescriptor } from '../src/kernel'
import { PluginError, type LoadedPlugin } from '../src/kernel/loader'
import { createLogger } from '../src/kernel/logger'
import { runCommand, type Output } from '../src/cli/run'
import { freshDatabase, inlinePlugin, SETUP_TIMEOUT, testApp, type TestDatabase } from 'hatchery/testing'

const HERE = import.meta.path
const root = mkdtempSync(join(tmpdir(), 'hatchery-boot-'))
let db: TestDatabase

beforeAll(async () => {
  db = await freshDatabase()
}, SETUP_TIMEOUT)
afterAll(async () => {
  await db?.drop()
  rmSync(root, { recursive: true, force: true })
})

/** An inline plugin owning a migrations folder whose one file creates `table`. */
function migrating(descriptor: PluginDescriptor<any>, table: string): LoadedPlugin {
  const dir = join(root, descriptor.name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, '0000_init.sql'), `create table ${table} (n int)`)
  return { ...inlinePlugin(descriptor), migrationsDir: dir }
}

async function bootError(plugins: LoadedPlugin[]): Promise<PluginError> {
  const error = await testApp({ db, plugins }).then(
    async (app) => {
      await app.close()
      return null
    },
    (e) => e,
  )
  expect(error).toBeInstanceOf(PluginError)
  return error
}

const tableExists = async (name: string) =>
  (await db.database.query<{ t: string | null }>(sql`select to_regclass(${name})::text as t`))[0].t !== null

describe('boot checks every declaration before migrating', () => {
  test('a setting defined by two plugins names both, and no migration ran', async () => {
    const a = migrating(
      definePlugin({ name: 'clash-a', version: '1.0.0', settings: { 'clash.key': { schema: t.Integer(), default: 1 } } }),
      'clash_a_rows',
    )
    const b = inlinePlugin(
      definePlugin({ name: 'clash-b', version: '1.0.0', settings: { 'clash.key': { schema: t.Integer(), default: 2 } } }),
    )
    const e = await bootError([a, b])
    expect(e.message).toBe('test:clash-b: setting "clash.key" is already defined by clash-a (test:clash-a)')
    expect(await tableExists('clash_a_rows')).toBe(false)
  })

  test('a job with a bad schedule stops boot before migrating', async () => {
    const p = migrating(
      definePlugin({ name: 'bad-job', version: '1.0.0', jobs: { tick: { schedule: 'every minute', run: async () => {} } } }),
      'bad_job_rows',
    )
    const e = await bootError([p])
    expect(e.message).toStartWith('test:bad-job: job bad-job:tick: invalid cron expression "every minute"')
    expect(await tableExists('bad_job_rows')).toBe(false)
  })

  test('a CLI command defined by two plugins names both', async () => {
    const cmd = { description: 'x', run: async () => {} }
    const a = migrating(definePlugin({ name: 'cli-a', version: '1.0.0', cli: { 'notes purge': cmd } }), 'cli_a_rows')
    const b = inlinePlugin(definePlugin({ name: 'cli-b', version: '1.0.0', cli: { 'notes purge': cmd } }))
    expect((await bootError([a, b])).message).toBe('test:cli-b: command "notes purge" is also defined by cli-a (test:cli-a)')
    expect(await tableExists('cli_a_rows')).toBe(false)
  })
})

describe('code that throws at boot is named by its real file and line', () => {
  test('a route factory', async () => {
    const p = definePlugin({
      name: 'bad-routes',
      version: '1.0.0',
      routes: {
        client: () => {
          throw new Error('no routes today')
        },
      },
    })
    const e = await bootError([inlinePlugin(p)])
    expect(e.message).toMatch(
      new RegExp(`^test:bad-routes: routes\\.client: no routes today \\(at ${HERE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+\\)$`),
    )
  })

  test('a setup', async () => {
    const p = definePlugin({
      name: 'bad-setup',
      version: '1.0.0',
      setup() {
        throw new TypeError('no setup today')
      },
    })
    const e = await bootError([inlinePlugin(p)])
    expect(e.message).toStartWith('test:bad-setup: setup: no setup today')
    expect(e.message).toContain(`(at ${HERE}:`)
  })
})

describe('an applied migration whose file is gone', () => {
  test('is a warning at boot naming owner/file, and "deleted" in panel migrate --status', async () => {
    const dir = join(root, 'fading')
    mkdirSync(dir)
    writeFileSync(join(dir, '0000_one.sql'), 'create table fading_one (n int)')
    writeFileSync(join(dir, '0001_two.sql'), 'create table fading_two (n int)')
    const fading = { ...inlinePlugin(definePlugin({ name: 'fading', version: '1.0.0' })), migrationsDir: dir }
    await (await testApp({ db, plugins: [fading] })).close()
    rmSync(join(dir, '0000_one.sql'))
    const lines: Record<string, any>[] = []
    const log = createLogger({ level: 'warn', write: (line) => void lines.push(JSON.parse(line)) })
    const app = await testApp({ db, plugins: [fading], log })
    try {
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'warn', msg: 'applied migrations whose files are gone', migrations: ['fading/0000_one.sql'] }),
      )
      const out: Output = { stdout: [], stderr: [] }
      expect(await runCommand(app.kernel, ['migrate', '--status'], out)).toBe(0)
      expect(out.stdout.join('\n')).toContain('deleted  fading/0000_one.sql  (applied, but its file is gone)')
      expect(out.stdout.join('\n')).toContain('applied  fading/0001_two.sql')
    } finally {
      await app.close()
    }
  })
})

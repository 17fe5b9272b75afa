import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { MigrationError, deletedMigrations, migrate, migrationStatus, readMigrations, type MigrationSource } from './migrate'

let tdb: TestDatabase
const root = mkdtempSync(join(tmpdir(), 'hatchery-migrate-'))
let serial = 0

beforeAll(async () => {
  tdb = await freshDatabase()
}, 120_000)

afterAll(async () => {
  await tdb?.drop()
  rmSync(root, { recursive: true, force: true })
})

/** A folder of .sql files under a fresh owner name (so tests never see each other's rows). */
function source(files: Record<string, string>, owner = `t${++serial}`): MigrationSource {
  const dir = join(root, `${owner}-${serial}`)
  mkdirSync(dir, { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return { owner, dir }
}

const query = <T = Record<string, unknown>>(text: string) => tdb.database.query<T>(sql.raw(text))

async function recorded(owner: string): Promise<string[]> {
  const rows = await tdb.database.query<{ name: string }>(sql`select name from hatchery_migrations where owner = ${owner} order by name`)
  return rows.map((r) => r.name)
}

async function tableExists(name: string): Promise<boolean> {
  const rows = await tdb.database.query<{ t: string | null }>(sql`select to_regclass(${name})::text as t`)
  return rows[0].t !== null
}

async function migrationError(fn: () => Promise<unknown>): Promise<MigrationError> {
  try {
    await fn()
  } catch (e) {
    expect(e).toBeInstanceOf(MigrationError)
    return e as MigrationError
  }
  throw new Error('expected a MigrationError')
}

describe('readMigrations', () => {
  test('reads .sql files in name order and ignores other files', () => {
    const src = source({ '0002_b.sql': 'select 2', '0001_a.sql': 'select 1', 'README.md': 'x', '0003_c.sql.bak': 'x' })
    expect(readMigrations(src).map((m) => m.name)).toEqual(['0001_a.sql', '0002_b.sql'])
  })

  test('splits on --> statement-breakpoint and drops comment-only chunks', () => {
    const src = source({
      '0001.sql':
        'create table a (x int);\n--> statement-breakpoint\n-- just a note\n--> statement-breakpoint\n  create table b (y int);  \n-->   statement-breakpoint  \n',
    })
    expect(readMigrations(src)[0].statements).toEqual(['create table a (x int);', 'create table b (y int);'])
  })

  test('the checksum ignores CRLF line endings and changes with the content', () => {
    const [lf] = readMigrations(source({ '0001.sql': 'select 1;\nselect 2;\n' }))
    const [crlf] = readMigrations(source({ '0001.sql': 'select 1;\r\nselect 2;\r\n' }))
    const [other] = readMigrations(source({ '0001.sql': 'select 1;\nselect 3;\n' }))
    expect(crlf.checksum).toBe(lf.checksum)
    expect(other.checksum).not.toBe(lf.checksum)
    expect(lf.checksum).toMatch(/^[0-9a-f]{64}$/)
  })

  test('a missing folder stops boot with one line naming it', () => {
    expect(() => readMigrations({ owner: 'x', dir: join(root, 'missing') })).toThrow(
      new MigrationError(`migrations folder of x not found: ${join(root, 'missing')}`),
    )
  })
})

describe('migrate', () => {
  test('applies pending migrations in file-name order, once', async () => {
    const src = source({
      // 0002 needs the table 0001 creates: it only works in name order.
      '0002_rows.sql': 'insert into m_order (n) values (1)',
      '0001_table.sql': 'create table m_order (n int not null)',
    })
    expect(await migrate(tdb.database, [src])).toEqual([`${src.owner}/0001_table.sql`, `${src.owner}/0002_rows.sql`])
    expect(await recorded(src.owner)).toEqual(['0001_table.sql', '0002_rows.sql'])
    expect(await query('select n from m_order')).toEqual([{ n: 1 }])
  })

  test('a second run is a no-op', async () => {
    const src = source({ '0001.sql': 'create table m_noop (n int);\n--> statement-breakpoint\ninsert into m_noop values (1);' })
    await migrate(tdb.database, [src])
    expect(await migrate(tdb.database, [src])).toEqual([])
    expect(await query('select count(*)::int as c from m_noop')).toEqual([{ c: 1 }])
  })

  test('a migration added later is applied on the next run, alone', async () => {
    const src = source({ '0001.sql': 'create table m_later (n int)' })
    await migrate(tdb.database, [src])
    writeFileSync(join(src.dir, '0002.sql'), 'insert into m_later values (2)')
    expect(await migrate(tdb.database, [src])).toEqual([`${src.owner}/0002.sql`])
    expect(await query('select n from m_later')).toEqual([{ n: 2 }])
  })

  test('the same file name under two owners applies twice, recorded per owner', async () => {
    await query('create table m_owners (owner text)')
    const a = source({ '0001_init.sql': `insert into m_owners values ('a')` })
    const b = source({ '0001_init.sql': `insert into m_owners values ('b')` })
    expect(await migrate(tdb.database, [a, b])).toEqual([`${a.owner}/0001_init.sql`, `${b.owner}/0001_init.sql`])
    expect(await recorded(a.owner)).toEqual(['0001_init.sql'])
    expect(await recorded(b.owner)).toEqual(['0001_init.sql'])
    expect((await query<{ owner: string }>('select owner from m_owners order by owner')).map((r) => r.owner)).toEqual(['a', 'b'])
  })

  test('every statement between breakpoints runs', async () => {
    const src = source({
      '0001.sql': [
        'create table m_split (n int);',
        'insert into m_split values (1);',
        '-- comment only',
        `create function m_split_f() returns int language sql as $$ select 1; $$;`,
        'insert into m_split values (m_split_f() + 1);',
      ].join('\n--> statement-breakpoint\n'),
    })
    await migrate(tdb.database, [src])
    expect((await query<{ n: number }>('select n from m_split order by n')).map((r) => r.n)).toEqual([1, 2])
  })

  test('a chunk holding several statements runs the same on PostgreSQL and PGlite', async () => {
    const src = source({ '0001.sql': 'create table m_multi (n int);\ninsert into m_multi values (1);\ninsert into m_multi values (2);' })
    await migrate(tdb.database, [src])
    expect(await query('select count(*)::int as c from m_multi')).toEqual([{ c: 2 }])
  })

  test('an applied migration that was edited stops the run, naming owner/file', async () => {
    const src = source({ '0001.sql': 'create table m_edit (n int)' })
    await migrate(tdb.database, [src])
    writeFileSync(join(src.dir, '0001.sql'), 'create table m_edit (n bigint)')
    const pending = source({ '0001.sql': 'create table m_edit_pending (n int)' })
    const e = await migrationError(() => migrate(tdb.database, [pending, src]))
    expect(e.message).toContain(`${src.owner}/0001.sql`)
    expect(e.message).toContain('edited')
    // The run applied nothing, not even the migration of another owner listed first.
    expect(await tableExists('m_edit_pending')).toBe(false)
    expect(await recorded(pending.owner)).toEqual([])
  })

  test('a failing migration names itself and leaves nothing half-applied', async () => {
    const src = source({
      '0001_ok.sql': 'create table m_fail_first (n int)',
      '0002_bad.sql': 'create table m_fail_second (n int);\n--> statement-breakpoint\ninsert into no_such_table values (1);',
    })
    const e = await migrationError(() => migrate(tdb.database, [src]))
    expect(e.message).toStartWith(`migration ${src.owner}/0002_bad.sql failed: `)
    expect(e.message).toContain('no_such_table')
    // Both the failing file's first statement and the earlier pending file were rolled back.
    expect(await tableExists('m_fail_second')).toBe(false)
    expect(await tableExists('m_fail_first')).toBe(false)
    expect(await recorded(src.owner)).toEqual([])
  })

  test('earlier runs stay applied when a later run fails', async () => {
    const src = source({ '0001.sql': 'create table m_keep (n int)' })
    await migrate(tdb.database, [src])
    writeFileSync(join(src.dir, '0002.sql'), 'select * from no_such_table')
    await migrationError(() => migrate(tdb.database, [src]))
    expect(await tableExists('m_keep')).toBe(true)
    expect(await recorded(src.owner)).toEqual(['0001.sql'])
  })

  test('after fixing the failing file, the run completes', async () => {
    const src = source({ '0001.sql': 'create table m_fix (n int)', '0002.sql': 'insert into m_fix values (oops)' })
    await migrationError(() => migrate(tdb.database, [src]))
    writeFileSync(join(src.dir, '0002.sql'), 'insert into m_fix values (1)')
    expect(await migrate(tdb.database, [src])).toEqual([`${src.owner}/0001.sql`, `${src.owner}/0002.sql`])
  })

  test('concurrent runs apply each migration once', async () => {
    const src = source({ '0001.sql': 'create table m_race (n int);\n--> statement-breakpoint\ninsert into m_race values (1);' })
    const results = await Promise.all([migrate(tdb.database, [src]), migrate(tdb.database, [src]), migrate(tdb.database, [src])])
    expect(results.flat()).toEqual([`${src.owner}/0001.sql`])
    expect(await query('select count(*)::int as c from m_race')).toEqual([{ c: 1 }])
  })
})

describe('migrationStatus', () => {
  test('lists every migration with whether it is applied', async () => {
    const src = source({ '0001.sql': 'create table m_status (n int)' })
    await migrate(tdb.database, [src])
    writeFileSync(join(src.dir, '0002.sql'), 'select 1')
    expect(await migrationStatus(tdb.database, [src])).toEqual([
      { owner: src.owner, name: '0001.sql', applied: true, deleted: false },
      { owner: src.owner, name: '0002.sql', applied: false, deleted: false },
    ])
  })

  test('an applied migration whose file was deleted is listed as deleted, for installed owners only', async () => {
    const src = source({ '0001.sql': 'select 1', '0002.sql': 'select 2' })
    const gone = source({ '0001.sql': 'select 1' })
    await migrate(tdb.database, [src, gone])
    rmSync(join(src.dir, '0001.sql'))
    expect(await deletedMigrations(tdb.database, [src])).toEqual([`${src.owner}/0001.sql`])
    expect(await migrationStatus(tdb.database, [src])).toEqual([
      { owner: src.owner, name: '0002.sql', applied: true, deleted: false },
      { owner: src.owner, name: '0001.sql', applied: true, deleted: true },
    ])
  })
})

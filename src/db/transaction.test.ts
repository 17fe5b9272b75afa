import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { pgError } from '../kernel/errors'
import { transaction } from './transaction'

let tdb: TestDatabase

beforeAll(async () => {
  tdb = await freshDatabase()
  await tdb.database.query(sql`create table retry_probe (id int primary key, n int not null default 0)`)
}, 120_000)

afterAll(() => tdb?.drop())

beforeEach(async () => {
  await tdb.database.query(sql`delete from retry_probe`)
  await tdb.database.query(sql`insert into retry_probe (id) values (1), (2)`)
})

const conflict = (code: string) => Object.assign(new Error(`forced ${code}`), { code })
const probe = async () =>
  (await tdb.database.query<{ id: number; n: number }>(sql`select id, n from retry_probe order by id`)).map((r) => r.n)

describe('transaction()', () => {
  test('re-runs the whole transaction after a deadlock (40P01); the failed attempt leaves nothing behind', async () => {
    let attempts = 0
    const result = await transaction(tdb.database.db, async (tx) => {
      attempts++
      await tx.execute(sql`update retry_probe set n = n + 1 where id = 1`)
      if (attempts === 1) throw conflict('40P01')
      return 'done'
    })
    expect(result).toBe('done')
    expect(attempts).toBe(2)
    expect(await probe()).toEqual([1, 0])
  })

  test('gives up after `retries` re-runs of a serialization failure (40001) and throws it', async () => {
    let attempts = 0
    const run = transaction(
      tdb.database.db,
      async () => {
        attempts++
        throw conflict('40001')
      },
      { retries: 2 },
    )
    await expect(run).rejects.toThrow('forced 40001')
    expect(attempts).toBe(3)
  })

  test('does not re-run on other errors', async () => {
    let attempts = 0
    const run = transaction(tdb.database.db, async () => {
      attempts++
      throw conflict('23505')
    })
    await expect(run).rejects.toThrow('forced 23505')
    expect(attempts).toBe(1)
  })

  test('inside a transaction it is a savepoint and leaves retrying to the outer call', async () => {
    let inner = 0
    let outer = 0
    await transaction(tdb.database.db, async (tx) => {
      outer++
      await transaction(tx, async (sp) => {
        inner++
        await sp.execute(sql`update retry_probe set n = n + 1 where id = 2`)
        if (outer === 1) throw conflict('40P01')
      })
    })
    expect({ outer, inner }).toEqual({ outer: 2, inner: 2 })
    expect(await probe()).toEqual([0, 1])
  })

  test.skipIf(!process.env.DATABASE_URL)(
    'two transactions locking two rows in opposite orders both finish (PostgreSQL)',
    async () => {
      const errors: string[] = []
      let bothHoldFirst: () => void
      const ready = new Promise<void>((resolve) => (bothHoldFirst = resolve))
      let holding = 0
      const crosswise = (first: number, second: number) =>
        transaction(tdb.database.db, async (tx) => {
          await tx.execute(sql`update retry_probe set n = n + 1 where id = ${first}`)
          if (++holding === 2) bothHoldFirst()
          await ready
          await tx.execute(sql`update retry_probe set n = n + 1 where id = ${second}`).catch((e) => {
            errors.push(pgError(e)?.code ?? 'other')
            throw e
          })
        })
      await Promise.all([crosswise(1, 2), crosswise(2, 1)])
      // One deadlock at least; under load a retry can meet the other transaction again. Both finish.
      expect(errors.length).toBeGreaterThanOrEqual(1)
      expect([...new Set(errors)]).toEqual(['40P01'])
      expect(await probe()).toEqual([2, 2])
    },
    20_000,
  )
})

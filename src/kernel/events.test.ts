import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { afterCommit, transaction } from '../db/transaction'
import { EventBus, bindEvents, emit } from './events'
import { createLogger } from './logger'

let tdb: TestDatabase
let bus: EventBus
const seen: unknown[] = []

beforeAll(async () => {
  tdb = await freshDatabase()
  await tdb.database.query(sql`create table event_probe (id int primary key)`)
  bus = new EventBus(createLogger({ level: 'error' }))
  bindEvents(tdb.database.db, bus)
  bus.on('probe.changed', (payload) => void seen.push(payload))
}, 120_000)

afterAll(() => tdb?.drop())

const take = () => seen.splice(0)
const rows = async () => (await tdb.database.query<{ id: number }>(sql`select id from event_probe order by id`)).map((r) => r.id)

describe('emit(): events reach their handlers after the commit', () => {
  test('inside transaction(): nothing before the commit, the payload once after it', async () => {
    let during: unknown[] = []
    await transaction(tdb.database.db, async (tx) => {
      await tx.execute(sql`insert into event_probe values (1)`)
      await emit(tx, 'probe.changed', { id: 1 })
      during = [...seen]
    })
    expect(during).toEqual([])
    expect(take()).toEqual([{ id: 1 }])
    expect(await rows()).toContain(1)
  })

  test('a rolled-back transaction delivers nothing', async () => {
    const failed = transaction(tdb.database.db, async (tx) => {
      await tx.execute(sql`insert into event_probe values (2)`)
      await emit(tx, 'probe.changed', { id: 2 })
      throw new Error('roll back')
    })
    await expect(failed).rejects.toThrow('roll back')
    expect(take()).toEqual([])
    expect(await rows()).not.toContain(2)
  })

  test('a transaction re-run after a deadlock delivers the events of the attempt that committed, once', async () => {
    let attempt = 0
    await transaction(tdb.database.db, async (tx) => {
      attempt++
      await emit(tx, 'probe.changed', { attempt })
      if (attempt === 1) throw Object.assign(new Error('forced'), { code: '40P01' })
    })
    expect(take()).toEqual([{ attempt: 2 }])
  })

  test('a rolled-back savepoint drops its events; the outer transaction keeps its own', async () => {
    await transaction(tdb.database.db, async (tx) => {
      await emit(tx, 'probe.changed', { outer: true })
      await transaction(tx, async (sp) => {
        await emit(sp, 'probe.changed', { inner: 'kept' })
      })
      await transaction(tx, async (sp) => {
        await emit(sp, 'probe.changed', { inner: 'dropped' })
        throw new Error('roll back the savepoint')
      }).catch(() => {})
    })
    expect(take()).toEqual([{ outer: true }, { inner: 'kept' }])
  })

  test('on the plain handle (autocommit) the event is delivered at once', async () => {
    await emit(tdb.database.db, 'probe.changed', { now: true })
    expect(take()).toEqual([{ now: true }])
  })

  test('a handler that throws is logged and the next handler still runs', async () => {
    const off = bus.on('probe.failing', () => {
      throw new Error('handler broke')
    })
    const after: unknown[] = []
    const off2 = bus.on('probe.failing', (p) => void after.push(p))
    await transaction(tdb.database.db, async (tx) => emit(tx, 'probe.failing', { n: 1 }))
    expect(after).toEqual([{ n: 1 }])
    off()
    off2()
  })

  test('a transaction not opened by transaction() is refused (its commit cannot be seen)', async () => {
    const raw = tdb.database.db.transaction((tx) => emit(tx, 'probe.changed'))
    await expect(raw).rejects.toThrow('transaction opened by transaction()')
    expect(take()).toEqual([])
  })
})

describe('afterCommit()', () => {
  test('runs the work once the transaction commits, before transaction() returns', async () => {
    const order: string[] = []
    await transaction(tdb.database.db, async (tx) => {
      await afterCommit(tx, () => void order.push('after commit'))
      order.push('in transaction')
    })
    order.push('returned')
    expect(order).toEqual(['in transaction', 'after commit', 'returned'])
  })
})

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { Value } from '@sinclair/typebox/value'
import { freshDatabase, type TestDatabase } from '../testing/db'
import { loadOr404, parseUuid, uuidParam } from './params'
import { transaction } from '../db/transaction'

const notes = pgTable('params_notes', { uuid: uuid('uuid').primaryKey(), owner: text('owner').notNull() })
const NOTE = '0b6f3c1e-8d2a-4f5b-9c7d-1e2f3a4b5c6d'
let tdb: TestDatabase

beforeAll(async () => {
  tdb = await freshDatabase()
  await tdb.database.query(sql`create table params_notes (uuid uuid primary key, owner text not null)`)
  await tdb.database.db.insert(notes).values({ uuid: NOTE, owner: 'ann' })
}, 120_000)

afterAll(async () => {
  await tdb?.drop()
})

/** The error a call throws (or null). */
async function failure(fn: () => Promise<unknown>) {
  return fn().then(
    () => null,
    (e) => ({ status: e.status, messages: e.messages }),
  )
}

describe('uuid path parameters', () => {
  test('uuidParam: a string parameter named and described, checked by the handler', () => {
    const schema = uuidParam('command_snippet')
    expect(schema.properties.command_snippet.description).toBe('Command snippet uuid')
    expect(Value.Check(schema, { command_snippet: 'not-a-uuid' })).toBe(true)
  })

  test('parseUuid: lowercase uuid, or 400 invalid <thing> uuid', () => {
    expect(parseUuid(NOTE.toUpperCase(), 'note')).toBe(NOTE)
    expect(() => parseUuid('abc', 'server group')).toThrow('invalid server group uuid')
  })

  test('loadOr404: the row; 400 for a malformed uuid; 404 for an unknown one or one outside `where`', async () => {
    const db = tdb.database.db
    expect(await loadOr404(db, notes, notes.uuid, NOTE.toUpperCase(), 'note')).toEqual({ uuid: NOTE, owner: 'ann' })
    expect(await failure(() => loadOr404(db, notes, notes.uuid, 'x', 'note'))).toEqual({ status: 400, messages: ['invalid note uuid'] })
    expect(await failure(() => loadOr404(db, notes, notes.uuid, NOTE.replace('0b', '1b'), 'note'))).toEqual({
      status: 404,
      messages: ['note not found'],
    })
    expect(await failure(() => loadOr404(db, notes, notes.uuid, NOTE, 'note', { where: eq(notes.owner, 'bob') }))).toEqual({
      status: 404,
      messages: ['note not found'],
    })
  })

  test('loadOr404 with lock is valid inside a transaction (SELECT … FOR UPDATE)', async () => {
    const row = await transaction(tdb.database.db, (tx) => loadOr404(tx, notes, notes.uuid, NOTE, 'note', { lock: true }))
    expect(row.owner).toBe('ann')
  })
})

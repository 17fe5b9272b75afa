import { describe, expect, test } from 'bun:test'
import { BadGateway, Conflict, HttpError, fromPgError, uniqueAs, uniqueMessage } from './errors'

/** A unique violation as the drivers report it, wrapped the way Drizzle wraps it. */
const violation = (constraint: string, table = 'errors_test_notes') =>
  new Error('query failed', { cause: Object.assign(new Error('duplicate key'), { code: '23505', constraint, table }) })

describe('unique-constraint messages', () => {
  test('a declared constraint answers its message; others keep the generic one', () => {
    uniqueMessage('errors_test_notes_name_unique', 'note with name already exists')
    expect(fromPgError(violation('errors_test_notes_name_unique'))).toMatchObject({
      status: 409,
      messages: ['note with name already exists'],
    })
    expect(fromPgError(violation('errors_test_notes_other_unique'))).toMatchObject({
      status: 409,
      messages: ['errors test note already exists'],
    })
  })

  test('declaring a constraint again is fine with the same message, refused with another', () => {
    uniqueMessage('errors_test_twice', 'twice already exists')
    expect(() => uniqueMessage('errors_test_twice', 'twice already exists')).not.toThrow()
    expect(() => uniqueMessage('errors_test_twice', 'something else')).toThrow(
      'uniqueMessages.errors_test_twice: already declared as "twice already exists"',
    )
    expect(() => uniqueMessage('errors_test_empty', '')).toThrow('non-empty string')
  })

  test('uniqueAs words any unique violation its way and lets other errors through', () => {
    const thrown = (() => {
      try {
        uniqueAs('ssh key with name or fingerprint already exists')(violation('errors_test_notes_name_unique'))
      } catch (e) {
        return e
      }
    })()
    expect(thrown).toBeInstanceOf(Conflict)
    expect(thrown).toMatchObject({ status: 409, messages: ['ssh key with name or fingerprint already exists'] })
    const other = Object.assign(new Error('fk'), { code: '23503' })
    expect(() => uniqueAs('x')(other)).toThrow(other)
  })
})

describe('BadGateway', () => {
  test('is a 502 carrying its message and, for the log only, its cause', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:8080')
    const error = new BadGateway('node alpha is unreachable', { cause })
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status: 502, messages: ['node alpha is unreachable'] })
    expect(error.cause).toBe(cause)
    expect(new BadGateway('node beta is unreachable').cause).toBeUndefined()
  })
})

describe('foreign-key violations', () => {
  const fk = (code: string, table: string, detail: string) =>
    new Error('query failed', { cause: Object.assign(new Error('violates foreign key'), { code, table, detail }) })

  test('a row still referenced is 400 naming both tables, under PostgreSQL (23503) and PGlite (23001) alike', () => {
    const detail = 'Key (uuid)=(00000000-0000-4000-8000-000000000000) is still referenced from table "servers".'
    for (const code of ['23503', '23001']) {
      expect(fromPgError(fk(code, 'nodes', detail))).toMatchObject({ status: 400, messages: ['node is still referenced by server'] })
    }
  })

  test('a reference to a missing row is 404 naming the referenced table', () => {
    const detail = 'Key (node_uuid)=(00000000-0000-4000-8000-000000000000) is not present in table "nodes".'
    expect(fromPgError(fk('23503', 'servers', detail))).toMatchObject({ status: 404, messages: ['node not found'] })
  })
})

import { describe, expect, test } from 'bun:test'
import { createLogger, describeError } from './logger'

describe('describeError', () => {
  test('keeps the cause (the PostgreSQL error under Drizzle’s wrapper) and drops the statement parameters', () => {
    const pg = Object.assign(new Error('deadlock detected'), { code: '40P01' })
    const wrapped = new Error('Failed query: update users set password = $1 where uuid = $2\nparams: $argon2id$v=19$secret,abc', { cause: pg })
    const out = describeError(wrapped)
    expect(out.message).toBe('Failed query: update users set password = $1 where uuid = $2')
    expect(JSON.stringify(out)).not.toContain('argon2id')
    expect(out.cause).toMatchObject({ name: 'Error', message: 'deadlock detected', code: '40P01' })
  })

  test('an error field of a log line is written that way', () => {
    const lines: string[] = []
    const log = createLogger({ level: 'error', write: (line) => void lines.push(line) })
    log.error('request failed', { error: new Error('Failed query: select 1\nparams: token-digest', { cause: new Error('Connection terminated unexpectedly') }) })
    const line = JSON.parse(lines[0])
    expect(line.error.cause.message).toBe('Connection terminated unexpectedly')
    expect(lines[0]).not.toContain('token-digest')
  })
})

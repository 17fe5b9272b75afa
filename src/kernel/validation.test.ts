import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { containerMismatch, fieldPath, schemaOfValidator, validationMessages } from './validation'
import { PaginationQuery } from './pagination'

const User = t.Object({
  name: t.String({ minLength: 3, maxLength: 10 }),
  per_page: t.Integer({ minimum: 1, maximum: 100 }),
})

describe('validationMessages: rules', () => {
  test('string length', () => {
    expect(validationMessages(User, { name: 'ab', per_page: 5 })).toEqual(['name: length is lower than 3'])
    expect(validationMessages(User, { name: 'abcdefghijk', per_page: 5 })).toEqual(['name: length is greater than 10'])
  })

  test('numeric range', () => {
    expect(validationMessages(User, { name: 'abc', per_page: 101 })).toEqual(['per_page: greater than 100'])
    expect(validationMessages(User, { name: 'abc', per_page: 0 })).toEqual(['per_page: lower than 1'])
  })

  test('every failing rule is listed, in field order', () => {
    expect(validationMessages(User, { name: 'ab', per_page: 101 })).toEqual(['name: length is lower than 3', 'per_page: greater than 100'])
  })

  test('several rules on one field give several messages', () => {
    const S = t.Object({ username: t.String({ minLength: 3, pattern: '^[a-zA-Z0-9_]+$' }) })
    expect(validationMessages(S, { username: '!' })).toEqual([
      'username: length is lower than 3',
      'username: does not match pattern /^[a-zA-Z0-9_]+$/',
    ])
  })

  test('array sizes read like lengths', () => {
    const S = t.Object({ ids: t.Array(t.Integer(), { minItems: 1, maxItems: 2 }) })
    expect(validationMessages(S, { ids: [] })).toEqual(['ids: length is lower than 1'])
    expect(validationMessages(S, { ids: [1, 2, 3] })).toEqual(['ids: length is greater than 2'])
  })

  test('formats', () => {
    const S = t.Object({ email: t.String({ format: 'email' }), id: t.String({ format: 'uuid' }) })
    expect(validationMessages(S, { email: 'nope', id: 'x' })).toEqual(['email: not a valid email', 'id: not a valid uuid'])
  })

  test('wrong types', () => {
    const S = t.Object({ s: t.String(), i: t.Integer(), n: t.Number(), b: t.Boolean(), a: t.Array(t.String()), o: t.Object({}) })
    expect(validationMessages(S, { s: 1, i: 'x', n: 'x', b: 'x', a: 'x', o: 'x' })).toEqual([
      's: expected a string',
      'i: expected an integer',
      'n: expected a number',
      'b: expected a boolean',
      'a: expected an array',
      'o: expected an object',
    ])
  })

  test('a custom error on the schema replaces the message', () => {
    const S = t.Object({ code: t.String({ minLength: 6, error: 'invalid code' }) })
    expect(validationMessages(S, { code: '1' })).toEqual(['code: invalid code'])
  })

  test('the same message is not repeated', () => {
    const S = t.Object({ a: t.String({ minLength: 3 }) })
    const out = validationMessages(S, { a: 'x' })
    expect(out).toEqual([...new Set(out)])
  })
})

describe('validationMessages: required fields', () => {
  test('a missing field is reported once, as required', () => {
    expect(validationMessages(User, {})).toEqual(['name: required', 'per_page: required'])
  })

  test('a missing nested field', () => {
    const S = t.Object({ limits: t.Object({ memory: t.Integer() }) })
    expect(validationMessages(S, { limits: {} })).toEqual(['limits.memory: required'])
  })

  test('optional fields may be absent', () => {
    const S = t.Object({ a: t.Optional(t.String({ minLength: 2 })), b: t.String() })
    expect(validationMessages(S, { b: 1 })).toEqual(['b: expected a string'])
  })

  test('a body that is not an object', () => {
    expect(validationMessages(User, 'text')).toEqual(['body: expected an object'])
  })
})

describe('validationMessages: paths', () => {
  test('nested objects as a.b', () => {
    const S = t.Object({ a: t.Object({ b: t.String({ minLength: 2 }) }) })
    expect(validationMessages(S, { a: { b: 'x' } })).toEqual(['a.b: length is lower than 2'])
  })

  test('list items as list[0]', () => {
    const S = t.Object({ list: t.Array(t.String({ minLength: 2 })) })
    expect(validationMessages(S, { list: ['ok', 'x'] })).toEqual(['list[1]: length is lower than 2'])
  })

  test('objects inside lists as list[0].name', () => {
    const S = t.Object({ list: t.Array(t.Object({ name: t.String({ minLength: 2 }), port: t.Integer({ maximum: 65535 }) })) })
    expect(
      validationMessages(S, {
        list: [
          { name: 'ok', port: 1 },
          { name: 'x', port: 70000 },
        ],
      }),
    ).toEqual(['list[1].name: length is lower than 2', 'list[1].port: greater than 65535'])
  })

  test.each([
    ['', ''],
    ['/a', 'a'],
    ['/a/b', 'a.b'],
    ['/list/0', 'list[0]'],
    ['/list/0/name', 'list[0].name'],
    ['/m/0/1', 'm[0][1]'],
    ['/a~1b/c~0d', 'a/b.c~d'],
  ])('fieldPath(%p) → %p', (pointer, path) => {
    expect(fieldPath(pointer)).toBe(path)
  })
})

describe('validationMessages: unions', () => {
  test('a nullable field reports the inner rule', () => {
    const S = t.Object({ description: t.Nullable(t.String({ maxLength: 3 })) })
    expect(validationMessages(S, { description: 'toolong' })).toEqual(['description: length is greater than 3'])
  })

  test('a nullable nested object reports the inner field', () => {
    const S = t.Object({ o: t.Optional(t.Nullable(t.Object({ x: t.Integer({ minimum: 2 }) }))) })
    expect(validationMessages(S, { o: { x: 1 } })).toEqual(['o.x: lower than 2'])
  })

  test('literal unions list the allowed values', () => {
    const S = t.Object({ position: t.Union([t.Literal('top_left'), t.Literal('bottom_right')]) })
    expect(validationMessages(S, { position: 'middle' })).toEqual(['position: must be one of: top_left, bottom_right'])
  })

  test('a nullable literal union lists the allowed values', () => {
    const S = t.Object({ mode: t.Nullable(t.Union([t.Literal('a'), t.Literal('b')])) })
    expect(validationMessages(S, { mode: 'c' })).toEqual(['mode: must be one of: a, b'])
  })

  test('a single literal', () => {
    const S = t.Object({ type: t.Literal('totp') })
    expect(validationMessages(S, { type: 'sms' })).toEqual(['type: must be "totp"'])
  })

  test('other unions name the types they accept', () => {
    const S = t.Object({ v: t.Union([t.String(), t.Boolean()]) })
    expect(validationMessages(S, { v: 1 })).toEqual(['v: expected string or boolean'])
  })
})

describe('validationMessages: query strings', () => {
  test('numbers given as text are checked as numbers', () => {
    expect(validationMessages(PaginationQuery, { per_page: '101' })).toEqual(['per_page: greater than 100'])
    expect(validationMessages(PaginationQuery, { page: '0' })).toEqual(['page: lower than 1'])
  })

  test('a numeric field that is not a number', () => {
    expect(validationMessages(PaginationQuery, { page: 'abc' })).toEqual(['page: expected an integer'])
  })

  test('a valid value yields a generic message (never an empty list)', () => {
    expect(validationMessages(PaginationQuery, { page: '2' })).toEqual(['body: invalid value'])
  })
})

describe('schemaOfValidator', () => {
  test('accepts a schema, an object holding one, or a compiled checker', () => {
    expect(schemaOfValidator(User)).toBe(User)
    expect(schemaOfValidator({ schema: User })).toBe(User)
    expect(schemaOfValidator({ Schema: () => User })).toBe(User)
    expect(schemaOfValidator(null)).toBeNull()
    expect(schemaOfValidator({})).toBeNull()
  })
})

describe('containerMismatch', () => {
  const Settings = t.Object({
    app: t.Optional(t.Object({ name: t.Optional(t.String()) })),
    mail: t.Optional(t.Union([t.Object({ type: t.Literal('none') }), t.Object({ type: t.Literal('smtp'), host: t.String() })])),
    note: t.Optional(t.Nullable(t.Object({ text: t.String() }))),
    tags: t.Optional(t.Array(t.Object({ id: t.Integer() }))),
    images: t.Optional(t.Record(t.String(), t.Object({ tag: t.String() }))),
  })

  test('a scalar, null or array where an object belongs is a mismatch, at any depth', () => {
    for (const body of [
      null,
      'x',
      1,
      [1, 2, 3],
      { app: null },
      { app: 'x' },
      { app: [] },
      { mail: 'smtp' },
      { tags: {} },
      { tags: [null] },
      { images: { a: 'x' } },
    ]) {
      expect(containerMismatch(Settings, body)).toBe(true)
    }
  })

  test('objects and arrays where they belong are not; scalars are left to the validation', () => {
    for (const body of [
      {},
      { app: {} },
      { app: { name: 5 } },
      { mail: { type: 'smtp' } },
      { note: null },
      { tags: [{ id: 'x' }] },
      { images: { a: { tag: 'x' } } },
      { unknown: 'x' },
    ]) {
      expect(containerMismatch(Settings, body)).toBe(false)
    }
  })

  test('the messages then name the field', () => {
    expect(validationMessages(Settings, null)).toEqual(['body: expected an object'])
    expect(validationMessages(Settings, { app: null })).toEqual(['app: expected an object'])
  })
})

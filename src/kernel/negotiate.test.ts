import { describe, expect, test } from 'bun:test'
import { negotiate } from './negotiate'

describe('negotiate(accept)', () => {
  test.each([
    [undefined, 'json'],
    ['', 'json'],
    ['application/json', 'json'],
    ['application/msgpack', 'msgpack'],
    ['text/xml', 'xml'],
    ['TEXT/XML', 'xml'],
    ['text/xml; charset=utf-8', 'xml'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['text/html', 'json'],
    ['application/xml', 'json'],
    ['text/html, text/xml', 'xml'],
  ] as const)('%p → %p', (accept, expected) => {
    expect(negotiate(accept)).toBe(expected)
  })

  test('the highest q wins, whatever the order', () => {
    expect(negotiate('application/json;q=0.5, application/msgpack')).toBe('msgpack')
    expect(negotiate('application/msgpack;q=0.4, text/xml;q=0.9')).toBe('xml')
    // The reference ranks any weighted type above unweighted ones (a QUIRK); q=1 is the default.
    expect(negotiate('application/json, application/msgpack;q=0.5')).toBe('json')
  })

  test('ties keep header order', () => {
    expect(negotiate('text/xml, application/msgpack')).toBe('xml')
    expect(negotiate('application/msgpack;q=0.7, text/xml;q=0.7')).toBe('msgpack')
  })

  test('q=0 refuses a type', () => {
    expect(negotiate('application/msgpack;q=0, text/xml;q=0.1')).toBe('xml')
    expect(negotiate('text/xml;q=0')).toBe('json')
  })

  test('a wildcard with a higher q than the listed types yields JSON', () => {
    expect(negotiate('application/msgpack;q=0.5, */*')).toBe('json')
    expect(negotiate('*/*;q=0.1, application/msgpack')).toBe('msgpack')
  })

  test('parameters other than q are ignored', () => {
    expect(negotiate('application/msgpack; level=1; q=0.9, text/xml;q=0.5')).toBe('msgpack')
  })

  test.each(['garbage', 'application/json;q=2', 'application/json;q=abc', 'text/xml;q=-1, application/msgpack', ',,,', 'a/b/c'])(
    'malformed %p falls back to JSON',
    (accept) => {
      expect(negotiate(accept)).toBe('json')
    },
  )
})

import { describe, expect, test } from 'bun:test'
import { readCookie } from './cookies'

describe('readCookie', () => {
  test('finds the named cookie among others, the first when repeated', () => {
    expect(readCookie('a=1; hatchery_session=abc:def; b=2', 'hatchery_session')).toBe('abc:def')
    expect(readCookie('hatchery_session=1;hatchery_session=2', 'hatchery_session')).toBe('1')
    expect(readCookie(' hatchery_session = v ;', 'hatchery_session')).toBe('v')
    expect(readCookie('a=b=c; x=1', 'a')).toBe('b=c')
  })

  test('unquotes a quoted value; skips parts without "="', () => {
    expect(readCookie('hatchery_session="q"', 'hatchery_session')).toBe('q')
    expect(readCookie('hatchery_session="', 'hatchery_session')).toBe('"')
    expect(readCookie('x; hatchery_session=1', 'hatchery_session')).toBe('1')
  })

  test('absent: undefined; empty value: empty string', () => {
    expect(readCookie(null, 'hatchery_session')).toBeUndefined()
    expect(readCookie('a=1', 'hatchery_session')).toBeUndefined()
    expect(readCookie('xhatchery_session=1', 'hatchery_session')).toBeUndefined()
    expect(readCookie('hatchery_session=', 'hatchery_session')).toBe('')
  })
})

import { describe, expect, test } from 'bun:test'
import { matches, type Matcher } from './mappings'
import { extractText, jsonPathProblem } from './jsonpath'

const info = { sub: 'u1', email: 'ada@corp.example', groups: ['staff', 'ops'], level: 3, org: { name: 'Corp' } }
const scopes = ['openid', 'email']

describe('mapping matchers', () => {
  const cases: [Matcher, boolean][] = [
    [{ type: 'none' }, true],
    [{ type: 'scopes', scopes: ['email'] }, true],
    [{ type: 'scopes', scopes: ['email', 'groups'] }, false],
    [{ type: 'field_exists', path: '$.org.name' }, true],
    [{ type: 'field_exists', path: '$.missing' }, false],
    [{ type: 'field_equals', path: '$.level', equals: '3' }, true],
    [{ type: 'field_equals', path: '$.org.name', equals: 'corp' }, false],
    [{ type: 'field_contains', path: '$.groups', contains: 'ops' }, true],
    [{ type: 'field_contains', path: '$.groups', contains: 'op' }, false],
    [{ type: 'field_contains', path: '$.email', contains: '@corp' }, true],
    [{ type: 'field_starts_with', path: '$.email', starts_with: 'ada@' }, true],
    [{ type: 'field_ends_with', path: '$.email', ends_with: '.example' }, true],
    [{ type: 'and', matchers: [{ type: 'none' }, { type: 'field_exists', path: '$.missing' }] }, false],
    [
      {
        type: 'or',
        matchers: [
          { type: 'field_exists', path: '$.missing' },
          { type: 'scopes', scopes: ['openid'] },
        ],
      },
      true,
    ],
    [{ type: 'not', matcher: { type: 'field_contains', path: '$.groups', contains: 'banned' } }, true],
    [{ type: 'field_exists', path: '$[?(@.sub)]' }, false],
  ]
  for (const [m, want] of cases) test(`${JSON.stringify(m)} → ${want}`, () => expect(matches(m, scopes, info)).toBe(want))
})

describe('JSONPath fields', () => {
  test('extracts the first match as text, cut to the limit', () => {
    expect(extractText('$.sub', info, 255)).toBe('u1')
    expect(extractText('$.level', info, 255)).toBe('3')
    expect(extractText('$.groups', info, 5)).toBe('["sta')
    expect(extractText('$.nope', info, 255)).toBeNull()
  })

  test('refuses what is not a plain path; never evaluates', () => {
    for (const bad of ['sub', '$[?(@.admin)]', '$..[(@.length-1)]', '$.a[', '$.[', "$['a]", '$.a.'])
      expect(jsonPathProblem(bad)).not.toBeNull()
    for (const good of ['$.sub', '$["e-mail"]', '$..id', '$.groups[0]', '$.groups[*]', '$']) expect(jsonPathProblem(good)).toBeNull()
  })
})

import { describe, expect, test } from 'bun:test'
import { candidatesOf } from './ssh-key-import'
import { sshKey } from '../test-helpers'

const names = (list: ReturnType<typeof candidatesOf>, suffix = '') => list!.map((c) => c.name(suffix))
const now = new Date('2025-06-07T12:00:00Z')

describe('candidatesOf', () => {
  test('GitHub names cut the username to 17 and fall back to today without created_at', () => {
    const list = candidatesOf(
      'github',
      'a-very-long-github-username',
      [
        { id: 1, key: sshKey().line },
        { id: 2, key: sshKey().line, created_at: 'nonsense' },
      ],
      now,
    )
    expect(names(list)).toEqual(
      ['gh-a-very-long-github-2025-06-07', 'gh-a-very-long-github-2025-06-07'].map((n) =>
        n.replace('gh-a-very-long-github-', 'gh-a-very-long-githu-'),
      ),
    )
    expect(names(list).every((n) => n.length === 31)).toBe(true)
    // A collision suffix takes its room from the username, never from the date.
    expect(names(list, '-2')).toEqual(['gh-a-very-long-git-2025-06-07-2', 'gh-a-very-long-git-2025-06-07-2'])
  })

  test('GitLab names never pass 31 characters, even for a 31-character username', () => {
    const user = 'u'.repeat(31)
    const list = candidatesOf('gitlab', user, [{ id: 1, title: 'key@laptop', key: sshKey().line }], now)
    expect(names(list)).toEqual([`gl-${'u'.repeat(27)}-`])
    expect(names(list, '-12')[0]).toHaveLength(31)
    const short = candidatesOf(
      'gitlab',
      'bob',
      [
        { id: 1, title: 'x@y@laptop', key: sshKey().line },
        { id: 2, title: 'no at sign', key: sshKey().line },
      ],
      now,
    )
    expect(names(short)).toEqual(['gl-bob-laptop', 'gl-bob-no at sign'])
  })

  test('Launchpad names count positions in the whole list', () => {
    const list = candidatesOf(
      'launchpad',
      'x'.repeat(30),
      { entries: [{ keytext: 'AAAA' }, { keytext: sshKey().line.split(' ')[1] }] },
      now,
    )
    expect(names(list)).toEqual([`lp-${'x'.repeat(25)}-02`])
  })

  test('unexpected shapes give null', () => {
    expect(candidatesOf('github', 'bob', { message: 'Not Found' })).toBeNull()
    expect(candidatesOf('launchpad', 'bob', [])).toBeNull()
    expect(candidatesOf('gitlab', 'bob', [{ nothing: true }, null])).toEqual([])
  })
})

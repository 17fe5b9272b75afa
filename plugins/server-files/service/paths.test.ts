import { describe, expect, test } from 'bun:test'
import { checkPullUrl } from './pull-url'
import { clientPath, Hidden, underRoot } from './paths'

describe('clientPath', () => {
  test('normalises every spelling to one form; above the root and absurd lengths are 400', () => {
    for (const raw of ['secrets/x', '/secrets/x', '//secrets//x', './secrets/./x', 'a/../secrets/x', 'secrets\\x', '\\secrets\\x'])
      expect([raw, clientPath(raw)]).toEqual([raw, 'secrets/x'])
    expect(clientPath('')).toBe('')
    expect(clientPath('/')).toBe('')
    for (const raw of ['..', '../x', 'a/../../x', '\\..\\x']) expect(() => clientPath(raw)).toThrow('leaves the server root')
    expect(() => clientPath('a'.repeat(5000))).toThrow('longer than')
    expect(underRoot('a/b', '../c')).toBe('a/c')
    expect(underRoot('a/b', '/c')).toBe('c')
  })
})

describe('Hidden (gitignore-style ignored_files)', () => {
  test('names at any depth, anchored paths, wildcards, re-includes; a hidden folder hides everything below it', () => {
    const hidden = new Hidden(['secrets/', '*.key', '/config/private.yml', '!public.key', 'logs/**'])
    const cases: [string, boolean][] = [
      ['', false],
      ['secrets', true],
      ['secrets/a/b', true],
      ['a/secrets/b', true],
      ['secretsx', false],
      ['x.key', true],
      ['public.key', false],
      ['config/private.yml', true],
      ['a/config/private.yml', false],
      ['logs/latest.log', true],
    ]
    for (const [path, expected] of cases) expect([path, hidden.has(path)]).toEqual([path, expected])
    expect(new Hidden([]).has('anything')).toBe(false)
    expect(new Hidden(['!x', '', '# comment']).has('x')).toBe(false)
  })
})

describe('checkPullUrl', () => {
  const resolve = (map: Record<string, string[]>) => async (host: string) => map[host] ?? []
  test('http(s) to public addresses only; a name resolving to any private address is refused', async () => {
    const opts = { allowPrivate: false, resolve: resolve({ 'ok.test': ['93.184.216.34'], 'mixed.test': ['93.184.216.34', '10.0.0.1'] }) }
    expect(await checkPullUrl('https://ok.test/a.jar', opts)).toBe('https://ok.test/a.jar')
    await expect(checkPullUrl('https://mixed.test/a', opts)).rejects.toThrow('private or reserved')
    await expect(checkPullUrl('https://nowhere.test/a', opts)).rejects.toThrow('cannot resolve')
    await expect(checkPullUrl('gopher://ok.test/a', opts)).rejects.toThrow('only http and https')
    await expect(checkPullUrl('http://[::ffff:169.254.169.254]/', opts)).rejects.toThrow('private or reserved')
    expect(await checkPullUrl('http://127.0.0.1:1/a', { allowPrivate: true })).toBe('http://127.0.0.1:1/a')
  })
})

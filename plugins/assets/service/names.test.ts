import { describe, expect, test } from 'bun:test'
import { isRelativePath, isSegment, parseAssetName, parseDirectory, uploadName } from './names'

describe('asset names', () => {
  test('a segment is a plain name: no dot segments, separators, control characters or broken unicode', () => {
    for (const ok of ['a', 'logo.png', '.hidden', 'a..b', 'with space', 'ünïcödé', '日本', 'x'.repeat(255), 'C:'])
      expect(isSegment(ok), ok).toBe(true)
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'nul\u0000', 'tab\t', 'del\u007f', 'lone\ud800', 'x'.repeat(256), 'é'.repeat(128)]) {
      expect(isSegment(bad), JSON.stringify(bad)).toBe(false)
    }
  })

  test('a relative path is bounded in depth and length and never absolute', () => {
    expect(isRelativePath('a/b/c', 3)).toBe(true)
    expect(isRelativePath('a/b/c/d', 3)).toBe(false)
    expect(isRelativePath('/a', 3)).toBe(false)
    expect(isRelativePath('a/', 3)).toBe(false)
    expect(isRelativePath(`${'abcdefghi/'.repeat(100)}x`, 200)).toBe(false)
  })

  test('directories: trailing slashes ignored, leading slash or traversal refused', () => {
    expect(parseDirectory(undefined)).toBe('')
    expect(parseDirectory('')).toBe('')
    expect(parseDirectory('images/icons/')).toBe('images/icons')
    for (const bad of ['/', '/images', '..', 'a/../b', 'a//b', `${'d/'.repeat(17)}`])
      expect(() => parseDirectory(bad), bad).toThrow('invalid directory path')
  })

  test('uploaded file names keep their last segment; the rest is refused', () => {
    expect(uploadName('', 'logo.png')).toBe('logo.png')
    expect(uploadName('img', 'folder/sub/logo.png')).toBe('img/logo.png')
    for (const bad of ['', '..', 'a/..', 'a/', 'a\\b.png', 'x\u0001'])
      expect(() => uploadName('img', bad), bad).toThrow('invalid file name')
    expect(() =>
      uploadName('d'.repeat(250) + '/' + 'e'.repeat(250) + '/' + 'f'.repeat(250) + '/' + 'g'.repeat(200), 'x'.repeat(100)),
    ).toThrow('invalid file name')
  })

  test('delete names are full relative paths', () => {
    expect(parseAssetName('images/logo.png')).toBe('images/logo.png')
    for (const bad of ['', '/etc/passwd', '../x', 'a/./b']) expect(() => parseAssetName(bad), bad).toThrow('invalid file name')
  })
})

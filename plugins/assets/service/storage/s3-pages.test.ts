import { describe, expect, test } from 'bun:test'
import { S3Storage } from './s3'

// s3rver cannot page (its continuation tokens need DES, which Bun lacks): the paging loop is
// checked against a listing that answers the S3 protocol's fields, three keys a page.
function paged(keys: string[], prefixes: string[] = []) {
  const calls: (string | undefined)[] = []
  const list = async (o: { continuationToken?: string }) => {
    calls.push(o.continuationToken)
    const from = Number(o.continuationToken ?? 0)
    const items = [...prefixes.map((p) => ({ p })), ...keys.map((k) => ({ k }))].slice(from, from + 3)
    const more = from + 3 < prefixes.length + keys.length
    return {
      commonPrefixes: items.filter((i) => 'p' in i).map((i) => ({ prefix: (i as { p: string }).p })),
      contents: items
        .filter((i) => 'k' in i)
        .map((i) => ({ key: (i as { k: string }).k, size: 1, lastModified: '2026-01-01T00:00:00.000Z' })),
      isTruncated: more,
      nextContinuationToken: more ? String(from + 3) : undefined,
    }
  }
  const storage = new S3Storage({
    public_url: 'https://cdn.example.com',
    bucket: 'b',
    region: 'r',
    endpoint: 'http://127.0.0.1:1',
    path_style: true,
  })
  Object.assign(storage, { client: { list } })
  return { storage, calls }
}

describe('S3 listings follow continuation tokens', () => {
  test('list gathers every page, directories first', async () => {
    const { storage, calls } = paged(['assets/e', 'assets/c', 'assets/d', 'assets/f'], ['assets/b/', 'assets/a/'])
    expect((await storage.list('assets')).map((e) => e.key)).toEqual([
      'assets/a',
      'assets/b',
      'assets/c',
      'assets/d',
      'assets/e',
      'assets/f',
    ])
    expect(calls).toEqual([undefined, '3'])
  })

  test('walk stops at its limit without asking for more pages', async () => {
    const { storage, calls } = paged(Array.from({ length: 10 }, (_, i) => `assets/f${i}`))
    const seen = []
    for await (const e of storage.walk('assets', 4)) seen.push(e.key)
    expect(seen).toEqual(['assets/f0', 'assets/f1', 'assets/f2', 'assets/f3'])
    expect(calls).toEqual([undefined, '3'])
  })
})

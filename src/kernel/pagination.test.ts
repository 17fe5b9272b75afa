import { describe, expect, test } from 'bun:test'
import { pageParams, toCountedPage } from './pagination'

/** `total` rows numbered from 0, the page of them the list query would return, and how often it counted. */
async function pageOf(total: number, query: { page?: number; per_page?: number }) {
  const p = pageParams(query)
  const rows = Array.from({ length: Math.max(0, Math.min(p.perPage, total - p.offset)) }, (_, i) => p.offset + i)
  let counted = 0
  const page = await toCountedPage(p, rows, async () => (counted++, total), (n) => n)
  return { total: page.total, rows: page.data.length, counted }
}

describe('toCountedPage', () => {
  test('a short page (or an empty first page) gives the total without counting', async () => {
    expect(await pageOf(13, { page: 3, per_page: 5 })).toEqual({ total: 13, rows: 3, counted: 0 })
    expect(await pageOf(0, {})).toEqual({ total: 0, rows: 0, counted: 0 })
  })

  test('a full page, or a page past the end, counts', async () => {
    expect(await pageOf(10, { per_page: 5 })).toEqual({ total: 10, rows: 5, counted: 1 })
    expect(await pageOf(10, { page: 2, per_page: 5 })).toEqual({ total: 10, rows: 5, counted: 1 })
    expect(await pageOf(10, { page: 9, per_page: 5 })).toEqual({ total: 10, rows: 0, counted: 1 })
  })
})

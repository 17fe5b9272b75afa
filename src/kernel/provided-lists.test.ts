import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { ProvidedLists } from './provided-lists'
import type { Db } from '../db/client'

const db = {} as Db
const page = { page: 2, perPage: 5, offset: 5, search: undefined }

describe('ProvidedLists', () => {
  test('an unprovided list is a true empty page with the caller paging, and an open item schema', async () => {
    const lists = new ProvidedLists<'nodes'>('mounts')
    expect(lists.provided('nodes')).toBe(false)
    expect(await lists.list('nodes', db, 'k', page)).toEqual({ total: 0, per_page: 5, page: 2, data: [] })
    expect(lists.model('nodes').additionalProperties).toBe(true)
    const fallback = t.Object({ x: t.String() })
    expect(lists.model('nodes', fallback)).toBe(fallback)
  })

  test('a provided list answers with its key and page, and its model replaces the fallback', async () => {
    const lists = new ProvidedLists<'nodes'>('mounts')
    const model = t.Object({ node: t.String() })
    lists.provide('nodes', { model, list: async (_db, key, p) => ({ total: 1, per_page: p.perPage, page: p.page, data: [{ node: key }] }) })
    expect(lists.provided('nodes')).toBe(true)
    expect(lists.model('nodes', t.Object({}))).toBe(model)
    expect(await lists.list('nodes', db, 'abc', page)).toEqual({ total: 1, per_page: 5, page: 2, data: [{ node: 'abc' }] })
  })

  test('providing a list twice names the owner and the list', () => {
    const lists = new ProvidedLists<'nodes'>('mounts')
    const p = { model: t.Object({}), list: async () => ({ total: 0, per_page: 1, page: 1, data: [] }) }
    lists.provide('nodes', p)
    expect(() => lists.provide('nodes', p)).toThrow('mounts: the nodes list is already provided')
  })
})

import { describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { useTestApp } from 'hatchery/testing'

describe('test harness', () => {
  const t = useTestApp()

  test('gives each file its own migrated database', async () => {
    const rows = await t.db.database.query<{ owner: string }>(sql`select owner from hatchery_migrations where owner = 'core'`)
    expect(rows.length).toBeGreaterThan(0)
    expect(t.db.database.kind).toBe(process.env.DATABASE_URL ? 'postgres' : 'pglite')
  })

  test('handles a request in-process', async () => {
    const res = await t.request('GET', '/api/no-such-route')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ errors: ['route not found'] })
  })
})

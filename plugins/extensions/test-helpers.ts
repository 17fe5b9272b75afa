import { expect } from 'bun:test'
import { Elysia } from 'elysia'
import { sql } from 'drizzle-orm'
import { join } from 'node:path'
import { definePlugin, rowsOf } from 'hatchery'
import { withPlugins, type TestApp } from 'hatchery/testing'

// A plugin that needs the greeter fixture: the greeter cannot go off while it is on.
const fan = definePlugin({
  name: 'greeter-fan',
  version: '1.0.0',
  dependsOn: ['greeter'],
  routes: {
    client: (ctx) => new Elysia({ prefix: '/greeter-fan' }).use(ctx.guard).get('', () => ({ fan: true }), { authenticated: true }),
  },
})

/** The bundled plugins, the greeter fixture (external) and `greeter-fan`. */
export const extensionTestPlugins = () => withPlugins(join(import.meta.dir, '../../test/fixtures/plugins'), fan)

/** What any path nobody serves answers. */
export const UNKNOWN = { status: 404, body: { errors: ['route not found'] } }

export const toggle = (app: TestApp, cookie: string, name: string, enabled: boolean) =>
  app.request('PATCH', `/api/admin/extensions/${name}`, { cookie, body: { enabled } })

export async function listExtensions(app: TestApp, cookie: string) {
  const res = await app.request('GET', '/api/admin/extensions', { cookie })
  expect(res.status).toBe(200)
  return res.body
}

export const countRows = async (app: TestApp, table: 'greeter_greetings' | 'greeter_job_runs') =>
  Number(rowsOf<{ n: number }>(await app.kernel.database.db.execute(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0].n)

/** Polls until `check` holds (another process follows the settings within 2 s). */
export async function eventually(check: () => Promise<boolean>, ms = 6000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time')
    await Bun.sleep(100)
  }
}

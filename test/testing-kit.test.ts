import { describe, expect, test } from 'bun:test'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Elysia, t as tb } from 'elysia'
import { definePlugin } from '../src/kernel'
import { ROOT } from '../src/kernel/loader'
import { expectRoutesGuarded, useTestApp, withPlugins } from '../src/testing'
import { FIXTURE_PLUGINS } from './helpers/plugins'

describe('hatchery/testing from a PLUGINS_DIR outside the checkout', () => {
  test('`bun test` of the greeter copied elsewhere resolves hatchery/testing and passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hatchery-plugins-'))
    try {
      cpSync(join(FIXTURE_PLUGINS, 'greeter'), join(dir, 'greeter'), { recursive: true })
      const run = Bun.spawn([process.execPath, 'test', '--timeout', '30000', join(dir, 'greeter/greeter.test.ts')], {
        cwd: ROOT,
        env: { ...process.env, PLUGINS_DIR: dir },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [code, err] = await Promise.all([run.exited, new Response(run.stderr).text()])
      expect(err).toContain(' 0 fail')
      expect(code).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('expectRoutesGuarded', () => {
  const notes = definePlugin({
    name: 'kit-notes',
    version: '1.0.0',
    permissions: { user: { 'kit-notes': { description: 'Notes', permissions: { create: 'Create' } } } },
    routes: {
      client: (ctx) =>
        new Elysia({ prefix: '/kit-notes' })
          .use(ctx.guard)
          .post('', () => ({}), { permission: 'user:kit-notes.create', body: tb.Object({ email: tb.String({ format: 'email' }) }) }),
    },
  })
  const t = useTestApp(async () => ({ plugins: await withPlugins(FIXTURE_PLUGINS, notes) }))

  test('the registry names the plugin of each route', () => {
    expect(t.routes.all().find((r) => r.path === '/api/client/kit-notes')?.plugin).toBe('kit-notes')
    expect(t.routes.all().find((r) => r.path === '/api/admin/greetings/count')?.plugin).toBe('greeter')
  })

  test('a body its schema cannot make is asked for by route; given, the sweep passes', async () => {
    await expect(expectRoutesGuarded(t, { namespace: 'client', plugin: 'kit-notes' })).rejects.toThrow(
      'POST /api/client/kit-notes: no valid body can be made from its schema; give one in `bodies`',
    )
    const swept = await expectRoutesGuarded(t, {
      namespace: 'client',
      plugin: 'kit-notes',
      bodies: { 'POST /api/client/kit-notes': { email: 'a@example.com' } },
    })
    expect(swept).toHaveLength(1)
  })

  test('a plugin without routes in the namespace is an error, not a silent pass', async () => {
    await expect(expectRoutesGuarded(t, { namespace: 'admin', plugin: 'kit-notes' })).rejects.toThrow(
      'no guarded /api/admin routes of plugin kit-notes',
    )
  })
})

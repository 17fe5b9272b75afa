import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { FIXTURE_PLUGINS } from './helpers/plugins'
import { freePort, runPanel, serverEnv, startServer, type RunningServer } from './helpers/server'

describe('the server process (src/main.ts) on the embedded database', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(serverEnv({ PLUGINS_DIR: FIXTURE_PLUGINS, APP_ENCRYPTION_KEY: '' }))
  }, 120_000)
  afterAll(() => server?.cleanup())

  test('serves the API and writes one JSON log line per request with the response id', async () => {
    const res = await fetch(`${server.url}/api/settings`)
    expect(res.status).toBe(200)
    const id = res.headers.get('x-request-id')!
    await Bun.sleep(50)
    const line = server.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.request_id === id)
    expect(line).toMatchObject({ level: 'info', method: 'GET', path: '/api/settings', status: 200, ip: '127.0.0.1' })
    expect(typeof line.duration_ms).toBe('number')
  })

  test('keeps its files in DATA_DIR: the database, a generated 0600 key and the control socket', () => {
    const dir = server.env.DATA_DIR
    expect(existsSync(join(dir, 'db'))).toBe(true)
    expect(statSync(join(dir, 'encryption.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'control.sock')).mode & 0o777).toBe(0o600)
  })

  test('a second server on the same DATA_DIR refuses to start, naming the holder', async () => {
    const child = Bun.spawn(['./node_modules/.bin/bun', 'src/main.ts'], {
      env: { ...server.env, PORT: String(freePort()) },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
    expect(code).toBe(1)
    expect(stderr).toContain(`in use by process ${server.process.pid}`)
  }, 60_000)

  test('panel commands run while it is up go through the server', async () => {
    const set = await runPanel(server.env, ['settings', 'set', 'app.name', '"Via CLI"', '--json'])
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toEqual({ key: 'app.name', updated: true })
    const res = await fetch(`${server.url}/api/settings`)
    expect(((await res.json()) as { app: { name: string } }).app.name).toBe('Via CLI')
    const get = await runPanel(server.env, ['settings', 'get', 'app.name', '--json'])
    expect(get.stdout.trim()).toBe('"Via CLI"')
    const bad = await runPanel(server.env, ['settings', 'set', 'app.name', '""'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('app.name: length is lower than 1')
  }, 60_000)

  test('SIGTERM finishes requests in flight, then exits 0', async () => {
    const slow = fetch(`${server.url}/api/greeter/slow?ms=1500`)
    await Bun.sleep(300)
    const exited = server.stop('SIGTERM')
    const res = await slow
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ slept: true })
    expect(await exited).toBe(0)
    expect(existsSync(join(server.env.DATA_DIR, 'db.lock'))).toBe(false)
    expect(server.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
  }, 30_000)

  test('after it stopped, the CLI opens the database itself and exits when done', async () => {
    const version = await runPanel(server.env, ['version', '--json'])
    expect(version.code).toBe(0)
    expect(JSON.parse(version.stdout).version).toMatch(/^\d+\.\d+\.\d+/)
    const status = await runPanel(server.env, ['migrate', '--status', '--json'])
    expect(status.code).toBe(0)
    const rows = JSON.parse(status.stdout)
    expect(rows.every((r: { applied: boolean }) => r.applied)).toBe(true)
    expect(rows.some((r: { owner: string }) => r.owner === 'greeter')).toBe(true)
  }, 60_000)
})

describe('boot refuses bad configuration with one line naming the variable', () => {
  test.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ APP_TRUSTED_PROXIES: '10.0.0.0/8, not-an-ip' }, 'APP_TRUSTED_PROXIES'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://127.0.0.1:5432/x', APP_ENCRYPTION_KEY: '' }, 'APP_ENCRYPTION_KEY'],
    [{ APP_DEBUG: 'maybe' }, 'APP_DEBUG'],
  ])(
    '%p',
    async (env, variable) => {
      const child = Bun.spawn(['./node_modules/.bin/bun', 'src/main.ts'], {
        env: { ...serverEnv(), ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
      expect(code).toBe(1)
      const lines = stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toStartWith(`hatchery: ${variable}:`)
    },
    30_000,
  )
})

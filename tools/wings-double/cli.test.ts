import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startFakePanel, type FakePanel } from './fake-panel'

let panel: FakePanel
beforeAll(() => void (panel = startFakePanel()))
afterAll(() => panel.stop())

const MAIN = new URL('./main.ts', import.meta.url).pathname

/** Runs the CLI and resolves with the URL it prints. */
async function start(...extra: string[]) {
  const child = Bun.spawn(
    [process.execPath, MAIN, '--panel', panel.url, '--token-id', panel.tokenId, '--token', panel.token, '--port', '0', ...extra],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return { child, line: text.trim() }
}

test('the CLI prints its URL, serves, and exits cleanly on SIGTERM', async () => {
  const { child, line } = await start('--fail', 'status=503@GET /api/system')
  expect(line).toMatch(/^wings-double listening on http:\/\/127\.0\.0\.1:\d+$/)
  const url = line.split(' ').pop()!
  const auth = { authorization: `Bearer ${panel.token}` }
  expect((await fetch(`${url}/api/system/overview`, { headers: auth })).status).toBe(200)
  expect((await fetch(`${url}/api/system`, { headers: auth })).status).toBe(503)
  expect((await fetch(`${url}/api/system/overview`)).status).toBe(401)
  child.kill('SIGTERM')
  expect(await child.exited).toBe(0)
  await expect(fetch(`${url}/api/system/overview`, { headers: auth })).rejects.toThrow()
})

test('SIGINT stops it too; missing arguments exit 2 with the usage', async () => {
  const { child } = await start()
  child.kill('SIGINT')
  expect(await child.exited).toBe(0)
  const bad = Bun.spawn([process.execPath, MAIN, '--panel', panel.url], { stdout: 'pipe', stderr: 'pipe' })
  expect(await bad.exited).toBe(2)
  expect(await new Response(bad.stderr).text()).toContain('--token-id')
  const badFault = Bun.spawn([process.execPath, MAIN, '--panel', panel.url, '--token-id', 'a', '--token', 'b', '--fail', 'nope'], {
    stderr: 'pipe',
  })
  expect(await badFault.exited).toBe(2)
})

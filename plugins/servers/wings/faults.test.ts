import { afterEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { useDouble } from '../../../tools/wings-double/harness'
import { WingsClient } from './client'
import { WingsUnreachable, type WingsOptions } from './transport'

const kit = useDouble()
afterEach(() => kit.wings.heal())

/** Short deadlines so that each failure shows within a test: 200 ms to connect, 400 ms in all. */
const FAST: WingsOptions = { connectTimeoutMs: 200, timeoutMs: 400 }
const client = (options: WingsOptions = FAST, url = kit.wings.url, token = kit.panel.token) =>
  new WingsClient({ uuid: randomUUID(), name: 'alpha', url, public_url: null, token }, options)

/** The error of `work`, and how long it took to come. */
async function failure(work: () => Promise<unknown>) {
  const started = performance.now()
  const error = await work().then(
    () => null,
    (e) => e,
  )
  return { error, ms: performance.now() - started }
}

function expectUnreachable(error: unknown, reasons: string[]) {
  expect(error).toBeInstanceOf(WingsUnreachable)
  const e = error as WingsUnreachable
  expect({ status: e.status, messages: e.messages }).toEqual({ status: 502, messages: ['node alpha is unreachable'] })
  expect(reasons).toContain(e.reason)
}

describe('a misbehaving node is a 502 within the deadline (spec 04 §1.4)', () => {
  test('down: connection refused', async () => {
    kit.wings.fail({ kind: 'down' })
    const { error, ms } = await failure(() => client().systemOverview())
    // Probed anew ('connect') or, having answered lately, refused by fetch ('network').
    expectUnreachable(error, ['connect', 'network'])
    expect(ms).toBeLessThan(400)
  })

  test('a node that never accepts the connection fails at the connect deadline', async () => {
    const blackHole = () => new Promise<void>(() => {})
    const { error, ms } = await failure(() => client({ ...FAST, connect: blackHole }, 'http://192.0.2.1:8080').systemStats())
    expectUnreachable(error, ['connect'])
    expect(ms).toBeGreaterThanOrEqual(190)
    expect(ms).toBeLessThan(390)
  })

  test('slow past the total deadline, structured and text answers alike', async () => {
    kit.wings.fail({ kind: 'slow', ms: 2_000 })
    for (const call of [() => client().systemOverview(), () => client().systemLog('wings.log', 10)]) {
      const { error, ms } = await failure(call)
      expectUnreachable(error, ['timeout'])
      expect(ms).toBeGreaterThanOrEqual(390)
      expect(ms).toBeLessThan(800)
    }
  })

  test("a call's own deadline is the shorter one (ports in use: 3 s)", async () => {
    kit.wings.fail({ kind: 'slow', ms: 3_500, route: 'GET /api/ports/used' })
    const { error, ms } = await failure(() => client({ timeoutMs: 10_000 }).portsUsed(['127.0.0.1']))
    expectUnreachable(error, ['timeout'])
    expect(ms).toBeGreaterThanOrEqual(2_990)
    expect(ms).toBeLessThan(3_400)
  })

  test('garbage: an HTML page, truncated JSON, a document of the wrong shape', async () => {
    kit.wings.fail({ kind: 'html', route: 'GET /api/system/overview', times: 1 })
    expectUnreachable((await failure(() => client().systemOverview())).error, ['garbage'])
    kit.wings.fail({ kind: 'truncated', route: 'GET /api/system/stats', times: 1 })
    expectUnreachable((await failure(() => client().systemStats())).error, ['garbage'])
    // `/api/system` answered where the overview is expected: JSON, but not an overview.
    const wrongShape: typeof fetch = ((url: URL, init: RequestInit) => fetch(new URL('/api/system', url), init)) as typeof fetch
    expectUnreachable((await failure(() => client({ ...FAST, fetch: wrongShape }).systemOverview())).error, ['garbage'])
    // An HTML page on a call whose answer is not used is garbage too (not Wings answering).
    kit.wings.fail({ kind: 'html', route: 'POST /api/servers', times: 1 })
    const create = () => client().createServer({ uuid: randomUUID(), start_on_completion: false, skip_scripts: true })
    expectUnreachable((await failure(create)).error, ['garbage'])
  })

  test("500, and other statuses that are not Wings' own 404/409/413/417, are 502", async () => {
    kit.wings.fail({ kind: 'status', route: 'GET /api/system/logs', times: 1 })
    expectUnreachable((await failure(() => client().systemLogs())).error, ['status'])
    // A 404 without Wings' `{"error"}` body (a proxy's page) is not passed through.
    const proxyPage = (async () =>
      new Response('<h1>Not Found</h1>', { status: 404, headers: { 'content-type': 'text/html' } })) as unknown as typeof fetch
    expectUnreachable((await failure(() => client({ ...FAST, fetch: proxyPage }).systemLogs())).error, ['status'])
    // The wrong token: Wings' 401 is the node refusing the panel, not the caller's business.
    expectUnreachable((await failure(() => client(FAST, kit.wings.url, 'x'.repeat(64)).systemInfo())).error, ['status'])
  })

  test('the node answers again once healed', async () => {
    const heal = kit.wings.fail({ kind: 'down' })
    expectUnreachable((await failure(() => client().systemInfo())).error, ['connect', 'network'])
    heal()
    expect(await client().systemInfo()).toMatchObject({ os: 'linux' })
  })
})

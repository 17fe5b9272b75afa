/** Test support: a fake panel and a double wired to it for one test file, and a small HTTP caller. */
import { afterAll, beforeAll, expect } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { remoteServer, startFakePanel, type FakePanel } from './fake-panel'
import { startWingsDouble, type WingsDouble, type WingsDoubleOptions } from './index'

export interface CallOptions {
  /** The node token by default; null sends no Authorization header. */
  token?: string | null
  headers?: Record<string, string>
  raw?: string | Uint8Array
}

export function useDouble(options: Partial<WingsDoubleOptions> = {}) {
  let panel!: FakePanel
  let wings!: WingsDouble

  beforeAll(async () => {
    panel = startFakePanel()
    wings = await startWingsDouble({
      panelUrl: panel.url,
      tokenId: panel.tokenId,
      token: panel.token,
      installDelayMs: 10,
      callbackDelayMs: 5,
      ...options,
    })
  })
  afterAll(async () => {
    const internal = wings.problems.filter((p) => p.startsWith('internal error') || p.startsWith('background task'))
    await wings.stop()
    await panel.stop()
    // A request that made the double fail internally is a bug of the double.
    expect(internal).toEqual([])
  })

  async function call(method: string, path: string, body?: unknown, options: CallOptions = {}) {
    const token = options.token === undefined ? panel.token : options.token
    const response = await fetch(wings.url + path, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    })
    const text = await response.text()
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, json, text, headers: response.headers }
  }

  /** Registers a server with the fake panel and creates it on the double (no install unless asked). */
  async function createServer(options: { skip_scripts?: boolean; patch?: Record<string, unknown> } = {}) {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid, options.patch))
    const created = await call('POST', '/api/servers', { uuid, start_on_completion: false, skip_scripts: options.skip_scripts ?? true })
    expect(created).toMatchObject({ status: 200, json: {} })
    return uuid
  }

  return {
    get panel() {
      return panel
    },
    get wings() {
      return wings
    },
    call,
    createServer,
  }
}

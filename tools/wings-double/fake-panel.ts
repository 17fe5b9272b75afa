/**
 * Test support: the smallest panel the double can talk to. It serves `/api/remote/servers/{uuid}` and
 * the install script, and records the install and backup callbacks, after checking the node's
 * `Bearer <token_id>.<token>` as the panel does (spec 04 §3.1).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Server } from 'bun'

export interface PanelCall {
  method: string
  path: string
  body: unknown
  authorized: boolean
}

const alnum = (length: number) =>
  [...randomBytes(length)].map((byte) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'[byte % 62]).join('')

/** A valid §3.3 document; `patch` replaces top-level parts of `settings`. */
export function remoteServer(uuid: string, patch: Record<string, unknown> = {}) {
  return {
    settings: {
      uuid,
      start_on_completion: null,
      meta: { name: 'Paper', description: '' },
      suspended: false,
      invocation: 'java -Xms128M -jar {{SERVER_JARFILE}}',
      skip_egg_scripts: false,
      entrypoint: null,
      environment: { SERVER_JARFILE: 'server.jar' },
      labels: {},
      backups: [],
      schedules: [],
      allocations: { force_outgoing_ip: false, default: { ip: '127.0.0.1', port: 25565 }, mappings: { '127.0.0.1': [25565, 25566] } },
      build: {
        memory_limit: 1024,
        overhead_memory: 0,
        swap: 0,
        io_weight: null,
        cpu_limit: 100,
        disk_space: 1,
        threads: null,
        oom_disabled: false,
      },
      mounts: [],
      egg: { id: randomUUID(), file_denylist: [] },
      container: {
        image: 'ghcr.io/pterodactyl/yolks:java_21',
        timezone: null,
        hugepages_passthrough_enabled: false,
        kvm_passthrough_enabled: false,
        seccomp: { remove_allowed: [] },
      },
      auto_kill: { enabled: false, seconds: 30 },
      auto_start_behavior: 'unless_stopped',
      ...patch,
    },
    process_configuration: {
      startup: { done: [')! For help, type '], strip_ansi: false },
      stop: { type: 'command', value: 'stop' },
      configs: [
        {
          file: 'server.properties',
          parser: 'properties',
          replace: [{ match: 'server-port', replace_with: '{{server.build.default.port}}' }],
        },
      ],
    },
  }
}

export interface FakePanel {
  url: string
  tokenId: string
  token: string
  /** Documents served by `GET /api/remote/servers/{uuid}` and, in order, by the pages of `GET /api/remote/servers` (any value, to test bad documents). */
  configs: Map<string, unknown>
  calls: PanelCall[]
  /** Resolves with the first call matching `method path` (polling every 5 ms, up to `ms`). */
  waitFor(method: string, path: string, ms?: number): Promise<PanelCall>
  stop(): Promise<void>
}

export function startFakePanel(): FakePanel {
  const tokenId = alnum(16)
  const token = alnum(64)
  const configs = new Map<string, unknown>()
  const calls: PanelCall[] = []
  const json = (status: number, value: unknown) => Response.json(value, { status })

  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url)
      const text = await request.text()
      const authorized = request.headers.get('authorization') === `Bearer ${tokenId}.${token}`
      const call = { method: request.method, path: url.pathname, body: text ? JSON.parse(text) : undefined, authorized }
      calls.push(call)
      if (!authorized) return json(401, { errors: ['invalid token'] })
      if (url.pathname === '/api/remote/servers/reset' && request.method === 'POST') return json(200, {})
      if (url.pathname === '/api/remote/servers' && request.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1)
        const perPage = Number(url.searchParams.get('per_page') ?? 25)
        const all = [...configs.values()]
        const meta = { current_page: page, last_page: Math.ceil(all.length / perPage), total: all.length }
        return json(200, { data: all.slice((page - 1) * perPage, page * perPage), meta })
      }
      const single = /^\/api\/remote\/servers\/([^/]+)$/.exec(url.pathname)
      if (single && request.method === 'GET')
        return configs.has(single[1]) ? json(200, configs.get(single[1])) : json(404, { errors: ['server not found'] })
      if (/^\/api\/remote\/servers\/[^/]+\/install$/.test(url.pathname)) {
        if (request.method === 'GET')
          return json(200, { container_image: 'alpine:3', entrypoint: 'ash', script: 'echo ok', environment: {} })
        return json(200, {})
      }
      if (/^\/api\/remote\/backups\/[^/]+(\/deletion|\/restore)?$/.test(url.pathname) && request.method === 'POST') return json(200, {})
      return json(404, { errors: ['route not found'] })
    },
  })

  return {
    url: `http://127.0.0.1:${server.port}`,
    tokenId,
    token,
    configs,
    calls,
    async waitFor(method, path, ms = 2000) {
      const deadline = Date.now() + ms
      for (;;) {
        const call = calls.find((c) => c.method === method && c.path === path)
        if (call) return call
        if (Date.now() > deadline) throw new Error(`the panel never received ${method} ${path}`)
        await Bun.sleep(5)
      }
    },
    stop: () => server.stop(true),
  }
}

/**
 * The double's state and the work it does on its own: the in-memory servers and backups, the calls it
 * makes to the panel's `/api/remote` (spec 04 §3), installs and backups that finish later, and the logs
 * tests assert on.
 */
import type { ServerWebSocket } from 'bun'
import { Faults } from './faults'
import { msgpack, WingsError } from './http'
import { FileTree } from './files'
import { ScheduleRunner } from './schedules'
import { firstError, InstallationScript, RemotePage, RemoteServer, type PowerAction } from './schemas'
import { defaultConfig } from './system'
import type {
  CallbackRecord,
  DoubleBackup,
  DoubleServer,
  LoggedRequest,
  OutgoingTransfer,
  ServerState,
  SocketData,
  WingsDoubleOptions,
} from './types'

const seconds = (ms: number) => Math.floor(ms / 1000)

export class WingsNode {
  readonly servers = new Map<string, DoubleServer>()
  readonly backups = new Map<string, DoubleBackup>()
  /** Outgoing transfers by server uuid (transfers.ts). */
  readonly transfers = new Map<string, OutgoingTransfer>()
  readonly requests: LoggedRequest[] = []
  readonly callbacks: CallbackRecord[] = []
  /** Contract violations by the panel (bad documents, refused callbacks), for assertions. */
  readonly problems: string[] = []
  readonly faults = new Faults()
  /** The schedules of the servers' configurations: triggers, runs and their reports. */
  readonly schedules: ScheduleRunner = new ScheduleRunner(this)
  readonly sockets = new Set<ServerWebSocket<SocketData>>()
  /** jti → the second it was denied (spec 04 §2.3). */
  readonly denied = new Map<string, number>()
  /** Tokens issued before this second are refused (a restarted Wings). */
  readonly bootedAt = seconds(Date.now())
  readonly config: Record<string, any>
  private readonly pending = new Set<Promise<unknown>>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly stopping = new AbortController()

  constructor(
    readonly options: Required<Omit<WingsDoubleOptions, 'usedPorts' | 'panelFetch'>> & Pick<WingsDoubleOptions, 'usedPorts' | 'panelFetch'>,
  ) {
    this.config = defaultConfig(options)
  }

  problem(message: string) {
    this.problems.push(message)
  }

  server(uuid: string): DoubleServer {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) throw new WingsError(400, 'invalid server uuid')
    const server = this.servers.get(uuid.toLowerCase())
    if (!server) throw new WingsError(404, 'server not found')
    return server
  }

  /** Runs `work` after `ms`, tracked so `idle()` can wait for it and `close()` can cancel it. */
  later(ms: number, work: () => Promise<unknown> | unknown): ReturnType<typeof setTimeout> {
    let finish!: () => void
    const done = new Promise<void>((resolve) => (finish = resolve))
    this.pending.add(done)
    const timer = setTimeout(async () => {
      this.timers.delete(timer)
      try {
        await work()
      } catch (error) {
        this.problem(`background task failed: ${(error as Error).message}`)
      } finally {
        this.pending.delete(done)
        finish()
      }
    }, ms)
    ;(timer as any).finish = () => {
      this.pending.delete(done)
      finish()
    }
    this.timers.add(timer)
    return timer
  }

  cancel(timer: ReturnType<typeof setTimeout> | undefined) {
    if (!timer) return
    clearTimeout(timer)
    this.timers.delete(timer)
    ;(timer as any).finish?.()
  }

  /** Resolves once every scheduled install, backup and callback has finished. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending])
  }

  close() {
    this.stopping.abort()
    this.schedules.stop()
    for (const timer of [...this.timers]) this.cancel(timer)
    for (const socket of this.sockets) socket.close(1001, 'wings is shutting down')
  }

  /** A call to the panel, authenticated as Wings does (`Bearer <token_id>.<token>`, spec 04 §3.1). */
  async remote(method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown }> {
    const record: CallbackRecord = { method, path: `/api/remote${path}`, body, status: null, at: new Date() }
    this.callbacks.push(record)
    const base = this.options.panelUrl.replace(/\/+$/, '')
    try {
      const request = new Request(`${base}/api/remote${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.tokenId}.${this.options.token}`,
          accept: 'application/vnd.pterodactyl.v1+json',
          'user-agent': `calagopus-rs wings/v${this.options.version} (id:${this.options.tokenId})`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.remoteTimeoutMs)]),
      })
      const response = await (this.options.panelFetch ?? fetch)(request)
      record.status = response.status
      const text = await response.text()
      let data: unknown = text
      try {
        data = text ? JSON.parse(text) : undefined
      } catch {
        if (response.ok) record.error = 'the panel answered with something that is not JSON'
      }
      if (!response.ok) record.error = `the panel answered ${response.status}: ${text.slice(0, 200)}`
      return { status: response.status, data }
    } catch (error) {
      record.error = (error as Error).message
      throw new WingsError(502, `failed to reach the panel: ${record.error}`)
    }
  }

  /** A server as Wings holds one it was just given: offline, no files, not installing. */
  addServer(uuid: string, config: RemoteServer, startOnCompletion = false): DoubleServer {
    const server: DoubleServer = {
      uuid,
      config,
      state: 'offline',
      installing: false,
      reinstall: false,
      startOnCompletion,
      files: new FileTree(),
      console: [],
      installLog: null,
      permissions: new Map(),
      startedAt: null,
    }
    this.servers.set(uuid, server)
    return server
  }

  /**
   * Wings' boot (spec 04 §3.2): `POST /api/remote/servers/reset`, then `GET /api/remote/servers`
   * page by page until `current_page ≥ last_page`, each page checked against §3.3. The documents
   * replace the configurations of known servers and add the others; returns how many were read.
   * A refusal or a bad page is a problem and throws (Wings exits when its boot fails).
   */
  async boot(perPage = 50): Promise<number> {
    const reset = await this.remote('POST', '/servers/reset')
    if (reset.status !== 200) {
      this.problem(`POST /api/remote/servers/reset answered ${reset.status}`)
      throw new WingsError(502, `the panel refused the boot reset (status ${reset.status})`)
    }
    let read = 0
    for (let page = 1; ; page++) {
      const path = `/servers?page=${page}&per_page=${perPage}`
      const { status, data } = await this.remote('GET', path)
      const error = status === 200 ? firstError(RemotePage, data) : `status ${status}`
      if (error) {
        this.problem(`GET /api/remote${path}: ${error}`)
        throw new WingsError(502, `could not read the servers from the panel: ${error}`)
      }
      const { data: configs, meta } = data as RemotePage
      for (const config of configs) {
        const uuid = config.settings.uuid.toLowerCase()
        const known = this.servers.get(uuid)
        if (known) known.config = config
        else this.addServer(uuid, config)
      }
      read += configs.length
      if (meta.current_page >= meta.last_page) return read
    }
  }

  /** `GET /api/remote/servers/{uuid}`, checked against spec 04 §3.3. */
  async fetchConfiguration(uuid: string): Promise<RemoteServer> {
    const { status, data } = await this.remote('GET', `/servers/${uuid}`)
    if (status !== 200) {
      this.problem(`GET /api/remote/servers/${uuid} answered ${status}`)
      throw new WingsError(502, `failed to fetch the server configuration from the panel (status ${status})`)
    }
    const error = firstError(RemoteServer, data)
    if (error) {
      this.problem(`GET /api/remote/servers/${uuid}: invalid server configuration: ${error}`)
      throw new WingsError(400, `invalid server configuration from the panel: ${error}`)
    }
    const config = data as RemoteServer
    if (config.settings.uuid.toLowerCase() !== uuid) {
      this.problem(`GET /api/remote/servers/${uuid}: configuration is for ${config.settings.uuid}`)
      throw new WingsError(400, 'the panel answered with the configuration of another server')
    }
    return config
  }

  /**
   * Runs an install after `installDelayMs`: fetches the egg's script when none was given (as Wings does
   * for an initial install), then reports `POST /api/remote/servers/{uuid}/install`.
   */
  install(server: DoubleServer, reinstall: boolean, script: unknown) {
    server.installing = true
    server.reinstall = reinstall
    server.installLog = ['[double] installation started']
    this.broadcast(server.uuid, 'install started', [])
    server.installTimer = this.later(this.options.installDelayMs, async () => {
      let successful = !this.faults.has('install-fails')
      if (!script) {
        const { status, data } = await this.remote('GET', `/servers/${server.uuid}/install`).catch(() => ({ status: 0, data: null }))
        const error = status === 200 ? firstError(InstallationScript, data) : `status ${status}`
        if (error) {
          this.problem(`GET /api/remote/servers/${server.uuid}/install: ${error}`)
          successful = false
        }
      }
      if (this.servers.get(server.uuid) !== server || !server.installing) return
      server.installLog?.push(successful ? '[double] installation finished' : '[double] installation failed')
      await this.finishInstall(server, successful)
    })
  }

  async finishInstall(server: DoubleServer, successful: boolean) {
    server.installing = false
    server.installTimer = undefined
    this.broadcast(server.uuid, 'install completed', [String(successful)])
    const { status } = await this.remote('POST', `/servers/${server.uuid}/install`, { successful, reinstall: server.reinstall }).catch(
      () => ({ status: 0 }),
    )
    if (status !== 200) this.problem(`POST /api/remote/servers/${server.uuid}/install answered ${status || 'nothing'}`)
    if (successful && server.startOnCompletion && !server.config.settings.suspended) this.power(server, 'start')
  }

  /** Power actions take effect at once (Wings does them asynchronously; the panel only awaits the 202). */
  power(server: DoubleServer, action: PowerAction): boolean {
    this.schedules.powered(server, action)
    if (action === 'start' || action === 'restart') {
      if (server.installing || server.config.settings.suspended) return false
      if (action === 'start' && server.state === 'running') return true
      this.setState(server, 'starting')
      server.console.push('[double] server marked as starting')
      this.setState(server, 'running')
      server.startedAt = Date.now()
    } else if (server.state !== 'offline') {
      this.setState(server, 'stopping')
      this.setState(server, 'offline')
      server.startedAt = null
    }
    return true
  }

  setState(server: DoubleServer, state: ServerState) {
    server.state = state
    this.schedules.changed(server, state)
    this.broadcast(server.uuid, 'status', [state])
  }

  broadcast(uuid: string, event: string, args: string[]) {
    for (const socket of this.sockets) {
      if (socket.data.server !== uuid || !socket.data.claims) continue
      send(socket, event, args)
    }
  }

  /** Closes the sockets of one server (or every server) that `drop` selects. */
  disconnect(drop: (data: SocketData) => boolean, reason: string) {
    for (const socket of [...this.sockets]) if (drop(socket.data)) socket.close(4403, reason)
  }

  /** `ResourceUsage` of spec 04 §1.5. */
  utilization(server: DoubleServer) {
    const running = server.state === 'running'
    const memoryLimit = server.config.settings.build.memory_limit * 1024 * 1024
    return {
      memory_bytes: running ? Math.min(memoryLimit || 1 << 30, 256 * 1024 * 1024) : 0,
      memory_limit_bytes: memoryLimit,
      disk_bytes: server.files.size,
      state: server.state,
      network: { rx_bytes: 0, rx_packets: 0, tx_bytes: 0, tx_packets: 0 },
      cpu_absolute: running ? 1.5 : 0,
      cpu_limit_absolute: server.config.settings.build.cpu_limit,
      uptime: running && server.startedAt ? Date.now() - server.startedAt : 0,
    }
  }
}

/** Sends an event in the socket's framing: JSON text, or MessagePack `[event, args]` once binary mode is on. */
export function send(socket: ServerWebSocket<SocketData>, event: string, args: string[]) {
  if (socket.data.binary) socket.sendBinary(msgpack.pack([event, args]))
  else socket.sendText(JSON.stringify({ event, args }))
}

import type { Secrets } from 'hatchery'
import { revealToken, type NodeRow } from '../../nodes'
import {
  Affected,
  Anything,
  ConfigApplied,
  PortsUsed,
  ScheduleStatus,
  SystemInfo,
  SystemLogs,
  SystemOverview,
  SystemStats,
  Transfers,
  Utilization,
  WingsConfig,
  type InstallationScript,
  type PowerAction,
  type ServerSelector,
  type TransferRequest,
} from './model'
import { send, type Call, type WingsOptions, type WingsTarget } from './transport'
import type { TSchema } from '@sinclair/typebox'

const server = (uuid: string) => `/api/servers/${encodeURIComponent(uuid)}`

/**
 * The panel's side of the Wings HTTP API (spec 04 §1), one node at a time: every plugin that talks
 * to a node goes through it. Each method is one Wings endpoint; failures are typed: a node that is
 * down, late or answering garbage throws `WingsUnreachable` (502 `node <name> is unreachable`),
 * Wings' 404/409/413/417 are thrown with Wings' status and message.
 * @example
 * const wings = WingsClient.of(ctx.secrets, nodeRow)
 * await wings.createServer({ uuid, start_on_completion: false, skip_scripts: false })
 * const { applied } = await wings.updateConfig({ api: { upload_limit: 100 } })
 */
export class WingsClient {
  constructor(
    readonly target: WingsTarget,
    readonly options: WingsOptions = {},
  ) {}

  /** The client of a stored node (its token decrypted here, never kept elsewhere). */
  static of(secrets: Secrets, node: NodeRow, options: WingsOptions = {}): WingsClient {
    const { token } = revealToken(secrets, node)
    return new WingsClient({ uuid: node.uuid, name: node.name, url: node.url, public_url: node.public_url, token }, options)
  }

  /** Base URL for browsers (websocket, downloads): `public_url`, else `url` (spec 04 §1.1). */
  get publicUrl(): string {
    return this.target.public_url ?? this.target.url
  }

  private call<S extends TSchema | 'text'>(call: Call<S>) {
    return send(this.target, call, this.options)
  }

  // System and node (spec 04 §1.6 A)
  systemInfo() {
    return this.call({ method: 'GET', path: '/api/system', answer: SystemInfo })
  }
  /** `timeoutMs`: 2 s on the health and update pages (spec 04 §1.4). */
  systemOverview(timeoutMs?: number) {
    return this.call({ method: 'GET', path: '/api/system/overview', answer: SystemOverview, timeoutMs })
  }
  systemStats() {
    return this.call({ method: 'GET', path: '/api/system/stats', answer: SystemStats })
  }
  systemLogs() {
    return this.call({ method: 'GET', path: '/api/system/logs', answer: SystemLogs })
  }
  systemLog(file: string, lines: number) {
    return this.call({ method: 'GET', path: `/api/system/logs/${encodeURIComponent(file)}`, query: { lines }, answer: 'text' })
  }
  config() {
    return this.call({ method: 'GET', path: '/api/system/config', answer: WingsConfig })
  }
  /** The patch must already be stripped of the paths a panel may not change (spec 02 §6.8 c). */
  updateConfig(patch: Record<string, unknown>) {
    return this.call({ method: 'POST', path: '/api/update', body: patch, answer: ConfigApplied })
  }
  /** Ports in use per IP; 3 s (spec 04 §1.4). */
  portsUsed(ips: string[]) {
    return this.call({ method: 'GET', path: '/api/ports/used', query: { ip: ips }, answer: PortsUsed, timeoutMs: 3_000 })
  }
  utilization() {
    return this.call({ method: 'GET', path: '/api/servers/utilization', answer: Utilization })
  }
  powerMany(servers: ServerSelector, action: PowerAction) {
    return this.call({ method: 'POST', path: '/api/servers/power', body: { servers, action, wait_seconds: null }, answer: Affected })
  }

  // Server lifecycle (spec 04 §1.6 B)
  /** Wings fetches the server's configuration from `/api/remote` before it answers: commit the row first. */
  async createServer(body: { uuid: string; start_on_completion: boolean; skip_scripts: boolean }): Promise<void> {
    await this.call({ method: 'POST', path: '/api/servers', body, answer: Anything })
  }
  /** Pushes the configuration document (spec 04 §3.3); without one Wings fetches it from the panel. */
  async syncServer(uuid: string, document?: unknown): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${server(uuid)}/sync`,
      body: document === undefined ? {} : { server: document },
      answer: Anything,
    })
  }
  /** `timeoutMs`: a shorter deadline where the answer is not waited for (clear-state's destination node). */
  async deleteServer(uuid: string, timeoutMs?: number): Promise<void> {
    await this.call({ method: 'DELETE', path: server(uuid), answer: Anything, timeoutMs })
  }
  async reinstallServer(uuid: string, body: { truncate_directory: boolean; installation_script: InstallationScript }): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/reinstall`, body, answer: Anything })
  }
  async abortInstall(uuid: string): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/install/abort`, answer: Anything })
  }
  /** Sets what users may do on the server's console and SFTP now (spec 04 §1.6); an empty list closes their sockets. */
  async wsPermissions(uuid: string, userPermissions: { user: string; permissions: string[]; ignored_files: string[] }[]): Promise<void> {
    await this.call({
      method: 'POST',
      path: `${server(uuid)}/ws/permissions`,
      body: { user_permissions: userPermissions },
      answer: Anything,
    })
  }
  /** Refuses the console tokens with these ids (the panel uses user uuids) and disconnects them. */
  async wsDeny(uuid: string, jtis: string[]): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/ws/deny`, body: { jtis }, answer: Anything })
  }
  async power(uuid: string, action: PowerAction): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/power`, body: { action, wait_seconds: null }, answer: Anything })
  }
  async sendCommands(uuid: string, commands: string[]): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/commands`, body: { commands }, answer: Anything })
  }
  // Schedules (spec 04 §1.6 G): the node knows them from the synced configuration.
  scheduleStatus(uuid: string, schedule: string) {
    return this.call({ method: 'GET', path: `${server(uuid)}/schedules/${encodeURIComponent(schedule)}`, answer: ScheduleStatus })
  }
  async triggerSchedule(uuid: string, schedule: string, skipCondition: boolean): Promise<void> {
    const path = `${server(uuid)}/schedules/${encodeURIComponent(schedule)}/trigger`
    await this.call({ method: 'POST', path, body: { skip_condition: skipCondition }, answer: Anything })
  }
  async abortSchedule(uuid: string, schedule: string): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/schedules/${encodeURIComponent(schedule)}/abort`, answer: Anything })
  }
  serverLogs(uuid: string, lines: number) {
    return this.call({ method: 'GET', path: `${server(uuid)}/logs`, query: { lines }, answer: 'text' })
  }
  installLogs(uuid: string, lines: number) {
    return this.call({ method: 'GET', path: `${server(uuid)}/logs/install`, query: { lines }, answer: 'text' })
  }

  // Transfers (spec 04 §1.6 F)
  /** Asks the source node to stream the server to `body.url` (the destination's `/api/transfers`). */
  async startTransfer(uuid: string, body: TransferRequest): Promise<void> {
    await this.call({ method: 'POST', path: `${server(uuid)}/transfer`, body, answer: Anything })
  }
  /** Aborts the source node's outgoing transfer (417 `server is not transferring` passed through). */
  async cancelTransfer(uuid: string, timeoutMs?: number): Promise<void> {
    await this.call({ method: 'DELETE', path: `${server(uuid)}/transfer`, answer: Anything, timeoutMs })
  }
  /** The node's outgoing transfers' progress by server uuid. */
  transfers() {
    return this.call({ method: 'GET', path: '/api/transfers', answer: Transfers })
  }
}

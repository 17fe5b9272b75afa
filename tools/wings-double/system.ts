/** Node-wide routes: system information, the live configuration, used ports (spec 04 §1.6 A). */
import { query, WingsError } from './http'
import type { WingsDoubleOptions } from './types'
import type { Route } from './route'
import { Bodies } from './schemas'

/** The paths the panel must strip from a configuration update (spec 02 §6.8 (c)); Wings never takes them from a panel. */
const FORBIDDEN = [
  'uuid',
  'token',
  'token_id',
  'remote',
  'remote_headers',
  'system.root_directory',
  'system.log_directory',
  'system.data',
  'system.diffs_directory',
  'system.vmount_directory',
  'system.archive_directory',
  'system.backup_directory',
  'system.tmp_directory',
  'system.passwd',
  'system.backups.restic.repository',
  'system.backups.restic.password_file',
  'system.backups.mounting.path',
  'system.username',
  'system.user',
  'docker.socket',
  'allowed_mounts',
  'ignore_panel_config_updates',
  'ignore_panel_wings_upgrades',
  'api.host',
  'api.port',
  'api.ssl',
  'api.trusted_proxies',
  'api.disable_remote_download',
  'api.remote_download_blocked_cidrs',
  'api.schedule.steps.http_request',
]

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value)

function has(object: Record<string, any>, path: string): boolean {
  let at: any = object
  for (const key of path.split('.')) {
    if (!isObject(at) || !(key in at)) return false
    at = at[key]
  }
  return true
}

function merge(target: Record<string, any>, patch: Record<string, any>) {
  for (const [key, value] of Object.entries(patch)) {
    if (isObject(value) && isObject(target[key])) merge(target[key], value)
    else target[key] = value
  }
}

/** A Wings configuration with the top-level keys of spec 02 §6.8 (b); nested sections are abridged. */
export function defaultConfig(options: Required<Pick<WingsDoubleOptions, 'nodeUuid' | 'tokenId' | 'token' | 'panelUrl' | 'port'>>) {
  return {
    debug: false,
    app_name: 'Wings double',
    uuid: options.nodeUuid,
    token_id: options.tokenId,
    token: options.token,
    api: {
      host: '0.0.0.0',
      port: options.port,
      ssl: { enabled: false, ktls_enabled: false, cert: '', key: '' },
      redirects: {},
      disable_openapi_docs: true,
      disable_remote_download: false,
      server_remote_download_limit: 3,
      remote_download_blocked_cidrs: [],
      disable_directory_size: false,
      directory_entry_limit: 10000,
      send_offline_server_logs: false,
      file_search_threads: 4,
      file_copy_threads: 4,
      file_decompression_threads: 2,
      file_compression_threads: 2,
      upload_limit: 0,
      max_jwt_uses: 5,
      trusted_proxies: [],
      schedule: {
        steps: { http_request: { enabled: true, requests: 10, window_seconds: 60, max_response_size: 1048576, blocked_cidrs: [] } },
      },
    },
    system: {
      root_directory: '/var/lib/pterodactyl',
      log_directory: '/var/log/pterodactyl',
      data: '/var/lib/pterodactyl/volumes',
      archive_directory: '/var/lib/pterodactyl/archives',
      backup_directory: '/var/lib/pterodactyl/backups',
      tmp_directory: '/tmp/pterodactyl',
      username: 'pterodactyl',
      timezone: 'UTC',
      user: { rootless: { enabled: false, container_uid: 0, container_gid: 0 }, uid: 988, gid: 988 },
      passwd: { enabled: false, directory: '/run/wings/etc' },
      activity_send_interval: 60,
      activity_send_count: 100,
      websocket_log_count: 150,
      sftp: { enabled: true, bind_address: '0.0.0.0', bind_port: 2022, read_only: false },
      crash_detection: { enabled: true, detect_clean_exit_as_crash: true, timeout: 60 },
    },
    docker: { socket: '/var/run/docker.sock', network: { name: 'pterodactyl_nw' }, tmpfs_size: 100, container_pid_limit: 512 },
    throttles: { enabled: true, lines: 2000, line_reset_interval: 100 },
    remote: options.panelUrl,
    remote_headers: {},
    remote_query: { timeout: 30, boot_servers_per_page: 50, retry_limit: 10 },
    allowed_mounts: [],
    allowed_origins: [],
    allow_cors_private_network: false,
    ignore_panel_config_updates: false,
    ignore_panel_wings_upgrades: false,
  }
}

const WINGS_LOG = ['INFO booting wings double', 'INFO configured the panel connection', 'INFO listening for HTTP requests']

export const systemRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/system',
    handle: (ctx) =>
      ctx.reply(200, {
        architecture: 'amd64',
        cpu_count: 4,
        kernel_version: '6.1.0-double',
        os: 'linux',
        version: ctx.node.options.version,
      }),
  },
  {
    method: 'GET',
    path: '/api/system/overview',
    handle: (ctx) => {
      const { node } = ctx
      const online = [...node.servers.values()].filter((s) => s.state !== 'offline').length
      return ctx.reply(200, {
        version: node.options.version,
        local_time: new Date(Date.now() + node.options.clockOffsetMs).toISOString(),
        container_type: 'none',
        cpu: { name: 'cpu0', brand: 'Double CPU', vendor_id: 'GenuineDouble', frequency_mhz: 3000, cpu_count: 4 },
        memory: { total_bytes: 8 * 1024 ** 3, free_bytes: 6 * 1024 ** 3, used_bytes: 2 * 1024 ** 3, used_bytes_process: 64 * 1024 ** 2 },
        servers: { total: node.servers.size, online, offline: node.servers.size - online },
        architecture: 'amd64',
        kernel_version: '6.1.0-double',
      })
    },
  },
  {
    method: 'GET',
    path: '/api/system/stats',
    handle: (ctx) =>
      ctx.reply(200, {
        stats: {
          cpu: { used: 3.5, threads: 4, model: 'Double CPU' },
          network: {
            received: 0,
            received_packets: 0,
            receiving_rate: 0,
            received_packets_rate: 0,
            sent: 0,
            sent_packets: 0,
            sending_rate: 0,
            sending_packets_rate: 0,
          },
          memory: { used: 2 * 1024 ** 3, used_process: 64 * 1024 ** 2, total: 8 * 1024 ** 3 },
          disk: { used: 10 * 1024 ** 3, total: 100 * 1024 ** 3, read: 0, reading_rate: 0, written: 0, writing_rate: 0 },
        },
      }),
  },
  {
    method: 'GET',
    path: '/api/system/logs',
    handle: (ctx) =>
      ctx.reply(200, {
        log_files: [
          { name: 'wings.log', compression_type: 'none', size: WINGS_LOG.join('\n').length + 1, last_modified: new Date().toISOString() },
        ],
      }),
  },
  {
    method: 'GET',
    path: '/api/system/logs/:file',
    handle: (ctx) => {
      if (ctx.params.file !== 'wings.log') throw new WingsError(404, 'file not found')
      const { lines } = query(ctx.url, { lines: 'u64?' }) as { lines?: number }
      return new Response(WINGS_LOG.slice(-(lines ?? WINGS_LOG.length)).join('\n') + '\n', { headers: { 'content-type': 'text/plain' } })
    },
  },
  { method: 'GET', path: '/api/system/config', handle: (ctx) => ctx.reply(200, ctx.node.config) },
  {
    method: 'POST',
    path: '/api/update',
    handle: (ctx) => {
      const patch = ctx.body(Bodies.configUpdate)
      const forbidden = FORBIDDEN.filter((path) => has(patch, path))
      if (forbidden.length) {
        ctx.node.problem(`POST /api/update carried paths the panel must strip: ${forbidden.join(', ')}`)
        throw new WingsError(400, `the configuration update may not change ${forbidden.join(', ')}`)
      }
      if (ctx.node.config.ignore_panel_config_updates) return ctx.reply(200, { applied: false })
      merge(ctx.node.config, patch)
      return ctx.reply(200, { applied: true })
    },
  },
  {
    method: 'GET',
    path: '/api/ports/used',
    handle: (ctx) => {
      const { ip: ips } = query(ctx.url, { ip: 'string[]' }) as { ip: string[] }
      const used: Record<string, { port: number; server: string | null }[]> = {}
      for (const ip of ips) {
        const ports = (ctx.node.options.usedPorts?.[ip] ?? []).map((port) => ({ port, server: null as string | null }))
        for (const server of ctx.node.servers.values())
          for (const port of server.config.settings.allocations.mappings[ip] ?? []) ports.push({ port, server: server.uuid })
        used[ip] = ports
      }
      return ctx.reply(200, { used })
    },
  },
]

/** The shapes the double keeps and logs, shared by its modules and exported to tests. */
import type { FileTree } from './files'
import type { RemoteServer } from './schemas'

export type ServerState = 'offline' | 'starting' | 'stopping' | 'running'

export interface WingsDoubleOptions {
  /** The panel's base URL; the double calls `<panelUrl>/api/remote/...`. */
  panelUrl: string
  tokenId: string
  token: string
  /** 0 (default) picks a free port. */
  port?: number
  hostname?: string
  /** Delay before an install reports to the panel (default 100 ms). */
  installDelayMs?: number
  /** Delay before a backup or a backup deletion reports to the panel (default 20 ms). */
  callbackDelayMs?: number
  /** Deadline of each call to the panel (default 15 s, as Wings). */
  remoteTimeoutMs?: number
  /** The node's uuid in `GET /api/system/config`. */
  nodeUuid?: string
  /** Shifts `local_time` of the system overview, to test clock-drift checks. */
  clockOffsetMs?: number
  /** Ports `GET /api/ports/used` reports as taken by something other than a server, per IP. */
  usedPorts?: Record<string, number[]>
  version?: string
  /**
   * How the double reaches the panel; defaults to `fetch`. Tests of an app that never listens pass
   * `(request) => app.handle(request)` so the callbacks reach it in-process.
   */
  panelFetch?: (request: Request) => Response | Promise<Response>
}

export interface LoggedRequest {
  method: string
  path: string
  query: string
  headers: Record<string, string>
  /** The decoded structured body, the raw text of a file upload, or undefined. */
  body: unknown
  status: number
  /** Why the double refused the request (its `{"error"}` message), or the fault that answered it. */
  error?: string
  fault?: string
  /** How long a `slow` fault held the answer back. */
  delayedMs?: number
  at: Date
}

export interface CallbackRecord {
  method: string
  path: string
  body: unknown
  /** The panel's status; null when it could not be reached. */
  status: number | null
  error?: string
  at: Date
}

export interface DoubleServer {
  uuid: string
  config: RemoteServer
  state: ServerState
  installing: boolean
  startOnCompletion: boolean
  files: FileTree
  console: string[]
  installLog: string[] | null
  /** `ws/permissions` entries by user uuid. */
  permissions: Map<string, { permissions: string[]; ignored_files: string[] }>
  startedAt: number | null
  installTimer?: ReturnType<typeof setTimeout>
  /** Streaming out to another node, or arriving from one (transfers.ts). */
  transferring?: boolean
  reinstall: boolean
}

/** An outgoing transfer on the source node (`GET /api/transfers` shows its progress). */
export interface OutgoingTransfer {
  server: string
  /** The destination's `/api/transfers` URL. */
  destination: string
  abort: AbortController
  archive_bytes_processed: number
  network_bytes_processed: number
  bytes_total: number
  files_processed: number
}

export interface DoubleBackup {
  uuid: string
  server: string
  adapter: string
  checksum: string
  size: number
  files: number
  /** The tar.gz made of the server's files (absent until the backup is done). */
  archive?: Uint8Array
}

export interface SocketData {
  server: string
  claims: Record<string, unknown> | null
  permissions: string[]
  binary: boolean
}

/**
 * Injectable misbehaviour. HTTP faults apply to requests whose `METHOD /path` matches `route`
 * (every request when absent) and, with `times`, only to that many requests.
 *
 * `route` is a RegExp or a glob: `*` is one path segment, `**` anything, an optional leading method
 * (`POST /api/servers/*` or `/api/system/**`).
 */
export type RoutePattern = string | RegExp

interface Scoped {
  route?: RoutePattern
  times?: number
}

export type Fault =
  /** Stop listening: connections are refused until the fault is cleared. */
  | { kind: 'down' }
  /** Wait `ms` before answering. */
  | ({ kind: 'slow'; ms: number } & Scoped)
  /** Answer 200 with an HTML page. */
  | ({ kind: 'html' } & Scoped)
  /** Answer 200 `application/json` cut off mid-document. */
  | ({ kind: 'truncated' } & Scoped)
  /** Answer `status` (default 500) with `{"error":"internal server error"}`. */
  | ({ kind: 'status'; status?: number } & Scoped)
  /** Installs report `{"successful": false}`. */
  | { kind: 'install-fails' }
  /** Backups report `{"successful": false}`. */
  | { kind: 'backup-fails' }
  /** Backup deletions report `{"successful": false}` and keep the backup. */
  | { kind: 'backup-deletion-fails' }
  /** Backup restores report `{"successful": false}`. */
  | { kind: 'restore-fails' }
  /** An incoming transfer fails midway: half the files written, then `/transfer/failure` (transfers.ts). */
  | { kind: 'transfer-fails' }

export type HttpFault = Extract<Fault, { kind: 'slow' | 'html' | 'truncated' | 'status' }>

function compile(route: RoutePattern | undefined): (method: string, path: string) => boolean {
  if (route === undefined) return () => true
  if (route instanceof RegExp) return (method, path) => route.test(`${method} ${path}`)
  const match = /^([A-Z]+)\s+(.*)$/.exec(route.trim())
  const method = match?.[1]
  const glob = match ? match[2] : route.trim()
  const source = glob
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  const regex = new RegExp(`^${source}$`)
  return (m, path) => (!method || method === m) && regex.test(path)
}

export class Faults {
  private readonly active: { fault: Fault; matches: (method: string, path: string) => boolean; left: number }[] = []

  add(fault: Fault): () => void {
    const scoped = fault as Scoped
    const entry = { fault, matches: compile(scoped.route), left: scoped.times ?? Infinity }
    this.active.push(entry)
    return () => {
      const at = this.active.indexOf(entry)
      if (at >= 0) this.active.splice(at, 1)
    }
  }

  clear() {
    this.active.length = 0
  }

  has(kind: Fault['kind']): boolean {
    return this.active.some((entry) => entry.fault.kind === kind)
  }

  /** The HTTP faults this request triggers (consuming their `times`). */
  take(method: string, path: string): HttpFault[] {
    const hits: HttpFault[] = []
    for (const entry of [...this.active]) {
      const { fault } = entry
      if (fault.kind !== 'slow' && fault.kind !== 'html' && fault.kind !== 'truncated' && fault.kind !== 'status') continue
      if (entry.left <= 0 || !entry.matches(method, path)) continue
      entry.left--
      hits.push(fault)
    }
    return hits
  }
}

/**
 * The CLI form: `down`, `install-fails`, `backup-fails`, `backup-deletion-fails`, `restore-fails`, `transfer-fails`, `slow=MS`, `html`,
 * `truncated`, `status=CODE`, each optionally followed by `@ROUTE` (`slow=20000@POST /api/servers`).
 */
export function parseFault(text: string): Fault {
  const at = text.indexOf('@')
  const head = at >= 0 ? text.slice(0, at) : text
  const route = at >= 0 ? text.slice(at + 1) : undefined
  const [kind, arg] = head.split('=') as [string, string | undefined]
  const number = (name: string) => {
    const value = Number(arg)
    if (!arg || !Number.isInteger(value) || value < 0) throw new Error(`--fail ${kind} needs =<${name}> (a whole number)`)
    return value
  }
  switch (kind) {
    case 'down':
    case 'install-fails':
    case 'backup-fails':
    case 'backup-deletion-fails':
    case 'restore-fails':
    case 'transfer-fails':
      return { kind }
    case 'slow':
      return { kind, ms: number('milliseconds'), route }
    case 'html':
    case 'truncated':
      return { kind, route }
    case 'status':
      return { kind, status: arg === undefined ? 500 : number('status'), route }
    default:
      throw new Error(`unknown fault "${kind}"`)
  }
}

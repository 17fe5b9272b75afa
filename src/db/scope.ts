import { AsyncLocalStorage } from 'node:async_hooks'

/** What the database layer knows of the request a statement is made for. */
export interface QueryScope {
  /** `performance.now()` after which the request's statements are refused (ROLLBACK excepted). */
  deadline?: number
  /** Logged when a COMMIT's outcome is unknown. */
  requestId?: string
  /** Connecting to the database failed in this request: its next statements fail at once. */
  unreachable?: boolean
  /** The settings snapshot the request reads (the kernel's settings service keeps it here). */
  settings?: unknown
}

/**
 * The request in flight, as seen from the database layer. The kernel enters it for every
 * request; jobs and the CLI run outside it (no deadline).
 * @example queryScope.run({ deadline: performance.now() + 30_000 }, () => handle(request))
 */
export const queryScope = new AsyncLocalStorage<QueryScope>()

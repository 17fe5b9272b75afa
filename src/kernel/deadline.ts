import { queryScope, type QueryScope } from '../db/scope'
import { ServiceUnavailable } from './errors'
import { errorResponse, pathOf } from './http'
import type { Logger } from './logger'

interface InFlight {
  request: Request
  scope: QueryScope
  answer(response: Response): void
}

/**
 * The request deadline. Each request runs in a `queryScope` whose `deadline` the database layer
 * enforces (a late request's further statements are refused, so its transaction rolls back);
 * one sweeper, not a timer per request, answers a request still running at its deadline with
 * 503 `request timed out` (within `tickMs`). A route's `timeout` moves or lifts the deadline
 * by changing `scope.deadline` once routed (see http.ts).
 */
export class Deadlines {
  private inFlight = new Set<InFlight>()
  private timer: ReturnType<typeof setInterval>

  constructor(
    private timeoutMs: number,
    private log: Logger,
    tickMs = 100,
  ) {
    this.timer = setInterval(() => this.sweep(), tickMs)
    this.timer.unref?.()
  }

  /** Runs `handle` under the deadline; resolves with its response, or with the 503 if it is late. */
  run(request: Request, handle: () => Promise<Response>): Promise<Response> {
    const scope: QueryScope = { deadline: performance.now() + this.timeoutMs }
    return new Promise<Response>((resolve, reject) => {
      const entry: InFlight = { request, scope, answer: resolve }
      this.inFlight.add(entry)
      // Only the handler needs the scope; settling the answer does not.
      queryScope.run(scope, handle).then(
        (response) => {
          this.inFlight.delete(entry)
          resolve(response)
        },
        (error) => {
          this.inFlight.delete(entry)
          reject(error)
        },
      )
    })
  }

  private sweep(): void {
    const now = performance.now()
    for (const entry of this.inFlight) {
      const { deadline, requestId } = entry.scope
      if (deadline === undefined || now <= deadline) continue
      this.inFlight.delete(entry)
      this.log.warn('request timed out', { request_id: requestId, method: entry.request.method, path: pathOf(entry.request.url) })
      entry.answer(errorResponse(entry.request, new ServiceUnavailable('request timed out', 1)))
    }
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

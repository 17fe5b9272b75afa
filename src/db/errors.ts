/**
 * An error and the errors it wraps (`cause`), outermost first: Drizzle wraps the driver's error,
 * which may wrap a socket error. At most `depth` of them.
 */
export function* causes(error: unknown, depth = 5): Generator<any> {
  let e: any = error
  for (let i = 0; e && i < depth; i++) {
    yield e
    e = e.cause
  }
}

/** A statement was refused because its request ran past the deadline. */
export class DeadlineExceeded extends Error {
  constructor() {
    super('request deadline exceeded')
    this.name = 'DeadlineExceeded'
  }
}

/** Refused without trying: connecting to the database already failed in this request. */
export class DatabaseUnreachable extends Error {
  constructor() {
    super('database unreachable: connecting already failed in this request')
    this.name = 'DatabaseUnreachable'
  }
}

// SQLSTATEs that mean "the database cannot serve this now" rather than "this statement is wrong":
// class 08 (connection exception), 53 (insufficient resources), 57P01-57P05 (shutdown, crash,
// cannot connect now, database dropped, idle session timeout), 57014 (statement timeout),
// 55P03 (lock not available).
const UNAVAILABLE_SQLSTATE = /^(08...|53...|57P0[1-5]|57014|55P03)$/

// What node-postgres and the socket layer throw without a SQLSTATE when a connection cannot be
// made or breaks.
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
])
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired$|Client has encountered a connection error|Client was closed and is not queryable|Connection ended|Cannot use a pool after calling end)/

/**
 * True when an error (or one it wraps) says the database is unreachable, restarting, timed out
 * or out of resources: the caller should get 503, not 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of causes(error)) {
    if (e instanceof DeadlineExceeded) return false
    if (e instanceof DatabaseUnreachable) return true
    const code = typeof e.code === 'string' ? e.code : ''
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE.test(code)) return true
    if (UNAVAILABLE_ERRNO.has(code)) return true
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true
  }
  return false
}

/** True for a serialization failure or a deadlock (SQLSTATE 40001, 40P01): the transaction may be retried. */
export function isRetryableConflict(error: unknown): boolean {
  for (const e of causes(error)) if (e.code === '40001' || e.code === '40P01') return true
  return false
}

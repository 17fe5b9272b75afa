import { DeadlineExceeded, causes, isDatabaseUnavailable, isRetryableConflict } from '../db/errors'

/**
 * Typed errors. Services throw them; the kernel's single error handler turns them into
 * `{"errors":[...]}` with the right status through the negotiated encoder.
 * @example throw new NotFound('api key not found')
 */
export class HttpError extends Error {
  readonly status: number
  readonly messages: string[]
  headers?: Record<string, string>

  constructor(status: number, messages: string | string[], headers?: Record<string, string>) {
    const list = Array.isArray(messages) ? messages : [messages]
    super(list.join('; '))
    this.status = status
    this.messages = list
    this.headers = headers
  }
}

export class BadRequest extends HttpError {
  constructor(messages: string | string[]) {
    super(400, messages)
  }
}
/** Input failed validation; messages read `field: problem`. */
export class Validation extends BadRequest {}
export class Unauthorized extends HttpError {
  constructor(message = 'missing authorization') {
    super(401, message)
  }
}
export class Forbidden extends HttpError {
  constructor(message = 'forbidden') {
    super(403, message)
  }
}
export class NotFound extends HttpError {
  constructor(message = 'not found') {
    super(404, message)
  }
}
export class MethodNotAllowed extends HttpError {
  constructor(allow: string[]) {
    super(405, 'method not allowed', { allow: allow.join(', ') })
  }
}
export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, message)
  }
}
export class PayloadTooLarge extends HttpError {
  constructor(limit: number) {
    super(413, `payload too large: the limit is ${limit} bytes`)
  }
}
/** A business limit was reached (417), e.g. `maximum number of api keys reached`. */
export class LimitExceeded extends HttpError {
  constructor(message: string) {
    super(417, message)
  }
}
export class TooManyRequests extends HttpError {
  constructor(retryAfter: number, limit: number, resetAt: number) {
    super(429, `you are ratelimited, retry in ${retryAfter}s`, {
      'retry-after': String(retryAfter),
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(resetAt),
    })
  }
}

/** A feature the panel deliberately does not offer (501), e.g. uploading extension code at run time. */
export class NotImplemented extends HttpError {
  constructor(message: string) {
    super(501, message)
  }
}

/**
 * A dependency (the database, a node) cannot serve the request now; `Retry-After` says when to
 * try again.
 * @example throw new ServiceUnavailable('database unavailable')
 */
export class ServiceUnavailable extends HttpError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, message, { 'retry-after': String(retryAfterSeconds) })
  }
}

/**
 * An upstream the panel depends on (a Wings node) failed to answer usefully: unreachable, past its
 * deadline, or answering what cannot be read. `cause` (logged with the 502, never answered) says why.
 * @example throw new BadGateway(`node ${node.name} is unreachable`, { cause: error })
 */
export class BadGateway extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(502, message)
    if (options?.cause !== undefined) this.cause = options.cause
  }
}

/**
 * Errors of the database layer that are nobody's fault in the request: the database is
 * unreachable or restarting (503 `database unavailable`), a deadlock or serialization failure
 * survived its retries (503 `database busy`), the request ran past its deadline (503
 * `request timed out`). Null for anything else.
 */
export function fromDatabaseError(error: unknown): HttpError | null {
  for (const e of causes(error)) if (e instanceof DeadlineExceeded) return new ServiceUnavailable('request timed out', 1)
  if (isDatabaseUnavailable(error)) return new ServiceUnavailable('database unavailable')
  if (isRetryableConflict(error)) return new ServiceUnavailable('database busy, retry the request', 1)
  return null
}

interface PgErrorLike {
  code: string
  detail?: string
  column?: string
  column_name?: string
  table?: string
  table_name?: string
  constraint?: string
  constraint_name?: string
}

/** Finds the PostgreSQL error inside a driver or Drizzle wrapper, if any. */
export function pgError(error: unknown): PgErrorLike | null {
  for (const e of causes(error)) if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e
  return null
}

/** True for a unique violation, optionally of one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = pgError(error)
  if (!pg || pg.code !== '23505') return false
  return !constraint || (pg.constraint ?? pg.constraint_name) === constraint
}

const uniqueMessages = new Map<string, string>()

/**
 * Declares the 409 message of a unique constraint (index) once; `fromPgError` answers it for every
 * violation of that constraint. Plugins declare theirs in the descriptor (`uniqueMessages`), which
 * the kernel registers at boot; the same constraint with another message is refused.
 * @example uniqueMessage('notes_user_name_unique', 'note with name already exists')
 */
export function uniqueMessage(constraint: string, message: string): void {
  if (typeof message !== 'string' || message === '') throw new Error(`uniqueMessages.${constraint}: the message must be a non-empty string`)
  const known = uniqueMessages.get(constraint)
  if (known !== undefined && known !== message) throw new Error(`uniqueMessages.${constraint}: already declared as "${known}"`)
  uniqueMessages.set(constraint, message)
}

/**
 * For the few operations where the reference words a violation differently from the constraint's
 * declared message (e.g. creating an SSH key: `… with name or fingerprint already exists` for
 * either index): a `.catch` handler that turns any unique violation into a 409 with `message`.
 * @example await tx.insert(userSshKeys).values(v).returning().catch(uniqueAs('ssh key with name or fingerprint already exists'))
 */
export function uniqueAs(message: string): (error: unknown) => never {
  return (error) => {
    throw isUniqueViolation(error) ? new Conflict(message) : error
  }
}

const humanTable = (t: string | undefined) => (t ?? 'resource').replace(/_/g, ' ').replace(/s$/, '')

/** Maps PostgreSQL errors that are the caller's fault to typed errors (a unique violation: its declared message); null for anything else. */
export function fromPgError(error: unknown): HttpError | null {
  const pg = pgError(error)
  if (!pg) return null
  const detail = pg.detail ?? ''
  switch (pg.code) {
    case '23505': {
      const declared = uniqueMessages.get(pg.constraint ?? pg.constraint_name ?? '')
      return new Conflict(declared ?? `${humanTable(pg.table ?? pg.table_name)} already exists`)
    }
    // 23001 restrict_violation: what PGlite raises for a row an ON DELETE RESTRICT key still protects (PostgreSQL: 23503).
    case '23001':
    case '23503': {
      const ref = /table "([^"]+)"/.exec(detail)?.[1]
      if (detail.includes('is not present')) return new NotFound(`${humanTable(ref)} not found`)
      return new BadRequest(`${humanTable(pg.table ?? pg.table_name)} is still referenced by ${humanTable(ref)}`)
    }
    case '23502':
      return new Validation(`${pg.column ?? pg.column_name ?? 'value'}: required`)
    case '22001':
      return new Validation('value too long')
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
      return new Validation('invalid value')
    default:
      return null
  }
}

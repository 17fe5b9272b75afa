import { writeSync } from 'node:fs'
import type { LogLevel } from '../config'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export type LogFields = Record<string, unknown>

/**
 * One JSON object per line. Request lines and info go to stdout, warnings and errors to
 * stderr. `child()` adds fixed fields (e.g. the plugin name).
 * @example log.child({ plugin: 'nodes' }).warn('wings unreachable', { node: uuid })
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(fields: LogFields): Logger
  /**
   * The per-request access line (`msg: "request"`, info level): the same JSON as
   * `info('request', fields)`, written without building and copying a fields object.
   */
  request(line: RequestLine): void
  /** Waits until buffered lines are written (call before exiting). */
  flush(): Promise<void>
  readonly level: LogLevel
}

/** The fields of the per-request access line, in the order they are written. */
export interface RequestLine {
  method: string
  path: string
  status: number
  duration_ms?: number
  request_id: string | null
  ip: string
}

// What a method, request id or address may hold that JSON would have to escape.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/

export interface LoggerOptions {
  level: LogLevel
  /** Where lines go; defaults to stdout/stderr. Tests pass a collector. */
  write?: (line: string, level: LogLevel) => void
  /** Send every level to stderr (the CLI keeps stdout for results). */
  stderrOnly?: boolean
}

/**
 * An error as log fields: name, message, code, stack frames and, what says why, its cause (the
 * PostgreSQL error under Drizzle's `Failed query`). Drizzle writes the statement's parameters
 * (password hashes, token digests) into its message: only the query text is kept.
 */
export function describeError(e: Error, depth = 0): LogFields {
  const message = e.message.replace(/\nparams: [\s\S]*$/, '')
  const frames = (e.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line))
  const out: LogFields = { name: e.name, message }
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') out.code = code
  out.stack = [`${e.name}: ${message}`, ...frames].join('\n')
  if (e.cause instanceof Error && depth < 3) out.cause = describeError(e.cause, depth + 1)
  return out
}

function errorFields(fields?: LogFields): LogFields | undefined {
  if (!fields) return fields
  let out: LogFields | undefined
  for (const k in fields) {
    const v = fields[k]
    if (v instanceof Error) (out ??= { ...fields })[k] = describeError(v)
  }
  return out ?? fields
}

/** Bytes of log lines one buffer holds; two alternate, so at most twice this waits for a slow stdout. */
const BUFFER_BYTES = 1 << 20

/**
 * Stdout lines are buffered and written in batches: one write per request costs more than the
 * request itself. Each line is encoded into a byte buffer as it comes, so no line string outlives
 * its request (thousands of strings kept for the next write cost the garbage collector more than
 * the writing). Two buffers alternate: one fills while the other is written. When both are full
 * (stdout slower than the panel), lines are dropped and counted. Warnings and errors go to stderr at once.
 */
class StdoutBuffer {
  private fill: Buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  private spare: Buffer | undefined = Buffer.allocUnsafe(BUFFER_BYTES)
  private used = 0
  private dropped = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private writing: Promise<unknown> = Promise.resolve()

  push(line: string) {
    if (line.length * 3 + 1 > BUFFER_BYTES) return this.pushLong(line)
    // A UTF-8 byte per UTF-16 unit is the common case; three is the bound.
    if (this.used + line.length * 3 + 1 > BUFFER_BYTES && !this.swap()) {
      this.dropped++
      return
    }
    this.used += this.fill.write(line, this.used)
    this.fill[this.used++] = 10
    this.timer ??= setTimeout(() => void this.flush(), 25)
  }

  /** A line larger than a buffer is written on its own, after what is buffered. */
  private pushLong(line: string) {
    if (this.used > 0 && !this.swap()) {
      this.dropped++
      return
    }
    this.writing = this.writing.then(() => Bun.write(Bun.stdout, line + '\n')).catch(() => {})
  }

  /** Hands the filled buffer to the writer; false while the previous write still holds the spare. */
  private swap(): boolean {
    if (!this.spare) return false
    const full = this.fill
    const bytes = full.subarray(0, this.used)
    this.fill = this.spare
    this.spare = undefined
    this.used = 0
    this.writing = this.writing
      .then(() => Bun.write(Bun.stdout, bytes))
      .catch(() => {})
      .then(() => void (this.spare = full))
    return true
  }

  /** Writes everything buffered (waiting for a write in progress to free its buffer). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    while (this.used > 0 || this.dropped > 0) {
      if (!this.spare) {
        await this.writing
        continue
      }
      if (this.dropped > 0) {
        const dropped = this.dropped
        this.dropped = 0
        this.push(JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: 'log lines dropped: stdout too slow', dropped }))
      }
      if (this.used > 0) this.swap()
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.writing
  }

  /** Synchronous last resort when the process exits without a graceful flush. */
  flushSync() {
    if (this.used > 0) writeSync(1, this.fill.subarray(0, this.used))
    this.used = 0
  }
}

let stdout: StdoutBuffer | undefined
function stdoutBuffer(): StdoutBuffer {
  if (!stdout) {
    const buffer = new StdoutBuffer()
    stdout = buffer
    process.on('exit', () => buffer.flushSync())
  }
  return stdout
}

// One ISO text per millisecond: a busy panel writes dozens of lines in each.
let lastTime = { ms: NaN, text: '' }
/**
 * `new Date().toISOString()`, made once per millisecond (the text has millisecond resolution):
 * for the log lines and answers that carry the current time.
 */
export function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastTime.ms) lastTime = { ms, text: new Date(ms).toISOString() }
  return lastTime.text
}

export function createLogger(opts: LoggerOptions, base: LogFields = {}): Logger {
  const threshold = ORDER[opts.level]
  const write =
    opts.write ??
    ((line: string, level: LogLevel) => {
      if (opts.stderrOnly || ORDER[level] >= ORDER.warn) process.stderr.write(line + '\n')
      else stdoutBuffer().push(line)
    })
  let hasBase = false
  for (const _ in base) hasBase = true
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return
    const time = isoNow()
    const extra = errorFields(fields)
    // The common line (no base fields, fields without errors): the fields object is serialised as
    // it is and spliced in, not copied into a new one first. Same text as the general case.
    if (!hasBase && extra === fields && fields) {
      const rest = JSON.stringify(fields)
      const head = `{"level":"${level}","time":"${time}","msg":${JSON.stringify(msg)}`
      write(
        rest.length > 2 && !('level' in fields || 'time' in fields || 'msg' in fields)
          ? `${head},${rest.slice(1)}`
          : JSON.stringify({ level, time, msg, ...fields }),
        level,
      )
      return
    }
    write(JSON.stringify({ level, time, msg, ...base, ...extra }), level)
  }
  const text = (v: string) => (NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`)
  const request = (l: RequestLine) => {
    if (ORDER.info < threshold) return
    if (hasBase) return emit('info', 'request', { ...l })
    const duration = l.duration_ms === undefined ? '' : `,"duration_ms":${l.duration_ms}`
    const id = l.request_id === null ? 'null' : text(l.request_id)
    write(
      `{"level":"info","time":"${isoNow()}","msg":"request","method":${text(l.method)},"path":${text(l.path)},"status":${l.status}${duration},"request_id":${id},"ip":${text(l.ip)}}`,
      'info',
    )
  }
  return {
    level: opts.level,
    request,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
    flush: () => stdout?.flush() ?? Promise.resolve(),
  }
}

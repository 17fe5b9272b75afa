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
  readonly level: LogLevel
}

export interface LoggerOptions {
  level: LogLevel
  /** Where lines go; defaults to stdout/stderr. Tests pass a collector. */
  write?: (line: string, level: LogLevel) => void
  /** Send every level to stderr (the CLI keeps stdout for results). */
  stderrOnly?: boolean
}

function errorFields(fields?: LogFields): LogFields | undefined {
  if (!fields) return fields
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) fields = { ...fields, [k]: { name: v.name, message: v.message, stack: v.stack } }
  }
  return fields
}

export function createLogger(opts: LoggerOptions, base: LogFields = {}): Logger {
  const threshold = ORDER[opts.level]
  const write =
    opts.write ??
    ((line: string, level: LogLevel) => {
      if (opts.stderrOnly || ORDER[level] >= ORDER.warn) process.stderr.write(line + '\n')
      else process.stdout.write(line + '\n')
    })
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return
    write(JSON.stringify({ level, time: new Date().toISOString(), msg, ...base, ...errorFields(fields) }), level)
  }
  return {
    level: opts.level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(opts, { ...base, ...fields }),
  }
}

import { isIP } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { existsSync, statSync } from 'node:fs'
import { parseCidr, type Cidr } from './kernel/net'

/** Everything the panel reads from its environment, parsed and checked once at boot. */
export interface Config {
  /** PostgreSQL connection string; absent → embedded PGlite under `dataDir`. */
  databaseUrl?: string
  dataDir: string
  redisUrl?: string
  /** Prefix of every Redis key this panel writes (tests use one per run). */
  redisPrefix: string
  port: number
  bind: string
  /** Public base URL, default of the `app.url` setting. */
  appUrl: string
  debug: boolean
  trustedProxies: Cidr[]
  /** Encryption keys, newest first; empty until `ensureEncryptionKey` fills it. */
  encryptionKeys: string[]
  migrate: boolean
  pluginsDir?: string
  /** The web interface's build (a folder holding `index.html`); absent → `GET /` is a landing page. */
  frontendDir?: string
  logLevel: LogLevel
  /** Seconds a request may take before it is answered 503 and its transaction rolled back. */
  requestTimeout: number
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** A bad environment value: boot stops with this one line. */
export class ConfigError extends Error {
  constructor(
    public variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`)
  }
}

function parseBool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback
  const v = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function parseUrl(name: string, raw: string, protocols: string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(name, 'not a valid URL')
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`)
  }
  return raw
}

/** Whether this is the `bun build --compile` binary (its modules live in Bun's virtual `$bunfs`). */
const COMPILED = /^(\/\$bunfs\/|[A-Za-z]:[\\/]~BUN[\\/])/.test(import.meta.dir)

/**
 * Where the web interface is looked for when FRONTEND_DIR is unset, in order: `frontend/` beside
 * the compiled binary (not beside `bun` when run from source), then `frontend/` in the working directory.
 */
export function frontendCandidates(): string[] {
  return [...(COMPILED ? [join(dirname(process.execPath), 'frontend')] : []), resolve('frontend')]
}

/** The first folder that holds an `index.html`, or undefined. */
export function findFrontendDir(candidates: string[]): string | undefined {
  return candidates.find((dir) => existsSync(join(dir, 'index.html')) && statSync(join(dir, 'index.html')).isFile())
}

/** Bun's idle timeout is at most 255 s and must outlast the request timeout (see main.ts). */
export const MAX_REQUEST_TIMEOUT = 240

/** Minimum length of an `APP_ENCRYPTION_KEY` entry (a 32-byte key in base64 or hex passes). */
export const MIN_KEY_LENGTH = 32

export function parseEncryptionKeys(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return []
  const keys = raw.split(',').map((k) => k.trim())
  for (const k of keys) {
    if (k.length < MIN_KEY_LENGTH) {
      throw new ConfigError('APP_ENCRYPTION_KEY', `each key needs at least ${MIN_KEY_LENGTH} characters`)
    }
  }
  return keys
}

/**
 * Reads the configuration from an environment (default `process.env`).
 * @example const config = loadConfig({ PORT: '9000' })
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const portRaw = env.PORT || '8000'
  if (!/^\d{1,5}$/.test(portRaw) || Number(portRaw) < 1 || Number(portRaw) > 65535) {
    throw new ConfigError('PORT', `expected a port number 1-65535, got "${portRaw}"`)
  }
  const bind = env.BIND || '0.0.0.0'
  if (!isIP(bind) && bind !== 'localhost') throw new ConfigError('BIND', `expected an IP address, got "${bind}"`)

  const databaseUrl = env.DATABASE_URL ? parseUrl('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']) : undefined
  const redisUrl = env.REDIS_URL ? parseUrl('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:']) : undefined
  const appUrl = parseUrl('APP_URL', env.APP_URL || `http://localhost:${portRaw}`, ['http:', 'https:']).replace(/\/+$/, '')

  const dataDir = resolve(env.DATA_DIR || './data')
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new ConfigError('DATA_DIR', `${env.DATA_DIR} exists and is not a directory`)
  }

  const trustedProxies: Cidr[] = []
  for (const entry of (env.APP_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const cidr = parseCidr(entry)
    if (!cidr) throw new ConfigError('APP_TRUSTED_PROXIES', `"${entry}" is not an IP address or CIDR`)
    trustedProxies.push(cidr)
  }

  let pluginsDir: string | undefined
  if (env.PLUGINS_DIR) {
    pluginsDir = resolve(env.PLUGINS_DIR)
    if (!existsSync(pluginsDir) || !statSync(pluginsDir).isDirectory()) {
      throw new ConfigError('PLUGINS_DIR', `${env.PLUGINS_DIR} is not a directory`)
    }
  }

  let frontendDir: string | undefined
  if (env.FRONTEND_DIR) {
    frontendDir = resolve(env.FRONTEND_DIR)
    if (!existsSync(frontendDir) || !statSync(frontendDir).isDirectory())
      throw new ConfigError('FRONTEND_DIR', `${env.FRONTEND_DIR} is not a directory`)
    if (!findFrontendDir([frontendDir]))
      throw new ConfigError('FRONTEND_DIR', `${env.FRONTEND_DIR} holds no index.html (point it at the build output, e.g. frontend/dist)`)
  } else {
    frontendDir = findFrontendDir(frontendCandidates())
  }

  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase()
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected debug, info, warn, error or silent, got "${env.LOG_LEVEL}"`)
  }

  const redisPrefix = env.REDIS_PREFIX ?? 'hatchery:'
  if (!/^[\w:.-]{0,64}$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'use up to 64 letters, digits, and : . _ -')

  const timeoutRaw = env.REQUEST_TIMEOUT || '30'
  if (!/^\d{1,3}$/.test(timeoutRaw) || Number(timeoutRaw) < 1 || Number(timeoutRaw) > MAX_REQUEST_TIMEOUT) {
    throw new ConfigError('REQUEST_TIMEOUT', `expected seconds 1-${MAX_REQUEST_TIMEOUT}, got "${timeoutRaw}"`)
  }

  return {
    requestTimeout: Number(timeoutRaw),
    databaseUrl,
    dataDir,
    redisUrl,
    redisPrefix,
    port: Number(portRaw),
    bind,
    appUrl,
    debug: parseBool('APP_DEBUG', env.APP_DEBUG, false),
    trustedProxies,
    encryptionKeys: parseEncryptionKeys(env.APP_ENCRYPTION_KEY),
    migrate: parseBool('DATABASE_MIGRATE', env.DATABASE_MIGRATE, true),
    pluginsDir,
    frontendDir,
    logLevel: logLevel as LogLevel,
  }
}

import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError, loadConfig, parseEncryptionKeys } from './config'

const tmp = mkdtempSync(join(tmpdir(), 'hatchery-config-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const KEY = 'k'.repeat(32)

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`)
}

describe('loadConfig defaults', () => {
  const config = loadConfig({})

  test('listens on 0.0.0.0:8000', () => {
    expect(config.port).toBe(8000)
    expect(config.bind).toBe('0.0.0.0')
  })

  test('stores data under ./data, resolved to an absolute path', () => {
    expect(config.dataDir).toBe(resolve('./data'))
  })

  test('uses embedded PGlite and no Redis', () => {
    expect(config.databaseUrl).toBeUndefined()
    expect(config.redisUrl).toBeUndefined()
    expect(config.redisPrefix).toBe('hatchery:')
  })

  test('migrates at boot, logs at info, debug off, no plugins folder', () => {
    expect(config.migrate).toBe(true)
    expect(config.logLevel).toBe('info')
    expect(config.debug).toBe(false)
    expect(config.pluginsDir).toBeUndefined()
  })

  test('trusts no proxy and has no key yet', () => {
    expect(config.trustedProxies).toEqual([])
    expect(config.encryptionKeys).toEqual([])
  })

  test('the app URL follows the port', () => {
    expect(config.appUrl).toBe('http://localhost:8000')
    expect(loadConfig({ PORT: '9000' }).appUrl).toBe('http://localhost:9000')
  })
})

describe('loadConfig values', () => {
  test('reads every variable', () => {
    const c = loadConfig({
      PORT: '9000',
      BIND: '::1',
      DATABASE_URL: 'postgres://u@db:5432/panel',
      REDIS_URL: 'rediss://cache:6380/1',
      REDIS_PREFIX: 'panel-a:',
      APP_URL: 'https://panel.example.com//',
      APP_DEBUG: 'yes',
      APP_TRUSTED_PROXIES: '10.0.0.0/8, ::1 ,',
      APP_ENCRYPTION_KEY: `${KEY}, ${'o'.repeat(40)}`,
      DATABASE_MIGRATE: 'false',
      DATA_DIR: join(tmp, 'data'),
      PLUGINS_DIR: tmp,
      LOG_LEVEL: 'WARN',
    })
    expect(c.port).toBe(9000)
    expect(c.bind).toBe('::1')
    expect(c.databaseUrl).toBe('postgres://u@db:5432/panel')
    expect(c.redisUrl).toBe('rediss://cache:6380/1')
    expect(c.redisPrefix).toBe('panel-a:')
    expect(c.appUrl).toBe('https://panel.example.com')
    expect(c.debug).toBe(true)
    expect(c.trustedProxies.map((p) => p.text)).toEqual(['10.0.0.0/8', '::1/128'])
    expect(c.encryptionKeys).toEqual([KEY, 'o'.repeat(40)])
    expect(c.migrate).toBe(false)
    expect(c.dataDir).toBe(join(tmp, 'data'))
    expect(c.pluginsDir).toBe(tmp)
    expect(c.logLevel).toBe('warn')
  })

  test('BIND accepts localhost; postgresql: URLs are accepted', () => {
    expect(loadConfig({ BIND: 'localhost' }).bind).toBe('localhost')
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/panel' }).databaseUrl).toBe('postgresql://db/panel')
  })

  test.each([
    ['1', true],
    ['TRUE', true],
    ['on', true],
    ['0', false],
    ['no', false],
    ['Off', false],
    ['', false],
  ])('APP_DEBUG=%p → %p', (raw, value) => {
    expect(loadConfig({ APP_DEBUG: raw }).debug).toBe(value)
  })

  test('an empty variable (`PORT=` in an env file) keeps the default', () => {
    const c = loadConfig({
      PORT: '',
      BIND: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      APP_URL: '',
      DATA_DIR: '',
      DATABASE_MIGRATE: '',
      LOG_LEVEL: '',
    })
    expect(c.port).toBe(8000)
    expect(c.bind).toBe('0.0.0.0')
    expect(c.databaseUrl).toBeUndefined()
    expect(c.redisUrl).toBeUndefined()
    expect(c.appUrl).toBe('http://localhost:8000')
    expect(c.dataDir).toBe(resolve('./data'))
    expect(c.migrate).toBe(true)
    expect(c.logLevel).toBe('info')
  })
})

describe('loadConfig refuses bad values with a ConfigError naming the variable', () => {
  test.each([
    ['PORT', '0'],
    ['PORT', '65536'],
    ['PORT', 'http'],
    ['PORT', '-1'],
    ['BIND', 'example.com'],
    ['BIND', '10.0.0.256'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://db/panel'],
    ['REDIS_URL', 'localhost:6379'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['REDIS_PREFIX', 'has space'],
    ['APP_URL', 'panel.example.com'],
    ['APP_URL', 'ftp://panel.example.com'],
    ['APP_DEBUG', 'maybe'],
    ['APP_TRUSTED_PROXIES', '10.0.0.0/8,proxy.local'],
    ['APP_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['APP_ENCRYPTION_KEY', 'short'],
    ['APP_ENCRYPTION_KEY', `${KEY},${'x'.repeat(31)}`],
    ['DATABASE_MIGRATE', 'later'],
    ['PLUGINS_DIR', join(tmp, 'missing')],
    ['LOG_LEVEL', 'verbose'],
  ])('%s=%p', (variable, value) => {
    const e = configError({ [variable]: value })
    expect(e.variable).toBe(variable)
    expect(e.message.startsWith(`${variable}: `)).toBe(true)
  })

  test('PLUGINS_DIR naming a file', () => {
    const file = join(tmp, 'plugins.txt')
    writeFileSync(file, '')
    expect(configError({ PLUGINS_DIR: file }).message).toBe(`PLUGINS_DIR: ${file} is not a directory`)
  })

  test('DATA_DIR naming a file', () => {
    const file = join(tmp, 'data.txt')
    writeFileSync(file, '')
    expect(configError({ DATA_DIR: file }).message).toStartWith('DATA_DIR: ')
  })

  test('the message quotes the bad value', () => {
    expect(configError({ PORT: '70000' }).message).toBe('PORT: expected a port number 1-65535, got "70000"')
    expect(configError({ LOG_LEVEL: 'Loud' }).message).toContain('"Loud"')
  })
})

describe('parseEncryptionKeys', () => {
  test('splits on commas and trims, newest first', () => {
    expect(parseEncryptionKeys(` ${KEY} ,${'n'.repeat(44)}`)).toEqual([KEY, 'n'.repeat(44)])
  })

  test('absent or blank means no key', () => {
    expect(parseEncryptionKeys(undefined)).toEqual([])
    expect(parseEncryptionKeys('  ')).toEqual([])
  })

  test('an empty entry between commas is too short', () => {
    expect(() => parseEncryptionKeys(`${KEY},,${KEY}`)).toThrow(ConfigError)
  })
})

import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../config'
import { DecryptError, SECRET_MASK, Secrets, ensureEncryptionKey, writeSecret } from './secrets'

const OLD = 'old-key-0123456789abcdefghijklmnopqrstuv'
const NEW = 'new-key-0123456789abcdefghijklmnopqrstuv'

const tmp = mkdtempSync(join(tmpdir(), 'hatchery-secrets-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function decryptError(box: Secrets, text: string): DecryptError {
  try {
    box.decrypt(text)
  } catch (e) {
    expect(e).toBeInstanceOf(DecryptError)
    return e as DecryptError
  }
  throw new Error(`decrypt(${JSON.stringify(text)}) did not throw`)
}

describe('Secrets.encrypt / decrypt', () => {
  const box = new Secrets([OLD])

  test.each(['smtp password', '', 'ünïcødé ✓ 🔑', 'x'.repeat(10_000)])('round trip of %#', (plain) => {
    expect(box.decrypt(box.encrypt(plain))).toBe(plain)
  })

  test('ciphertext looks like v1:<key id>:<base64url>', () => {
    const text = box.encrypt('hello')
    expect(text).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9_-]+$/)
    // 12-byte IV + 5 bytes of data + 16-byte tag.
    expect(Buffer.from(text.split(':')[2], 'base64url').length).toBe(12 + 5 + 16)
  })

  test('the key id is the same for every ciphertext of one key and differs between keys', () => {
    const id = box.encrypt('a').split(':')[1]
    expect(box.encrypt('b').split(':')[1]).toBe(id)
    expect(new Secrets([NEW]).encrypt('a').split(':')[1]).not.toBe(id)
  })

  test('the same plaintext encrypts differently each time', () => {
    expect(box.encrypt('same')).not.toBe(box.encrypt('same'))
  })

  test('a flipped bit anywhere in the payload is refused', () => {
    const text = box.encrypt('secret value')
    const [v, id, payload] = text.split(':')
    const raw = Buffer.from(payload, 'base64url')
    for (const at of [0, 12, raw.length - 1]) {
      const bad = Buffer.from(raw)
      bad[at] ^= 1
      expect(decryptError(box, `${v}:${id}:${bad.toString('base64url')}`).message).toBe('ciphertext failed authentication')
    }
  })

  test.each([
    ['plain text', 'not-a-ciphertext'],
    ['another version', (t: string) => t.replace(/^v1:/, 'v2:')],
    ['an unknown key id', (t: string) => t.replace(/^v1:[0-9a-f]{8}:/, 'v1:00000000:')],
    ['no payload', (t: string) => t.split(':').slice(0, 2).join(':') + ':'],
    ['a truncated payload', (t: string) => t.slice(0, 30)],
    ['a trailing field', (t: string) => `${t}:extra`],
    ['characters outside base64url', (t: string) => t.slice(0, 20) + '!' + t.slice(20)],
  ] as [string, string | ((t: string) => string)][])('%s is refused', (_, tamper) => {
    const text = box.encrypt('secret value')
    decryptError(box, typeof tamper === 'string' ? tamper : tamper(text))
  })

  test('a ciphertext of another key is refused', () => {
    decryptError(new Secrets([NEW]), box.encrypt('x'))
  })

  test('at least one key is needed', () => {
    expect(() => new Secrets([])).toThrow()
  })
})

describe('key rotation', () => {
  const before = new Secrets([OLD])
  const after = new Secrets([NEW, OLD])

  test('the new key (listed first) encrypts', () => {
    const text = after.encrypt('rotated')
    expect(text.split(':')[1]).toBe(new Secrets([NEW]).encrypt('x').split(':')[1])
    decryptError(before, text)
  })

  test('ciphertexts of the old key still decrypt', () => {
    expect(after.decrypt(before.encrypt('legacy'))).toBe('legacy')
  })

  test('hmac signs with the new key; verifyHmac accepts either key', () => {
    const oldDigest = before.hmac('token')
    const newDigest = after.hmac('token')
    expect(newDigest).not.toBe(oldDigest)
    expect(newDigest).toMatch(/^[0-9a-f]{64}$/)
    expect(after.verifyHmac('token', oldDigest)).toBe(true)
    expect(after.verifyHmac('token', newDigest)).toBe(true)
    expect(before.verifyHmac('token', newDigest)).toBe(false)
  })
})

describe('Secrets.hmac / verifyHmac', () => {
  const box = new Secrets([OLD])

  test('is deterministic per key and value', () => {
    expect(box.hmac('a')).toBe(new Secrets([OLD]).hmac('a'))
    expect(box.hmac('a')).not.toBe(box.hmac('b'))
  })

  test('refuses another value, a truncated digest and non-hex text', () => {
    const digest = box.hmac('value')
    expect(box.verifyHmac('value', digest)).toBe(true)
    expect(box.verifyHmac('other', digest)).toBe(false)
    expect(box.verifyHmac('value', digest.slice(0, 62))).toBe(false)
    expect(box.verifyHmac('value', '')).toBe(false)
    expect(box.verifyHmac('value', 'zz'.repeat(32))).toBe(false)
  })

  test('subkeys differ per purpose and per key', () => {
    const a = box.subkey('checkpoint')
    expect(a.length).toBe(32)
    expect(Buffer.from(a).equals(Buffer.from(box.subkey('checkpoint')))).toBe(true)
    expect(Buffer.from(a).equals(Buffer.from(box.subkey('other')))).toBe(false)
    expect(Buffer.from(a).equals(Buffer.from(new Secrets([NEW]).subkey('checkpoint')))).toBe(false)
  })
})

describe('ensureEncryptionKey', () => {
  test('generates DATA_DIR/encryption.key (0600) on first call and reuses it', () => {
    const dataDir = join(tmp, 'fresh', 'data')
    const first = loadConfig({ DATA_DIR: dataDir })
    ensureEncryptionKey(first)
    const file = join(dataDir, 'encryption.key')
    expect(existsSync(file)).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(first.encryptionKeys).toHaveLength(1)
    expect(first.encryptionKeys[0].length).toBeGreaterThanOrEqual(32)
    expect(readFileSync(file, 'utf8').trim()).toBe(first.encryptionKeys[0])

    const second = loadConfig({ DATA_DIR: dataDir })
    ensureEncryptionKey(second)
    expect(second.encryptionKeys).toEqual(first.encryptionKeys)
    expect(new Secrets(second.encryptionKeys).decrypt(new Secrets(first.encryptionKeys).encrypt('kept'))).toBe('kept')
  })

  test('two data folders get two different keys', () => {
    const a = loadConfig({ DATA_DIR: join(tmp, 'a') })
    const b = loadConfig({ DATA_DIR: join(tmp, 'b') })
    ensureEncryptionKey(a)
    ensureEncryptionKey(b)
    expect(a.encryptionKeys[0]).not.toBe(b.encryptionKeys[0])
  })

  test('configured keys win and no file is written', () => {
    const dataDir = join(tmp, 'configured')
    const config = loadConfig({ DATA_DIR: dataDir, APP_ENCRYPTION_KEY: `${NEW},${OLD}` })
    ensureEncryptionKey(config)
    expect(config.encryptionKeys).toEqual([NEW, OLD])
    expect(existsSync(join(dataDir, 'encryption.key'))).toBe(false)
  })

  test('with DATABASE_URL and no key it refuses, naming APP_ENCRYPTION_KEY', () => {
    const dataDir = join(tmp, 'shared')
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://db/panel' })
    let error: unknown
    try {
      ensureEncryptionKey(config)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe('APP_ENCRYPTION_KEY')
    expect((error as ConfigError).message).toStartWith('APP_ENCRYPTION_KEY: ')
    expect(existsSync(join(dataDir, 'encryption.key'))).toBe(false)
  })

  test('a key file holding a too-short key is refused', () => {
    const dataDir = join(tmp, 'short')
    mkdirSync(dataDir)
    writeFileSync(join(dataDir, 'encryption.key'), 'short\n')
    const config = loadConfig({ DATA_DIR: dataDir })
    expect(() => ensureEncryptionKey(config)).toThrow(/^APP_ENCRYPTION_KEY: /)
  })
})

describe('writeSecret', () => {
  const box = new Secrets([NEW])

  test('a new value is encrypted; the mask keeps what is stored', () => {
    const stored = writeSecret(box, 'hunter2', null, 'password')
    expect(box.decrypt(stored)).toBe('hunter2')
    expect(writeSecret(box, SECRET_MASK, stored, 'password')).toBe(stored)
  })

  test('the mask with nothing stored is a 400 naming the field', () => {
    expect(() => writeSecret(box, SECRET_MASK, undefined, 'backup_configs.s3.secret_key')).toThrow(
      'backup_configs.s3.secret_key: the mask is not a secret',
    )
  })
})

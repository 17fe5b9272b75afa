import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, MIN_KEY_LENGTH, type Config } from '../config'
import { Validation } from './errors'

interface DerivedKey {
  id: string
  aes: Buffer
  mac: Buffer
}

function derive(secret: string): DerivedKey {
  const ikm = Buffer.from(secret, 'utf8')
  const aes = Buffer.from(hkdfSync('sha256', ikm, 'hatchery', 'aes-256-gcm', 32))
  const mac = Buffer.from(hkdfSync('sha256', ikm, 'hatchery', 'hmac-sha256', 32))
  const id = createHash('sha256').update(aes).digest('hex').slice(0, 8)
  return { id, aes, mac }
}

const CIPHERTEXT = /^v1:([0-9a-f]{8}):([A-Za-z0-9_-]+)$/

/**
 * What a write-only secret reads as on the wire. Admin forms (the official frontend) send the whole
 * object back on edit, so a secret is answered as this mask and `writeSecret` keeps the stored value
 * when the mask comes back.
 */
export const SECRET_MASK = '********'

/**
 * The value to store for a write-only secret a caller sent: the mask keeps `stored` (already
 * encrypted), anything else is encrypted. The mask with nothing stored is a 400 naming `field`.
 * @example changes.client_secret = writeSecret(ctx.secrets, body.client_secret, row.client_secret, 'client_secret')
 */
export function writeSecret(secrets: Secrets, sent: string, stored: string | null | undefined, field: string): string {
  if (sent !== SECRET_MASK) return secrets.encrypt(sent)
  if (stored == null) throw new Validation([`${field}: the mask is not a secret`])
  return stored
}

/** The ciphertext could not be opened: wrong key, unknown key id, or tampered data. */
export class DecryptError extends Error {}

/**
 * Encryption and keyed hashing under `APP_ENCRYPTION_KEY`. The first key encrypts and signs;
 * every listed key decrypts and verifies, so a key can be rotated by prepending the new one.
 * Ciphertexts look like `v1:<key id>:<base64url(iv | data | tag)>`.
 * @example
 * const box = new Secrets(['a-32-character-or-longer-secret-value'])
 * box.decrypt(box.encrypt('smtp password')) // 'smtp password'
 */
export class Secrets {
  private readonly keys: DerivedKey[]

  constructor(secrets: string[]) {
    if (secrets.length === 0) throw new Error('Secrets needs at least one key')
    this.keys = secrets.map(derive)
  }

  encrypt(plain: string): string {
    const key = this.keys[0]
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key.aes, iv)
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return `v1:${key.id}:${Buffer.concat([iv, data, cipher.getAuthTag()]).toString('base64url')}`
  }

  decrypt(box: string): string {
    // Strict, because Buffer.from(…, 'base64url') skips characters it does not know.
    const [, id, payload] = CIPHERTEXT.exec(box) ?? []
    const key = this.keys.find((k) => k.id === id)
    if (!key || !payload) throw new DecryptError('unknown ciphertext format or key')
    const raw = Buffer.from(payload, 'base64url')
    if (raw.length < 28) throw new DecryptError('ciphertext too short')
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.aes, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(raw.length - 16))
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')
    } catch {
      throw new DecryptError('ciphertext failed authentication')
    }
  }

  /** Keyed hash (hex) of a high-entropy value under the current key. */
  hmac(value: string): string {
    return createHmac('sha256', this.keys[0].mac).update(value).digest('hex')
  }

  /** Constant-time check of `value` against a stored `hmac()` digest, under any configured key. */
  verifyHmac(value: string, digest: string): boolean {
    const expected = Buffer.from(digest, 'hex')
    let ok = false
    for (const key of this.keys) {
      const actual = createHmac('sha256', key.mac).update(value).digest()
      if (actual.length === expected.length && timingSafeEqual(actual, expected)) ok = true
    }
    return ok
  }

  /** A 32-byte key derived for one purpose (e.g. signing checkpoint tokens). */
  subkey(purpose: string): Uint8Array {
    return new Uint8Array(hkdfSync('sha256', this.keys[0].mac, 'hatchery', purpose, 32))
  }
}

/**
 * Fills `config.encryptionKeys`. With an embedded database and no key, a key is generated into
 * `DATA_DIR/encryption.key` (mode 0600) on first boot and reused; with `DATABASE_URL` a key is
 * required because every panel process must share it.
 */
export function ensureEncryptionKey(config: Config): void {
  if (config.encryptionKeys.length > 0) return
  if (config.databaseUrl) {
    throw new ConfigError('APP_ENCRYPTION_KEY', 'required with DATABASE_URL (every panel process must share the same key)')
  }
  const file = join(config.dataDir, 'encryption.key')
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim()
    if (key.length < MIN_KEY_LENGTH) throw new ConfigError('APP_ENCRYPTION_KEY', `${file} holds a key that is too short`)
    config.encryptionKeys = [key]
    return
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32).toString('base64url')
  writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  config.encryptionKeys = [key]
}

import { createHash } from 'node:crypto'
import type sshpkModule from 'sshpk'

// sshpk (~15 MiB) is loaded on the first key parsed. A plain require with a literal name, so that
// `bun build --compile` sees it and puts sshpk into the binary (createRequire hid it).
let loaded: typeof sshpkModule | undefined
const sshpk = () => (loaded ??= require('sshpk') as typeof sshpkModule)

/** A public key accepted for storage. */
export interface ParsedKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string
  /** `SHA256:` + unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
  fingerprint: string
  /** The key in SSH wire format (RFC 4253). */
  blob: Buffer
}

/** Why a key was refused; the message reads well after `public_key: `. */
export class KeyError extends Error {}

const ALLOWED = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'])
export const MIN_RSA_BITS = 2048
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const USAGE = 'not an OpenSSH public key (expected one line like "ssh-ed25519 AAAA… comment")'

/** The algorithm name a wire-format key starts with, or null when the blob is too short. */
function blobType(blob: Buffer): string | null {
  if (blob.length < 4) return null
  const length = blob.readUInt32BE(0)
  if (length < 1 || length > 64 || blob.length < 4 + length) return null
  return blob.subarray(4, 4 + length).toString('latin1')
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/**
 * Checks a wire-format key for real (sshpk decodes it): ed25519, ECDSA on the NIST curves, or
 * RSA of at least 2048 bits, with nothing after the key material.
 * @example parseKeyBlob(Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAI…', 'base64')).fingerprint
 */
export function parseKeyBlob(blob: Buffer): ParsedKey {
  const type = blobType(blob)
  if (type === null) throw new KeyError('the key data is not an SSH public key')
  if (!ALLOWED.has(type)) throw new KeyError(`unsupported key type ${JSON.stringify(type)} (use ed25519, ecdsa or rsa)`)
  let key: sshpkModule.Key
  try {
    key = sshpk().parseKey(blob, 'rfc4253')
  } catch {
    throw new KeyError(`the ${type} key data is malformed`)
  }
  // sshpk tolerates trailing bytes and loose encodings; a canonical blob re-encodes to itself.
  if (!key.toBuffer('rfc4253', {}).equals(blob)) throw new KeyError(`the ${type} key data is malformed`)
  if (key.type === 'rsa' && key.size < MIN_RSA_BITS)
    throw new KeyError(`rsa keys must have at least ${MIN_RSA_BITS} bits (this one has ${key.size})`)
  return { type, fingerprint: fingerprintOf(blob), blob }
}

/**
 * Parses one OpenSSH public key line (`<type> <base64> [comment]`, as in a `.pub` file or
 * `authorized_keys` without options). Private keys and several lines are refused.
 * @example parsePublicKeyLine('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… me@host').type // 'ssh-ed25519'
 */
export function parsePublicKeyLine(text: string): ParsedKey {
  const line = text.trim()
  if (/PRIVATE KEY/.test(line) || line.startsWith('-----BEGIN')) {
    throw new KeyError('this is a private key; paste the public key (the .pub file) instead, and keep the private key secret')
  }
  if (/[\r\n]/.test(line)) throw new KeyError('only one key per request (the text has several lines)')
  const [type, data] = line.split(/[ \t]+/)
  if (!type || !data || !BASE64.test(data) || data.length % 4 !== 0) throw new KeyError(USAGE)
  const blob = Buffer.from(data, 'base64')
  const parsed = parseKeyBlob(blob)
  if (parsed.type !== type) throw new KeyError(`the line says ${JSON.stringify(type)} but the key data is ${JSON.stringify(parsed.type)}`)
  return parsed
}

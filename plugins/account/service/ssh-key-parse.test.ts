import { describe, expect, test } from 'bun:test'
import { fingerprintOf, KeyError, parseKeyBlob, parsePublicKeyLine } from './ssh-key-parse'
import { DSA_PUBLIC_KEY, sshKey } from '../test-helpers'

// Generated with `ssh-keygen -t ed25519`; `ssh-keygen -lf` prints the fingerprint below.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAzq0Wh/07LyEKrKsiKFepsXvGASjfpsntq2x1rF8PZq me@host'
const ED25519_FINGERPRINT = 'SHA256:5xl+JRhy/ZEPioWSRMwksbuMSuE4ibkB0CANxqVIzeU'
const blobOf = (line: string) => Buffer.from(line.split(' ')[1], 'base64')

const refused = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(KeyError)
    return (e as Error).message
  }
  throw new Error('expected the key to be refused')
}

describe('parsePublicKeyLine', () => {
  test('gives the fingerprint ssh-keygen prints, and the wire-format blob', () => {
    const key = parsePublicKeyLine(ED25519)
    expect(key.type).toBe('ssh-ed25519')
    expect(key.fingerprint).toBe(ED25519_FINGERPRINT)
    expect(key.fingerprint).toHaveLength(50)
    expect(key.blob.equals(blobOf(ED25519))).toBe(true)
  })

  test('takes surrounding blanks, tabs, no comment, and comments with spaces', () => {
    for (const line of [
      `  ${ED25519}\n`,
      ED25519.replace(' ', '\t'),
      ED25519.split(' ').slice(0, 2).join(' '),
      `${ED25519} with more words`,
    ]) {
      expect(parsePublicKeyLine(line).fingerprint).toBe(ED25519_FINGERPRINT)
    }
  })

  test('takes ECDSA (P-256, P-384) and RSA from 2048 bits', () => {
    for (const kind of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
      const key = sshKey(kind)
      expect(parsePublicKeyLine(key.line).fingerprint).toBe(key.fingerprint)
    }
  })

  test('refuses small RSA, DSA, private keys, several lines and broken text', () => {
    expect(refused(() => parsePublicKeyLine(sshKey('rsa-1024').line))).toBe('rsa keys must have at least 2048 bits (this one has 1024)')
    expect(refused(() => parsePublicKeyLine(DSA_PUBLIC_KEY))).toStartWith('unsupported key type "ssh-dss"')
    expect(refused(() => parsePublicKeyLine(sshKey().privatePem))).toStartWith('this is a private key')
    expect(
      refused(() => parsePublicKeyLine('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----')),
    ).toStartWith('this is a private key')
    expect(refused(() => parsePublicKeyLine(`${ED25519}\n${ED25519}`))).toStartWith('only one key')
    for (const text of [
      '',
      'ssh-ed25519',
      'AAAAC3NzaC1lZDI1NTE5AAAAIAzq0Wh/07LyEKrKsiKFepsXvGASjfpsntq2x1rF8PZq',
      'ssh-ed25519 not*base64',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAzq0Wh/07LyEKrKsiKFepsXvGASjfpsntq2x1rF8PZ',
    ]) {
      expect(refused(() => parsePublicKeyLine(text))).toStartWith('not an OpenSSH public key')
    }
  })

  test('refuses a line whose type disagrees with the key data', () => {
    expect(refused(() => parsePublicKeyLine(ED25519.replace('ssh-ed25519', 'ssh-rsa')))).toBe(
      'the line says "ssh-rsa" but the key data is "ssh-ed25519"',
    )
  })
})

describe('parseKeyBlob', () => {
  test('refuses trailing bytes, truncated data and unknown algorithms', () => {
    const blob = blobOf(ED25519)
    expect(refused(() => parseKeyBlob(Buffer.concat([blob, Buffer.from([0, 0, 0, 1, 65])])))).toBe('the ssh-ed25519 key data is malformed')
    expect(refused(() => parseKeyBlob(blob.subarray(0, blob.length - 4)))).toBe('the ssh-ed25519 key data is malformed')
    expect(refused(() => parseKeyBlob(Buffer.from([0, 0, 0])))).toBe('the key data is not an SSH public key')
    const cert = Buffer.concat([Buffer.from([0, 0, 0, 32]), Buffer.from('ssh-ed25519-cert-v01@openssh.com'), Buffer.alloc(8)])
    expect(refused(() => parseKeyBlob(cert))).toStartWith('unsupported key type "ssh-ed25519-cert-v01@openssh.com"')
  })

  test('fingerprintOf is SHA-256 in unpadded base64', () => {
    expect(fingerprintOf(blobOf(ED25519))).toBe(ED25519_FINGERPRINT)
    expect(fingerprintOf(Buffer.alloc(0))).toBe('SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU')
  })
})

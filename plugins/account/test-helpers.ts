/** Builders shared by this plugin's tests: SSH keys, image headers, sessions. */
import { generateKeyPairSync } from 'node:crypto'
import sshpk from 'sshpk'
import users from '../users'
import { type TestApp, makeUser, type TestUser } from 'hatchery/testing'

export type KeyKind = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-1024' | 'rsa-2048'

/** A DSA public key (ssh-keygen -t dsa; Bun's crypto cannot make DSA keys). */
export const DSA_PUBLIC_KEY =
  'ssh-dss AAAAB3NzaC1kc3MAAACBAMVniMeFGEYJxl7RWtVm67VWCOpiyCIUIeZ5FeGHSuf5vNGMD9hNLj44OAuF3xAN3S/3IQzPSdZoj7jqzESb4666a9WlQAuBRguX9yuOyJSkDi6w084vTWG3MXJRAk50pCO5RLb6GIsGsqKNMoXQ3bB8iLFIixpY0I5iQd9kQaSDAAAAFQCrWo5hzda+VNxWCzcgTR00xPBS9QAAAIAm5KgSRuvb0Hg823NJJwFwPKSG+dvxoHTmbjSlGJ6q+fnqwgLhDiXr7QAHroisT2MhzmsogJy1JheZiaUV8helCt0yXb5JbsFe8PSocQGtFwFim2zxjr+WD2mBco6qW8OSf/wOAOjpzCRxYZjkH9I9x12Y8Pg6jGAGD9Akv32fVQAAAIBY7XpbjaGXh03yDvF4RHmgehSrL8NOHyT+cp4DtCrRdsx3U9xh5K5N4/pPyvr12MqAodDRBLh6JfPJFN0QAEgbzWqjcX9gVplsPgjLdkVre7iF6QUf9+JKHx7noaRiQEh3IzZ3A0QPzEpXB7EcSazgmfsJqwfXS440g3IiL4BG8A== dsa@hatchery'

/** A fresh key pair: the OpenSSH public line (with a comment), its fingerprint, and the private key PEM. */
export function sshKey(kind: KeyKind = 'ed25519', comment = 'test@hatchery'): { line: string; fingerprint: string; privatePem: string } {
  const pair =
    kind === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : kind === 'ecdsa-p256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : kind === 'ecdsa-p384'
          ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
          : generateKeyPairSync('rsa', { modulusLength: kind === 'rsa-1024' ? 1024 : 2048 })
  const key = sshpk.parseKey(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'pem')
  key.comment = comment
  return {
    line: key.toString('ssh'),
    fingerprint: key.fingerprint('sha256').toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  }
}

const u32be = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const u32le = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]
const u16be = (n: number) => [(n >>> 8) & 255, n & 255]
const u16le = (n: number) => [n & 255, (n >>> 8) & 255]
const text = (s: string) => [...s].map((c) => c.charCodeAt(0))

/** PNG signature, IHDR with the size, a tiny IDAT and IEND (CRCs are not checked by the panel). */
export function png(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: number[]) => [...u32be(data.length), ...text(type), ...data, 0, 0, 0, 0]
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', [...u32be(width), ...u32be(height), 8, 6, 0, 0, 0]),
    ...chunk('IDAT', [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
    ...chunk('IEND', []),
  ])
}

/** JPEG: SOI, APP0 (JFIF), a DQT, the frame header (SOF0 by default), SOS, EOI. */
export function jpeg(width: number, height: number, opts: { sof?: number; fill?: boolean; frame?: boolean } = {}): Uint8Array {
  const segment = (marker: number, data: number[]) => [0xff, ...(opts.fill ? [0xff, 0xff] : []), marker, ...u16be(data.length + 2), ...data]
  const sof = segment(opts.sof ?? 0xc0, [8, ...u16be(height), ...u16be(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
  return new Uint8Array([
    0xff,
    0xd8,
    ...segment(0xe0, [...text('JFIF'), 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0, ...new Array(64).fill(1)]),
    ...(opts.frame === false ? [] : sof),
    ...segment(0xda, [1, 1, 0, 0, 63, 0]),
    0x12,
    0x34,
    0xff,
    0xd9,
  ])
}

/** WebP in a RIFF container with a lossy (VP8), lossless (VP8L) or extended (VP8X) first chunk. */
export function webp(width: number, height: number, kind: 'VP8 ' | 'VP8L' | 'VP8X' = 'VP8 '): Uint8Array {
  const data =
    kind === 'VP8 '
      ? [0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, ...u16le(width), ...u16le(height), 0, 0]
      : kind === 'VP8L'
        ? [0x2f, ...u32le(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14)), 0, 0, 0]
        : [0x10, 0, 0, 0, ...u32le(width - 1).slice(0, 3), ...u32le(height - 1).slice(0, 3)]
  const body = [...text('WEBP'), ...text(kind), ...u32le(data.length), ...data]
  return new Uint8Array([...text('RIFF'), ...u32le(body.length), ...body])
}

/**
 * A new user (without a password) and a session cookie for it, made through the users plugin's
 * API: a password login costs two argon2 runs, too slow to pay in every test.
 */
export async function session(t: TestApp, overrides: Parameters<typeof makeUser>[1] = {}): Promise<{ user: TestUser; cookie: string }> {
  const user = await makeUser(t, { password: null, ...overrides })
  const api = t.kernel.contexts.get('users')!.api(users)
  const { cookie } = await api.credentials.createSession(t.kernel.database.db, user.uuid, '127.0.0.1', 'bun test')
  return { user, cookie: `${await t.kernel.settings.get('app.session_cookie')}=${cookie}` }
}

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

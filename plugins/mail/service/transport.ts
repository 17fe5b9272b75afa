import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Transporter } from 'nodemailer'
import type { Static } from '@sinclair/typebox'
import type { MailMode } from 'hatchery'

export type MailModeValue = Static<typeof MailMode>
export type Address = string | { name: string; address: string }

export interface Outgoing {
  from: Address
  to: Address
  subject: string
  text: string
  html: string
}

/** One configured way of delivering; `deliver` resolves once the message is accepted. */
export interface Transport {
  deliver(message: Outgoing): Promise<{ messageId: string }>
  close(): void
}

/**
 * SMTP waits this long to connect, then for the greeting, then for any reply after that. Connect
 * plus greeting stay under the admin connection test's 15 s, so a server that is down or silent
 * is reported with the transport's own reason (`Greeting never received`, `ECONNREFUSED`…).
 */
const CONNECT_TIMEOUT_MS = 5_000
const GREETING_TIMEOUT_MS = 8_000
const SOCKET_TIMEOUT_MS = 30_000

/** A relative `filesystem` path lives under DATA_DIR; an absolute one is taken as is. */
// nodemailer is loaded on the first mail: most panel processes never send one, and it weighs ~20 MiB.
let nodemailer: Promise<typeof import('nodemailer')> | undefined

function lazyTransporter(options: Parameters<typeof import('nodemailer').createTransport>[0]) {
  let transporter: Promise<Transporter> | undefined
  return {
    get: () => (transporter ??= (nodemailer ??= import('nodemailer')).then((m) => m.createTransport(options) as Transporter)),
    close: () => void transporter?.then((t) => t.close()),
  }
}

export function mailDirectory(mode: { path: string }, dataDir: string): string {
  return resolve(dataDir, mode.path)
}

function smtp(mode: Extract<MailModeValue, { type: 'smtp' }>): Transport {
  const transporter = lazyTransporter({
    host: mode.host,
    port: mode.port,
    secure: mode.tls_mode === 'implicit_tls',
    requireTLS: mode.tls_mode === 'starttls',
    ignoreTLS: mode.tls_mode === 'none',
    auth: mode.username ? { user: mode.username, pass: mode.password ?? '' } : undefined,
    tls: { rejectUnauthorized: !mode.skip_cert_validation },
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
  })
  return {
    deliver: async (message) => ({ messageId: (await (await transporter.get()).sendMail(message)).messageId }),
    close: transporter.close,
  }
}

function sendmail(mode: Extract<MailModeValue, { type: 'sendmail' }>): Transport {
  // `command` may carry arguments ("/usr/sbin/sendmail -t"); nodemailer adds -i and the recipients.
  const [path, ...args] = mode.command.trim().split(/\s+/)
  const transporter = lazyTransporter({ sendmail: true, path, args: args.length ? args : undefined, newline: 'unix' })
  return {
    deliver: async (message) => ({ messageId: (await (await transporter.get()).sendMail(message)).messageId }),
    close: transporter.close,
  }
}

function filesystem(mode: Extract<MailModeValue, { type: 'filesystem' }>, dataDir: string): Transport {
  const dir = mailDirectory(mode, dataDir)
  const composer = lazyTransporter({ streamTransport: true, buffer: true, newline: 'unix' })
  let ready: Promise<void> | undefined
  return {
    async deliver(message) {
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => undefined)
      await ready.catch((e) => {
        ready = undefined
        throw e
      })
      const info = await (await composer.get()).sendMail(message)
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`
      const file = join(dir, name)
      await writeFile(file, info.message as Buffer, { mode: 0o600, flag: 'wx' })
      return { messageId: info.messageId }
    },
    close: composer.close,
  }
}

/** The transport for a `mail_mode` value; null when mail is off (`none`). */
export function createMailTransport(mode: MailModeValue, dataDir: string): Transport | null {
  switch (mode.type) {
    case 'none':
      return null
    case 'smtp':
      return smtp(mode)
    case 'sendmail':
      return sendmail(mode)
    case 'filesystem':
      return filesystem(mode, dataDir)
  }
}

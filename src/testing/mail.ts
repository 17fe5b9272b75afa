import type { SMTPServer as SMTPServerType } from 'smtp-server'
import type { AddressInfo } from 'node:net'

/** A message the sink received, with the parts a test reads decoded. */
export interface CapturedMail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelope: { from: string; to: string[] }
  /** Who authenticated (AUTH), if anyone. */
  user: string | null
  /** Whether the connection was TLS when the message came. */
  secure: boolean
  headers: Record<string, string>
  subject: string
  text: string
  html: string
  raw: string
}

export interface SmtpSinkOptions {
  /** Require AUTH with these credentials (anything else is refused with 535). */
  auth?: { username: string; password: string }
  /** TLS from the first byte (smtp-server's self-signed certificate). */
  secure?: boolean
  /** Offer STARTTLS (self-signed); off by default. */
  starttls?: boolean
}

export interface SmtpSink {
  port: number
  messages: CapturedMail[]
  /** The next message not yet taken by `next` (waits for it). */
  next(timeoutMs?: number): Promise<CapturedMail>
  /** A `mail_mode` value that sends here. */
  mode(overrides?: Record<string, unknown>): Record<string, unknown>
  close(): Promise<void>
}

function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
  )
}

function decodeQp(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

function splitPart(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/)
  const head = at === -1 ? raw : raw.slice(0, at)
  const body = at === -1 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '')
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

function decodeBody(headers: Record<string, string>, body: string): string {
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase()
  if (encoding === 'quoted-printable') return decodeQp(body)
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  return body
}

/** Enough MIME to read what nodemailer writes: single part or (nested) multipart, QP/base64. */
export function parseMail(raw: string): Pick<CapturedMail, 'headers' | 'subject' | 'text' | 'html' | 'raw'> {
  const { headers, body } = splitPart(raw)
  const parts = { text: '', html: '' }
  const walk = (h: Record<string, string>, b: string) => {
    const type = h['content-type'] ?? 'text/plain'
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1]
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      for (const chunk of b.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break
        const part = splitPart(chunk.replace(/^\r?\n/, ''))
        walk(part.headers, part.body)
      }
    } else if (type.toLowerCase().startsWith('text/html')) parts.html = decodeBody(h, b).replace(/\r?\n$/, '')
    else if (type.toLowerCase().startsWith('text/plain')) parts.text = decodeBody(h, b).replace(/\r?\n$/, '')
  }
  walk(headers, body)
  return { headers, subject: decodeWords(headers.subject ?? ''), ...parts, raw }
}

/**
 * A local SMTP server on a free port that keeps every message (smtp-server; authentication
 * optional unless `auth` is given). Close it in `afterAll`.
 * @example const sink = await startSmtpSink(); await t.kernel.settings.update({ mail_mode: sink.mode() })
 */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: CapturedMail[] = []
  let taken = 0
  const waiters: (() => void)[] = []
  const { SMTPServer } = await import('smtp-server') // a dev dependency: loaded only by tests that send mail
  const server: SMTPServerType = new SMTPServer({
    secure: opts.secure ?? false,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: opts.starttls || opts.secure ? [] : ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.username && auth.password === opts.auth.password)
        return cb(null, { user: auth.username })
      cb(new Error('invalid credentials'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          user: (session.user as string | undefined) ?? null,
          secure: session.secure,
          ...parseMail(raw),
        })
        waiters.splice(0).forEach((w) => w())
        cb()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    messages,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (messages.length <= taken) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no mail arrived within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return messages[taken++]
    },
    mode(overrides = {}) {
      return {
        type: 'smtp',
        host: '127.0.0.1',
        port,
        username: opts.auth?.username ?? null,
        password: opts.auth?.password ?? null,
        tls_mode: opts.secure ? 'implicit_tls' : 'none',
        skip_cert_validation: false,
        from_address: 'panel@example.com',
        from_name: null,
        ...overrides,
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

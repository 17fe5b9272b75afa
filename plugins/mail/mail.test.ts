import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useTestApp, SETUP_TIMEOUT, parseMail, startSmtpSink, type SmtpSink } from 'hatchery/testing'
import mail, { MailError, type MailApi } from '.'

const context = {
  user: { uuid: 'u', username: 'alice', email: 'alice@example.com', name_first: 'Al', name_last: 'Ice' },
  reset_link: 'http://localhost:8000/auth/reset-password?token=a&b',
}

describe('mail plugin', () => {
  const t = useTestApp()
  let sink: SmtpSink
  let mailer: MailApi

  beforeAll(async () => {
    sink = await startSmtpSink()
    mailer = t.kernel.contexts.get('mail')!.api(mail)
  }, SETUP_TIMEOUT)
  afterAll(async () => {
    await sink?.close()
  })
  beforeEach(async () => {
    await t.kernel.settings.reset(['mail_mode'])
  })

  describe('mode none', () => {
    test('nothing is sent and send says so', async () => {
      expect(await mailer.mode()).toBe('none')
      expect(await mailer.send('password_reset', 'alice@example.com', context)).toEqual({ sent: false })
      await Bun.sleep(50)
      expect(sink.messages).toHaveLength(0)
    })

    test('an unknown template is still an error', async () => {
      const err = await mailer.send('nope', 'a@example.com').catch((e) => e)
      expect(err).toBeInstanceOf(MailError)
      expect(err).toMatchObject({ kind: 'unknown_template', status: 404 })
    })
  })

  describe('mode smtp', () => {
    test('a templated message arrives with subject, sender, text and escaped HTML', async () => {
      await t.kernel.settings.update({ mail_mode: sink.mode({ from_name: 'Panel Bot' }) })
      const result = await mailer.send('password_reset', 'alice@example.com', {
        ...context,
        user: { ...context.user, username: 'al<i>ce' },
      })
      expect(result.sent).toBe(true)
      expect(result.messageId).toBeTruthy()
      const m = await sink.next()
      expect(m.envelope).toEqual({ from: 'panel@example.com', to: ['alice@example.com'] })
      expect(m.headers.from).toBe('Panel Bot <panel@example.com>')
      expect(m.subject).toBe('Reset your Hatchery password')
      expect(m.text).toContain('Hello al<i>ce,')
      expect(m.text).toContain(context.reset_link)
      expect(m.html).toContain('Hello al&lt;i&gt;ce,')
      expect(m.html).toContain('href="http://localhost:8000/auth/reset-password?token=a&amp;b"')
    })

    test('the sender name falls back to app.name', async () => {
      await t.kernel.settings.update({ mail_mode: sink.mode(), 'app.name': 'My Panel' })
      try {
        await mailer.send('connection_test', 'x@example.com')
        const m = await sink.next()
        expect(m.headers.from).toBe('My Panel <panel@example.com>')
        expect(m.subject).toBe('My Panel test email')
        expect(m.text).toContain('http://localhost:8000')
      } finally {
        await t.kernel.settings.reset(['app.name'])
      }
    })

    test('a changed setting is used at once (the cached transport is replaced)', async () => {
      const other = await startSmtpSink()
      try {
        await t.kernel.settings.update({ mail_mode: sink.mode() })
        await mailer.send('connection_test', 'one@example.com')
        expect((await sink.next()).envelope.to).toEqual(['one@example.com'])
        await t.kernel.settings.update({ mail_mode: other.mode() })
        await mailer.send('connection_test', 'two@example.com')
        expect((await other.next()).envelope.to).toEqual(['two@example.com'])
      } finally {
        await other.close()
      }
    })

    test('a refused delivery is a MailError of kind failed', async () => {
      const closed = await startSmtpSink()
      const port = closed.port
      await closed.close()
      await t.kernel.settings.update({ mail_mode: { ...sink.mode(), port } })
      const err = await mailer.send('connection_test', 'x@example.com').catch((e) => e)
      expect(err).toBeInstanceOf(MailError)
      expect(err.kind).toBe('failed')
      expect(err.message).toStartWith('failed to send email: ')
    })

    test('a template disabled by an override is not sent', async () => {
      await t.kernel.settings.update({ mail_mode: sink.mode() })
      mailer.templates.override('connection_test', { enabled: false })
      try {
        expect(await mailer.send('connection_test', 'disabled@example.com')).toEqual({ sent: false })
      } finally {
        mailer.templates.reset('connection_test')
      }
      await Bun.sleep(50)
      expect(sink.messages.filter((m) => m.envelope.to[0] === 'disabled@example.com')).toHaveLength(0)
    })

    test('a server that never answers times out', async () => {
      const silent: Server = createServer(() => {})
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
      try {
        await t.kernel.settings.update({ mail_mode: { ...sink.mode(), port: (silent.address() as { port: number }).port } })
        const err = await mailer.send('connection_test', 'x@example.com', {}, { timeoutMs: 300 }).catch((e) => e)
        expect(err).toBeInstanceOf(MailError)
        expect(err).toMatchObject({ kind: 'timeout', status: 504 })
      } finally {
        silent.close()
      }
    })

    test('sendLater does not throw when delivery fails', async () => {
      await t.kernel.settings.update({ mail_mode: { ...sink.mode(), port: 1 } })
      expect(() => mailer.sendLater('connection_test', 'x@example.com')).not.toThrow()
      await Bun.sleep(100)
    })
  })

  describe('smtp authentication and TLS', () => {
    const auth = { username: 'mailer', password: 'hunter2-secret' }
    let authSink: SmtpSink
    let tlsSink: SmtpSink
    let starttlsSink: SmtpSink
    beforeAll(async () => {
      authSink = await startSmtpSink({ auth })
      tlsSink = await startSmtpSink({ secure: true })
      starttlsSink = await startSmtpSink({ starttls: true })
    })
    afterAll(async () => {
      await Promise.all([authSink?.close(), tlsSink?.close(), starttlsSink?.close()])
    })

    test('username and password log in', async () => {
      await t.kernel.settings.update({ mail_mode: authSink.mode() })
      await mailer.send('connection_test', 'x@example.com')
      expect((await authSink.next()).user).toBe('mailer')
    })

    test('a wrong password fails without the password in the error', async () => {
      await t.kernel.settings.update({ mail_mode: authSink.mode({ password: 'wrong-password-xyz' }) })
      const err = await mailer.send('connection_test', 'x@example.com').catch((e) => e)
      expect(err).toMatchObject({ kind: 'failed' })
      expect(err.message).not.toContain('wrong-password-xyz')
    })

    test('implicit TLS: a self-signed certificate is refused unless skip_cert_validation', async () => {
      await t.kernel.settings.update({ mail_mode: tlsSink.mode() })
      expect(await mailer.send('connection_test', 'x@example.com').catch((e) => e)).toMatchObject({ kind: 'failed' })
      await t.kernel.settings.update({ mail_mode: tlsSink.mode({ skip_cert_validation: true }) })
      expect((await mailer.send('connection_test', 'x@example.com')).sent).toBe(true)
      expect((await tlsSink.next()).secure).toBe(true)
    })

    test('starttls upgrades the connection; tls_mode none does not', async () => {
      await t.kernel.settings.update({ mail_mode: starttlsSink.mode({ tls_mode: 'starttls', skip_cert_validation: true }) })
      await mailer.send('connection_test', 'x@example.com')
      expect((await starttlsSink.next()).secure).toBe(true)
      await t.kernel.settings.update({ mail_mode: starttlsSink.mode({ tls_mode: 'none' }) })
      await mailer.send('connection_test', 'x@example.com')
      expect((await starttlsSink.next()).secure).toBe(false)
    })

    test('starttls is required when asked for: a server without it fails', async () => {
      await t.kernel.settings.update({ mail_mode: sink.mode({ tls_mode: 'starttls' }) })
      expect(await mailer.send('connection_test', 'x@example.com').catch((e) => e)).toMatchObject({ kind: 'failed' })
    })
  })

  describe('mode filesystem', () => {
    const fields = { from_address: 'panel@example.com', from_name: null }

    test('a relative path is under DATA_DIR, created 0700, one .eml file (0600) per message', async () => {
      await t.kernel.settings.update({ mail_mode: { type: 'filesystem', path: 'mail', ...fields } })
      await mailer.send('password_reset', 'alice@example.com', context)
      await mailer.send('connection_test', 'bob@example.com')
      const dir = join(t.config.dataDir, 'mail')
      expect(statSync(dir).mode & 0o777).toBe(0o700)
      const files = readdirSync(dir).sort()
      expect(files).toHaveLength(2)
      for (const f of files) {
        expect(f).toEndWith('.eml')
        expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
      }
      const parsed = files.map((f) => parseMail(readFileSync(join(dir, f), 'utf8')))
      const reset = parsed.find((m) => m.headers.to === 'alice@example.com')!
      expect(reset.subject).toBe('Reset your Hatchery password')
      expect(reset.text).toContain(context.reset_link)
      expect(parsed.find((m) => m.headers.to === 'bob@example.com')!.subject).toBe('Hatchery test email')
    })

    test('an absolute path is used as given', async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'hatchery-mail-')), 'out')
      try {
        await t.kernel.settings.update({ mail_mode: { type: 'filesystem', path: dir, ...fields } })
        await mailer.send('connection_test', 'x@example.com')
        expect(readdirSync(dir)).toHaveLength(1)
      } finally {
        rmSync(join(dir, '..'), { recursive: true, force: true })
      }
    })
  })

  describe('mode sendmail', () => {
    test('the command (with its arguments) gets the message on stdin', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hatchery-sendmail-'))
      const script = join(dir, 'fake-sendmail')
      writeFileSync(script, `#!/bin/sh\necho "$@" > "${dir}/args"\ncat > "${dir}/message"\n`)
      chmodSync(script, 0o755)
      try {
        await t.kernel.settings.update({
          mail_mode: { type: 'sendmail', command: `${script} -oi`, from_address: 'panel@example.com', from_name: null },
        })
        expect((await mailer.send('connection_test', 'x@example.com')).sent).toBe(true)
        expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe('-i -oi x@example.com')
        expect(parseMail(readFileSync(join(dir, 'message'), 'utf8')).subject).toBe('Hatchery test email')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})

import { createHash } from 'node:crypto'
import { HttpError, type Logger, type SettingsService } from 'hatchery'
import { render, TemplateRegistry, type RenderedMail } from './templates'
import { createMailTransport, type Address, type MailModeValue, type Transport } from './transport'

export type MailErrorKind = 'disabled' | 'unknown_template' | 'timeout' | 'failed'

const STATUS: Record<MailErrorKind, number> = { disabled: 400, unknown_template: 404, timeout: 504, failed: 502 }

/**
 * Why a message was not sent. It is an HttpError so a route that lets it through answers
 * sensibly (400 mail is off, 404 unknown template, 502 refused, 504 timed out); routes with a
 * wire-specified message (the admin connection test) catch it and rethrow their own.
 */
export class MailError extends HttpError {
  constructor(
    readonly kind: MailErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(STATUS[kind], message)
    this.name = 'MailError'
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause
  }
}

export interface SendOptions {
  /** Give up (MailError `timeout`) after this long; default 60 s. */
  timeoutMs?: number
  /** Send even when the template is disabled (the admin connection test). */
  force?: boolean
}

export interface SendResult {
  /** False when mail is off (`mail_mode` none) or the template is disabled. */
  sent: boolean
  messageId?: string
}

const DEFAULT_TIMEOUT_MS = 60_000

/**
 * Sends templated mail according to the `mail_mode` setting. The transport is built once per
 * distinct setting value and replaced (the old one closed) when the setting changes.
 */
export class Mailer {
  private current?: { key: string; transport: Transport | null }

  constructor(
    readonly templates: TemplateRegistry,
    private settings: SettingsService,
    private dataDir: string,
    private log: Logger,
  ) {}

  /** The current mode (`none`, `smtp`, `sendmail`, `filesystem`). */
  async mode(): Promise<MailModeValue['type']> {
    return (await this.settings.get('mail_mode')).type
  }

  /** Renders a template with the global variables (`app_name`, `app_url`) added to `context`. */
  async render(templateId: string, context: Record<string, unknown> = {}): Promise<RenderedMail> {
    const template = await this.templates.resolve(templateId)
    if (!template) throw new MailError('unknown_template', 'email template not found')
    return render(template, await this.withGlobals(context))
  }

  /**
   * Renders and sends one message; resolves when the transport accepted it.
   * @throws MailError (`unknown_template`, `timeout`, `failed`)
   * @example await mail.send('password_reset', user.email, { user, reset_link })
   */
  async send(templateId: string, to: Address, context: Record<string, unknown> = {}, opts: SendOptions = {}): Promise<SendResult> {
    const template = await this.templates.resolve(templateId)
    if (!template) throw new MailError('unknown_template', 'email template not found')
    const snapshot = await this.settings.snapshot()
    const mode = snapshot.get('mail_mode')
    const transport = this.transportFor(mode)
    if (!transport || mode.type === 'none') {
      this.log.debug('mail is off; message not sent', { template: templateId })
      return { sent: false }
    }
    if (!template.enabled && !opts.force) {
      this.log.debug('mail template disabled; message not sent', { template: templateId })
      return { sent: false }
    }
    const message = render(template, await this.withGlobals(context))
    const from = mode.from_name
      ? { name: mode.from_name, address: mode.from_address }
      : { name: snapshot.get('app.name'), address: mode.from_address }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MailError('timeout', `sending email timed out after ${Math.round(timeoutMs / 1000)} seconds`)),
        timeoutMs,
      )
    })
    try {
      const { messageId } = await Promise.race([transport.deliver({ from, to, ...message }), timeout])
      this.log.info('mail sent', { template: templateId, mode: mode.type, message_id: messageId })
      return { sent: true, messageId }
    } catch (e) {
      if (e instanceof MailError) throw e
      throw new MailError('failed', `failed to send email: ${(e as Error).message}`, { cause: e })
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends in the background; a failure is logged (warn), never thrown. For flows that must not wait or tell. */
  sendLater(templateId: string, to: Address, context: Record<string, unknown> = {}, opts: SendOptions = {}): void {
    void this.send(templateId, to, context, opts).catch((e: Error) => {
      this.log.warn('mail not sent', { template: templateId, reason: (e as MailError).kind ?? 'failed', error: e.message })
    })
  }

  /** Closes the cached transport (shutdown). */
  close(): void {
    this.current?.transport?.close()
    this.current = undefined
  }

  private async withGlobals(context: Record<string, unknown>): Promise<Record<string, unknown>> {
    const s = await this.settings.snapshot()
    return { app_name: s.get('app.name'), app_url: s.get('app.url').replace(/\/+$/, ''), ...context }
  }

  private transportFor(mode: MailModeValue): Transport | null {
    // The key is a digest, so the SMTP password is not kept in one more place.
    const key = createHash('sha256').update(JSON.stringify(mode)).digest('hex')
    if (this.current?.key !== key) {
      this.current?.transport?.close()
      this.current = { key, transport: createMailTransport(mode, this.dataDir) }
    }
    return this.current.transport
  }
}

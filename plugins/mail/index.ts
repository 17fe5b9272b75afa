import { definePlugin, type PluginDescriptor } from 'hatchery'
import { Mailer } from './service/mailer'
import { TemplateRegistry } from './service/templates'

/**
 * Outgoing mail for every plugin, sent the way the `mail_mode` setting says: `none` (nothing is
 * sent; logged at debug), `smtp` (nodemailer; `tls_mode` none | starttls | implicit_tls,
 * `skip_cert_validation`), `sendmail` (`command`, optionally with arguments) or `filesystem`
 * (one `.eml` file per message in `path`: relative paths are under DATA_DIR, e.g. `mail`; the
 * folder is created with mode 0700, files 0600). The sender is `from_name <from_address>`, with
 * `app.name` when `from_name` is null.
 *
 * Use it from another plugin (declare `dependsOn: ['mail']`):
 *
 * ```ts
 * import mail from '../mail'
 * const mailer = ctx.api(mail)
 * await mailer.send('password_reset', user.email, { user, reset_link })   // waits; throws MailError
 * mailer.sendLater('account_created', user.email, { user, reset_link })   // background; logs failures
 * ```
 *
 * Templates have a subject, a text body and an HTML body with `{{dotted.path}}` placeholders
 * filled from the context (HTML-escaped in the HTML body); `app_name` and `app_url` are always
 * there. Defaults: `password_reset`, `account_created` (both `user`, `reset_link`) and
 * `connection_test`. Extend or change them from your plugin's `setup`:
 *
 * ```ts
 * mailer.templates.register('server_suspended', { subject: '…', text: '…', variables: ['server.name'] })
 * mailer.templates.override('password_reset', { subject: 'Reset your password' })
 * mailer.templates.useOverrideSource(async (id) => storedEdit(id), 'admin')   // at most one, consulted per send
 * ```
 *
 * Precedence: the registered template ← `override()` ← the override source. An override may set
 * `enabled: false`; a disabled template is not sent (`send` resolves `{ sent: false }`).
 */
const plugin: PluginDescriptor<MailApi> = definePlugin<MailApi>({
  name: 'mail',
  version: '1.0.0',
  description: 'Outgoing mail (SMTP, sendmail, filesystem) with overridable templates',
  setup: (ctx) => new Mailer(new TemplateRegistry(), ctx.settings, ctx.dataDir, ctx.log),
  onShutdown: (ctx) => ctx.api(plugin).close(),
})

/** What `ctx.api(mail)` returns. */
export type MailApi = Mailer

export default plugin
export { Mailer, MailError } from './service/mailer'
export type { MailErrorKind, SendOptions, SendResult } from './service/mailer'
export { TemplateRegistry, DEFAULT_TEMPLATES, GLOBAL_VARIABLES, escapeHtml, render } from './service/templates'
export type { MailTemplate, TemplateOverride, OverrideSource, RenderedMail } from './service/templates'
export { mailDirectory } from './service/transport'
export type { Address, MailModeValue } from './service/transport'

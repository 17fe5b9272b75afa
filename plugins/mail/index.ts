import { definePlugin, type PluginDescriptor } from 'hatchery'
import { Mailer } from './service/mailer'
import { TemplateRegistry } from './service/templates'
import { storedOverride } from './service/store'
import { mailAdminRoutes } from './admin'
import * as tables from './tables'

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
 * ```
 *
 * Precedence: the registered template ← `override()` ← the administrator's edits (table
 * `email_templates`, edited through `/api/admin/system/email/templates`; this plugin installs them
 * as the registry's one override source). An override may set `enabled: false`; a disabled
 * template is not sent (`send` resolves `{ sent: false }`).
 */
const plugin: PluginDescriptor<MailApi> = definePlugin<MailApi>({
  name: 'mail',
  version: '1.0.0',
  description: 'Outgoing mail (SMTP, sendmail, filesystem) with overridable templates',
  tables,
  migrations: '../../migrations/mail',
  setup(ctx) {
    const templates = new TemplateRegistry()
    templates.useOverrideSource((id) => storedOverride(ctx.db, id), 'mail')
    return new Mailer(templates, ctx.settings, ctx.dataDir, ctx.log)
  },
  routes: { admin: (ctx) => mailAdminRoutes(ctx, ctx.api(plugin)) },
  onShutdown: (ctx) => ctx.api(plugin).close(),
})

/** What `ctx.api(mail)` returns. */
export type MailApi = Mailer

export default plugin
export { Mailer, MailError } from './service/mailer'
export type { MailErrorKind, SendOptions, SendResult } from './service/mailer'
export { TemplateRegistry, DEFAULT_TEMPLATES, GLOBAL_VARIABLES, escapeHtml, render, htmlToText, textToHtml } from './service/templates'
export { tables }
export type { MailTemplate, TemplateOverride, OverrideSource, RenderedMail } from './service/templates'
export { mailDirectory } from './service/transport'
export type { Address, MailModeValue } from './service/transport'

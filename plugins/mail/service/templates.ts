/**
 * Mail templates: a subject, a plain-text body and an HTML body with `{{variable}}` placeholders
 * (dotted paths into the send context, e.g. `{{user.username}}`). Values are HTML-escaped in the
 * HTML body; a missing value renders as an empty string.
 */
export interface MailTemplate {
  subject: string
  text: string
  /** Without it the HTML part is the text, escaped, one paragraph per blank-line block. */
  html?: string
  /** Placeholders the sender fills (the admin API lists them as `available_variables`). */
  variables: string[]
  /** A disabled template is skipped: `send` resolves `{ sent: false }`. Default true. */
  enabled?: boolean
}

/** What an override may change; absent fields keep the template's own. */
export type TemplateOverride = Partial<Pick<MailTemplate, 'subject' | 'text' | 'html' | 'enabled'>>

/** Looked up at every send (e.g. edits an administrator stored); null means none. */
export type OverrideSource = (id: string) => Promise<TemplateOverride | null>

export interface RenderedMail {
  subject: string
  text: string
  html: string
}

/** Placed in every context by the mailer. */
export const GLOBAL_VARIABLES = ['app_name', 'app_url']
const USER_VARIABLES = ['user.uuid', 'user.username', 'user.email', 'user.name_first', 'user.name_last']

export const DEFAULT_TEMPLATES: Record<string, MailTemplate> = {
  password_reset: {
    subject: 'Reset your {{app_name}} password',
    text:
      'Hello {{user.username}},\n\n' +
      'Someone asked to reset the password of your {{app_name}} account. Open this link within 20 minutes to choose a new one:\n\n' +
      '{{reset_link}}\n\n' +
      'If you did not ask for this, ignore this message: your password stays as it is.',
    html:
      '<p>Hello {{user.username}},</p>' +
      '<p>Someone asked to reset the password of your {{app_name}} account. Open this link within 20 minutes to choose a new one:</p>' +
      '<p><a href="{{reset_link}}">Reset my password</a></p>' +
      '<p>If you did not ask for this, ignore this message: your password stays as it is.</p>',
    variables: [...GLOBAL_VARIABLES, ...USER_VARIABLES, 'reset_link'],
  },
  account_created: {
    subject: 'Your {{app_name}} account',
    text:
      'Hello {{user.username}},\n\n' +
      'An account was created for you on {{app_name}} ({{app_url}}). Open this link within 20 minutes to choose your password:\n\n' +
      '{{reset_link}}\n\n' +
      'When the link has expired, use "forgot password" on the login page to get a new one.',
    html:
      '<p>Hello {{user.username}},</p>' +
      '<p>An account was created for you on <a href="{{app_url}}">{{app_name}}</a>. Open this link within 20 minutes to choose your password:</p>' +
      '<p><a href="{{reset_link}}">Choose my password</a></p>' +
      '<p>When the link has expired, use "forgot password" on the login page to get a new one.</p>',
    variables: [...GLOBAL_VARIABLES, ...USER_VARIABLES, 'reset_link'],
  },
  connection_test: {
    subject: '{{app_name}} test email',
    text: 'This is a test email from {{app_name}} ({{app_url}}). If you can read it, the mail settings work.',
    variables: [...GLOBAL_VARIABLES],
  },
}

/** Only the fields that are set: an explicit `undefined` must not erase the template's own. */
function defined(partial: TemplateOverride | null | undefined): TemplateOverride {
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined))
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c])
}

function lookup(context: Record<string, unknown>, path: string): string {
  let value: unknown = context
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return ''
    value = (value as Record<string, unknown>)[part]
  }
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** Replaces every `{{path}}`; `escape` is applied to each inserted value. */
export function interpolate(source: string, context: Record<string, unknown>, escape: (s: string) => string = (s) => s): string {
  return source.replace(PLACEHOLDER, (_m, path: string) => escape(lookup(context, path)))
}

/** Plain text as HTML: one paragraph per blank-line block, escaped (placeholders pass through unchanged). */
export function textToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, '<br>')}</p>`)
    .join('')
}

/**
 * Rewrites each `<tag …>inner</tag>` with `fn(openingTag, inner)`, in one pass over the text (no
 * backtracking regular expression: the HTML is an administrator's, of any shape).
 */
function eachElement(html: string, tag: string, fn: (open: string, inner: string) => string): string {
  const parts = html.split(new RegExp(`</${tag}\\s*>`, 'i'))
  return parts
    .map((part, i) => {
      if (i === parts.length - 1) return part
      const lower = part.toLowerCase()
      let at = lower.lastIndexOf(`<${tag}`)
      while (at !== -1 && !/[\s>/]/.test(lower[at + tag.length + 1] ?? '')) at = lower.lastIndexOf(`<${tag}`, at - 1)
      const close = at === -1 ? -1 : part.indexOf('>', at)
      if (close === -1) return part
      return part.slice(0, at) + fn(part.slice(at, close + 1), part.slice(close + 1))
    })
    .join('')
}

const ENTITIES: Record<string, string> = { nbsp: ' ', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", amp: '&' }

/**
 * The plain-text part of an HTML body an administrator wrote: links become `label: href`, block
 * ends become blank lines, other tags go, the usual entities are decoded. Placeholders survive, so
 * the result is a template too.
 */
export function htmlToText(html: string): string {
  let text = html
  for (const tag of ['head', 'style', 'script', 'title']) text = eachElement(text, tag, () => '')
  text = eachElement(text, 'a', (open, inner) => {
    const m = /\shref\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(open)
    const href = m ? (m[1] ?? m[2]) : ''
    const label = inner.replace(/<[^<>]*>/g, '').trim()
    return href && label !== href ? (label ? `${label}: ${href}` : href) : label
  })
  return text
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|li|tr|table|blockquote)\s*>/gi, '\n\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&(nbsp|lt|gt|quot|#39|apos|amp);/g, (_m, name: string) => ENTITIES[name])
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Renders a template; the subject is one line (line breaks from values become spaces). */
export function render(template: Pick<MailTemplate, 'subject' | 'text' | 'html'>, context: Record<string, unknown>): RenderedMail {
  const text = interpolate(template.text, context)
  const html = template.html !== undefined ? interpolate(template.html, context, escapeHtml) : textToHtml(text)
  return {
    subject: interpolate(template.subject, context)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    text,
    html,
  }
}

/**
 * The template registry: the defaults, templates other plugins register, overrides other plugins
 * set in process, and at most one override source (an administrator's stored edits) consulted at
 * send time. Precedence, lowest first: template ← `override()` ← override source.
 */
export class TemplateRegistry {
  private templates = new Map<string, MailTemplate>()
  private overrides = new Map<string, TemplateOverride>()
  private source?: OverrideSource

  constructor(defaults: Record<string, MailTemplate> = DEFAULT_TEMPLATES) {
    for (const [id, template] of Object.entries(defaults)) this.register(id, template)
  }

  /** Adds a new template; an id registered twice throws (override it instead). */
  register(id: string, template: MailTemplate): void {
    if (!/^[a-z0-9_]+$/.test(id)) throw new Error(`mail template id "${id}" must be snake_case`)
    if (this.templates.has(id)) throw new Error(`mail template "${id}" is already registered`)
    this.templates.set(id, { ...template, variables: [...template.variables] })
  }

  /** Replaces parts of a template in this process; later calls merge over earlier ones. */
  override(id: string, partial: TemplateOverride): void {
    if (!this.templates.has(id)) throw new Error(`mail template "${id}" is not registered`)
    this.overrides.set(id, { ...this.overrides.get(id), ...defined(partial) })
  }

  /** Drops the in-process override of a template. */
  reset(id: string): void {
    this.overrides.delete(id)
  }

  /** Installs the override source (one per process: a second one throws). */
  useOverrideSource(source: OverrideSource, owner: string): void {
    if (this.source) throw new Error(`${owner}: a mail template override source is already installed`)
    this.source = source
  }

  has(id: string): boolean {
    return this.templates.has(id)
  }

  ids(): string[] {
    return [...this.templates.keys()]
  }

  /** The template as registered, without any override. */
  original(id: string): MailTemplate | undefined {
    const t = this.templates.get(id)
    return t && { ...t, variables: [...t.variables] }
  }

  /** The template with the in-process overrides but without the override source: what "reset to default" gives. */
  defaults(id: string): (MailTemplate & { enabled: boolean }) | undefined {
    const base = this.templates.get(id)
    if (!base) return undefined
    const merged = { ...base, ...this.overrides.get(id) }
    return { ...merged, variables: [...base.variables], enabled: merged.enabled ?? true }
  }

  /** The template with every override applied; undefined for an unknown id. */
  async resolve(id: string): Promise<(MailTemplate & { enabled: boolean }) | undefined> {
    const base = this.templates.get(id)
    if (!base) return undefined
    const stored = this.source ? await this.source(id) : null
    const merged = { ...base, ...this.overrides.get(id), ...defined(stored) }
    return { ...merged, variables: [...base.variables], enabled: merged.enabled ?? true }
  }
}

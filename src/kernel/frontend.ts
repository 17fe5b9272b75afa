import { Elysia, NotFoundError, type AnyElysia } from 'elysia'
import { readFile, realpath, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { BadRequest } from './errors'
import type { Logger } from './logger'
import type { SettingsService, SettingsSnapshot } from './settings/service'

/** Cache policy of a content-hashed build file: its name changes whenever its bytes do. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Every other build file: kept, but revalidated (ETag / Last-Modified) before each use. */
export const REVALIDATE = 'public, no-cache'

/**
 * `assets/index-B4xT9q_2.js` (Vite's default) or `assets/index.B4xT9q_2.js` (Calagopus' build): under
 * `assets/`, a part of 6+ letters, digits, `-` or `_` with a digit or capital before the extension.
 */
const HASHED = /^assets\/(?:.+\/)?[^/]+[.-](?=[\w-]*[\dA-Z])[\w-]{6,}\.\w+$/
const COMPRESSIBLE = /\.(?:js|mjs|css|json|svg|html|txt|map|wasm)$/
/** `{{ settings.app.name }}`: the placeholders of the reference's index.html (a minijinja template there). */
const PLACEHOLDER = /\{\{\s*settings\.([\w.]+)\s*\}\}/g

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The path as sent (still percent-encoded), without the query. */
function rawPath(request: Request): string {
  const url = request.url
  const start = url.indexOf('/', url.indexOf('//') + 2)
  const q = url.indexOf('?', start)
  return q === -1 ? url.slice(start) : url.slice(start, q)
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`)
const isApi = (path: string) => under(path, '/api')

/**
 * The decoded segments of a path, `null` when it is hostile (bad percent-encoding, `.`/`..`, an
 * encoded `/`, a backslash, NUL or another control character), or `'none'` when it can name no
 * build file (an empty segment, a dot-file) but is harmless.
 */
export function pathSegments(path: string): string[] | null | 'none' {
  const segments: string[] = []
  let none = false
  for (const raw of path.slice(1).split('/')) {
    let s: string
    try {
      s = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (s === '.' || s === '..' || /[/\\\x00-\x1f\x7f]/.test(s)) return null
    if (s === '' || s.startsWith('.')) none = true
    segments.push(s)
  }
  return none ? 'none' : segments
}

interface BuildFile {
  path: string
  size: number
  mtime: number
}

interface IndexHtml {
  html: string
  csp: string
  etag: string
}

/** The Content-Security-Policy of the reference's index.html, opened for the configured captcha. */
function indexCsp(settings: SettingsSnapshot): string {
  const captcha = settings.get('captcha_provider').type
  const script = {
    none: '',
    turnstile: 'https://challenges.cloudflare.com',
    recaptcha: 'https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/',
    hcaptcha: 'https://hcaptcha.com https://*.hcaptcha.com',
    friendly_captcha: '',
  }[captcha]
  const style = captcha === 'hcaptcha' ? 'https://hcaptcha.com https://*.hcaptcha.com' : ''
  return [
    `default-src 'self'`,
    `script-src 'self' blob: ${script}`.trim(),
    'frame-src *',
    `style-src 'self' 'unsafe-inline' ${style}`.trim(),
    'connect-src * blob:',
    `font-src 'self' blob: data:`,
    'img-src * blob: data:',
    `media-src 'self' blob: data:`,
    'object-src blob: data:',
    `base-uri 'self'`,
    `form-action 'self'`,
    `frame-ancestors 'self'`,
  ].join('; ')
}

/** 304 when the client's copy is current: If-None-Match first, else If-Modified-Since. */
function notModified(request: Request, etag: string, mtime?: number): boolean {
  const tags = request.headers.get('if-none-match')
  if (tags !== null) {
    const bare = etag.replace(/^W\//, '')
    return tags.split(',').some((t) => (t = t.trim()) === '*' || t.replace(/^W\//, '') === bare)
  }
  if (mtime === undefined) return false
  const since = Date.parse(request.headers.get('if-modified-since') ?? '')
  return !Number.isNaN(since) && Math.floor(mtime / 1000) * 1000 <= since
}

function landingPage(name: string): string {
  const n = escapeHtml(name)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${n}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>${n}</h1>
<p>This panel serves its API only: no web interface is installed.</p>
<ul><li><a href="/api">API reference</a></li><li><a href="/openapi.json">OpenAPI document</a> (<code>/openapi.json</code>)</li></ul>
</body></html>`
}

export interface FrontendOptions {
  /** The build folder (holds `index.html`); absent → only the landing page at `/`. */
  dir?: string
  settings: SettingsService
  log: Logger
}

/**
 * The web interface (a Calagopus-compatible frontend build in `FRONTEND_DIR`), kept off the API's
 * path: `routes` answers only what no API or plugin route matched (a lowest-priority `GET /*`,
 * mounted outside the route registry so 404/405 answers stay as they were), and `root()` is the
 * root namespace with a hook that lets build files win over the assets plugin's `/assets/*`.
 * Without a build, `GET /` is a short landing page and every other unknown path stays a 404.
 * @example const site = frontend({ dir: config.frontendDir, settings, log }); root: site.root(); …; app.use(site.routes)
 */
export function frontend(opts: FrontendOptions): { root(): AnyElysia; routes: AnyElysia } {
  const { settings, log } = opts
  const snapshot = () => settings.cached() ?? settings.snapshot()
  const landing = async () =>
    new Response(landingPage((await snapshot()).get('app.name')), {
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' },
    })

  if (!opts.dir) {
    return { root: () => new Elysia(), routes: new Elysia({ name: 'hatchery.frontend' }).get('/', landing, { detail: { hide: true } }) }
  }
  const dir = opts.dir

  /**
   * A regular file inside the build (symlinks resolved, and refused when they lead out of it). The
   * folder itself is resolved on each call: a `current -> releases/N` link may be switched live.
   */
  async function locate(segments: string[]): Promise<BuildFile | null> {
    try {
      const root = await realpath(dir)
      const real = await realpath(join(root, ...segments))
      if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) return null
      const st = await stat(real)
      return st.isFile() ? { path: real, size: st.size, mtime: st.mtimeMs } : null
    } catch {
      return null
    }
  }

  async function serveFile(request: Request, segments: string[], file: BuildFile): Promise<Response> {
    const name = segments.join('/')
    const gz =
      COMPRESSIBLE.test(name) && /\bgzip\b/i.test(request.headers.get('accept-encoding') ?? '')
        ? await locate([...segments.slice(0, -1), `${segments[segments.length - 1]}.gz`])
        : null
    const sent = gz ?? file
    const etag = `W/"${sent.size.toString(36)}-${Math.floor(sent.mtime).toString(36)}${gz ? '-gz' : ''}"`
    const headers: Record<string, string> = {
      'cache-control': HASHED.test(name) ? IMMUTABLE : REVALIDATE,
      etag,
      'last-modified': new Date(sent.mtime).toUTCString(),
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    }
    if (notModified(request, etag, sent.mtime)) return new Response(null, { status: 304, headers })
    if (gz) headers['content-encoding'] = 'gzip'
    headers['content-type'] = Bun.file(file.path).type
    return new Response(Bun.file(sent.path), { headers })
  }

  // index.html is read again when it changes on disk (a new build deployed without a restart) and
  // rendered again when the settings change; between, every answer reuses one string.
  let template: { key: string; text: string } | undefined
  let rendered: { template: string; settings: SettingsSnapshot; page: IndexHtml } | undefined
  let missingWarned = false

  async function indexHtml(): Promise<IndexHtml | null> {
    const file = await locate(['index.html'])
    if (!file) {
      if (!missingWarned) log.warn('the web interface has no index.html: answering the landing page', { dir })
      missingWarned = true
      return null
    }
    missingWarned = false
    const key = `${file.size}-${file.mtime}`
    if (template?.key !== key) template = { key, text: await readFile(file.path, 'utf8') }
    const s = await snapshot()
    if (rendered?.template === template.text && rendered.settings === s) return rendered.page
    // Only the `app.*` settings (name, url, icon…): nothing a build could use to leak a secret.
    const html = template.text.replace(PLACEHOLDER, (_, key: string) => {
      const value = key.startsWith('app.') && s.has(key) ? s.value(key) : null
      return value === null || typeof value === 'object' ? '' : escapeHtml(String(value))
    })
    const csp = indexCsp(s)
    const page = { html, csp, etag: `"${Bun.hash(html + csp).toString(36)}"` }
    rendered = { template: template.text, settings: s, page }
    return page
  }

  async function serveIndex(request: Request): Promise<Response> {
    const page = await indexHtml()
    if (!page) return landing()
    const headers: Record<string, string> = {
      'cache-control': 'no-cache',
      etag: page.etag,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
    }
    if (notModified(request, page.etag)) return new Response(null, { status: 304, headers })
    headers['content-type'] = 'text/html; charset=utf-8'
    headers['content-security-policy'] = page.csp
    return new Response(page.html, { headers })
  }

  async function site({ request }: { request: Request }): Promise<Response> {
    const path = rawPath(request)
    // The API keeps its own answers: the kernel's 404, or 405 when another method exists.
    if (isApi(path)) throw new NotFoundError()
    const segments = pathSegments(path)
    if (segments === null) throw new BadRequest('invalid path')
    if (segments !== 'none' && !(segments.length === 1 && segments[0] === 'index.html')) {
      const file = await locate(segments)
      if (file) return serveFile(request, segments, file)
    }
    // Missing files of the plugins' root routes stay 404s, not an HTML page.
    if (under(path, '/assets') || under(path, '/avatars')) throw new NotFoundError()
    return serveIndex(request)
  }

  log.info('web interface served', { dir })
  return {
    // A local hook: it runs for the root namespace's routes (`/assets/*`, `/avatars/*`), never for the API.
    root: () =>
      new Elysia().onBeforeHandle(async ({ request }) => {
        const path = rawPath(request)
        if (!path.startsWith('/assets/')) return
        const segments = pathSegments(path)
        // Anything but a plain build file is left to the assets plugin and its own rules.
        if (segments === null || segments === 'none') return
        const file = await locate(segments)
        if (file) return serveFile(request, segments, file)
      }),
    routes: new Elysia({ name: 'hatchery.frontend' })
      .get('/', ({ request }) => serveIndex(request), { detail: { hide: true } })
      .get('/*', site, { detail: { hide: true } }),
  }
}

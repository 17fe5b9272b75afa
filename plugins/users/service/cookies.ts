import type { SettingsSnapshot } from 'hatchery'

/** Reads one cookie from a Cookie header (first occurrence wins). */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  // Scans the header instead of splitting it: this runs on every authenticated request.
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim()
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
    start = end + 1
  }
  return undefined
}

/**
 * The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure when `app.url` is https, expiring
 * `app.session_duration_seconds` from now (sliding: re-issued on every authenticated request).
 */
export function sessionCookie(settings: SettingsSnapshot, value: string, expiresInSeconds?: number): string {
  const name = settings.get('app.session_cookie')
  const seconds = expiresInSeconds ?? settings.get('app.session_duration_seconds')
  const secure = settings.get('app.url').startsWith('https://')
  return `${name}=${value}; Path=/; Expires=${httpDate(Date.now() + seconds * 1000)}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

// The sliding cookie is re-issued on every authenticated request; its date has whole seconds.
let lastDate = { second: NaN, text: '' }
function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== lastDate.second) lastDate = { second, text: new Date(second * 1000).toUTCString() }
  return lastDate.text
}

/** Clears the session cookie (logout). */
export function clearedSessionCookie(settings: SettingsSnapshot): string {
  return sessionCookie(settings, '', 2)
}

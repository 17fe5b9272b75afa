import { BadRequest, type SettingsSnapshot } from 'hatchery'

const ENDPOINTS = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  friendly_captcha: 'https://global.frcapi.com/api/v2/captcha/siteverify',
}

/**
 * The captcha step of login, registration and password recovery: with a provider configured,
 * the token is verified server-side (with the client IP); missing → `captcha: required`.
 */
export async function verifyCaptcha(settings: SettingsSnapshot, token: string | null | undefined, ip: string): Promise<void> {
  const provider = settings.get('captcha_provider')
  if (provider.type === 'none') return
  if (!token) throw new BadRequest('captcha: required')
  let response: Response
  try {
    if (provider.type === 'friendly_captcha') {
      response = await fetch(ENDPOINTS.friendly_captcha, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': provider.api_key ?? '' },
        body: JSON.stringify({ response: token, sitekey: provider.site_key }),
        signal: AbortSignal.timeout(10_000),
      })
    } else {
      response = await fetch(ENDPOINTS[provider.type], {
        method: 'POST',
        body: new URLSearchParams({ secret: provider.secret_key ?? '', response: token, remoteip: ip }),
        signal: AbortSignal.timeout(10_000),
      })
    }
  } catch (e) {
    throw new BadRequest(`captcha: verification unavailable (${(e as Error).message})`)
  }
  const result = (await response.json().catch(() => ({}))) as { success?: boolean; score?: number }
  const ok = result.success === true && (provider.type !== 'recaptcha' || !provider.v3 || (result.score ?? 0) >= 0.5)
  if (!ok) throw new BadRequest('captcha: verification failed')
}

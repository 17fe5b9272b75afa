import { Elysia, t } from 'elysia'
import { requestMeta, TooManyRequests, type PluginContext } from 'hatchery'
import { PublicOAuthProvider } from './model'
import { enabledProviders, toPublicProvider } from './service/providers'
import { finishAuthorization, startAuthorization, type OAuthDeps } from './service/login'

const Params = t.Object({ oauth_provider: t.String({ maxLength: 64, description: 'OAuth provider uuid' }) })

function redirect(location: string, cookies: string[]): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' })
  for (const c of cookies) headers.append('set-cookie', c)
  return new Response(null, { status: 307, headers })
}

/** `/api/auth/oauth`: the enabled providers, the redirect to a provider, and its callback. */
export function oauthAuthRoutes(ctx: PluginContext, deps: OAuthDeps) {
  return new Elysia({ prefix: '/oauth', tags: ['auth'] })
    .get(
      '',
      async ({ request }) => {
        await ctx.rateLimit('oauth_providers', requestMeta(request).ip)
        return { oauth_providers: (await enabledProviders(ctx.db)).map(toPublicProvider) }
      },
      {
        response: { 200: t.Object({ oauth_providers: t.Array(PublicOAuthProvider) }) },
        detail: {
          summary: 'Enabled OAuth providers (oldest first)',
          description: 'Rate limited by `ratelimits.oauth_providers` per client IP.',
        },
      },
    )
    .get(
      '/redirect/:oauth_provider',
      async ({ params, request }) => {
        await ctx.rateLimit('oauth_redirect', `${params.oauth_provider}:${requestMeta(request).ip}`)
        const { location, cookie } = await startAuthorization(deps, params.oauth_provider)
        return redirect(location, [cookie])
      },
      {
        params: Params,
        detail: {
          summary: 'Go to an OAuth provider (307)',
          description:
            'Authorization-code request with `state`, PKCE (S256) and, when the scopes include `openid`, a nonce; sets the HttpOnly `oauth_state` cookie (10 minutes) that binds the request to this browser. Unknown or disabled provider: 404 `oauth provider not found`. Rate limited by `ratelimits.oauth_redirect` per provider and client IP.',
          responses: { 307: { description: 'To the provider' }, 404: { description: 'Unknown or disabled provider' } },
        },
      },
    )
    .get(
      '/:oauth_provider',
      async ({ params, request }) => {
        const { ip } = requestMeta(request)
        const query = new URL(request.url).searchParams
        try {
          await ctx.rateLimit('oauth_callback', `${params.oauth_provider}:${ip}`)
        } catch (e) {
          if (!(e instanceof TooManyRequests)) throw e
          const url = (await ctx.settings.get('app.url')).replace(/\/+$/, '')
          return redirect(`${url}/auth/login?error=rate_limited`, [])
        }
        const { location, cookies } = await finishAuthorization(deps, request, ip, params.oauth_provider, query)
        return redirect(location, cookies)
      },
      {
        params: Params,
        detail: {
          summary: 'OAuth callback (307)',
          description:
            'Always a 307. With a live session cookie: links the provider to that account (`user_manageable` providers only) and goes to `/account/oauth-links`. Otherwise logs in the linked user (to `/auth/login/checkpoint?data=…` when two-factor is due and the provider has `login_bypass_2fa` off), or registers a new account unless `login_only`. A provider email already used by an account never logs into it: `user_already_exists`. Failures go to `/auth/login?error=<code>` (link mode: `/account/oauth-links?error=<code>`): `oauth_provider_not_found`, `oauth_state_invalid`, `oauth_denied`, `oauth_provider_error`, `oauth_invalid_profile`, `oauth_link_not_allowed`, `oauth_link_exists`, `registration_disabled`, `user_already_exists`, `account_suspended`, `rate_limited`, `oauth_error`. Rate limited by `ratelimits.oauth_callback` per provider and client IP.',
          responses: { 307: { description: 'To the frontend' } },
        },
      },
    )
}

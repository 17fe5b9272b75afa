import { Elysia } from 'elysia'
import { definePlugin, type PluginContext, type PluginDescriptor } from 'hatchery'
import users from '../users'
import * as tables from './tables'
import { MappingTypes, roleMappingType } from './service/mappings'
import { purgeStates, type OAuthDeps } from './service/login'
import { oauthAuthRoutes } from './auth'
import { clientLinkRoutes } from './client'
import { adminProviderRoutes } from './admin-providers'
import { adminMappingRoutes } from './admin-mappings'
import { adminUserLinkRoutes } from './admin-user-links'

/** What the oauth plugin offers other plugins (through `ctx.api(oauth)`). */
export interface OAuthApi {
  /** Mapping kinds: `role` is built in; register more in `setup` (e.g. `server_subuser`). */
  mappingTypes: MappingTypes
}

/**
 * OAuth 2 / OpenID Connect login: admin-managed providers with mappings, the login/link flow
 * (`/api/auth/oauth…`), account links and admin user links. Every request to a provider goes
 * through the kernel's `fetchOutbound`.
 */
const plugin: PluginDescriptor<OAuthApi> = definePlugin<OAuthApi>({
  name: 'oauth',
  version: '1.0.0',
  description: 'OAuth / OpenID Connect providers, login and account links',
  dependsOn: ['users'],
  tables,
  migrations: '../../migrations/oauth',
  uniqueMessages: {
    oauth_providers_name_unique: 'oauth provider with name already exists',
    user_oauth_links_provider_identifier_unique: 'oauth link with provider + identifier already exists',
    user_oauth_links_user_provider_unique: 'user is already linked with this oauth provider',
  },
  // The reference's fixed buckets (spec 01 §1.10), tunable here as `ratelimits.<bucket>`.
  rateLimits: {
    oauth_providers: { hits: 12, window_seconds: 60 },
    oauth_redirect: { hits: 6, window_seconds: 300 },
    oauth_callback: { hits: 6, window_seconds: 300 },
  },
  setup() {
    const mappingTypes = new MappingTypes()
    mappingTypes.register('role', roleMappingType)
    return { mappingTypes }
  },
  routes: {
    auth: (ctx) => oauthAuthRoutes(ctx, deps(ctx)),
    client: (ctx) => clientLinkRoutes(ctx),
    admin: (ctx) =>
      new Elysia()
        .use(adminProviderRoutes(ctx))
        .use(adminMappingRoutes(ctx, ctx.api(plugin).mappingTypes))
        .use(adminUserLinkRoutes(ctx)),
  },
  jobs: {
    'purge-states': {
      schedule: { everySeconds: 600 },
      description: 'Delete OAuth authorization requests nobody came back from',
      run: async (ctx) => void (await purgeStates(ctx)),
    },
  },
})

function deps(ctx: PluginContext): OAuthDeps {
  return {
    db: ctx.db,
    secrets: ctx.secrets,
    settings: ctx.settings,
    log: ctx.log,
    activity: ctx.activity,
    users: ctx.api(users),
    mappingTypes: ctx.api(plugin).mappingTypes,
  }
}

export default plugin
export { tables }
export type { MappingType, Mapping, Matcher } from './service/mappings'
export { MappingTypes } from './service/mappings'

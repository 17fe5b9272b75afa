import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import { createUsersApi, type UsersApi } from './api'
import { createAuthenticator } from './service/authenticate'
import { provideActivityLogs } from './service/activity'
import { USER_CHANGED } from './service/users'
import { purgeCheckpoints } from './service/checkpoints'
import { purgePasswordResets } from './service/resets'
import { authRoutes } from './auth'
import { accountRoutes } from './account'
import { twoFactorRoutes } from './two-factor'
import { apiKeyRoutes } from './api-keys'
import { Elysia } from 'elysia'
import { usersCli } from './cli'
import { purgeExpiredApiKeys, purgeIdleSessions } from './service/purge'
import { enforceActivityRetention } from './service/retention'
import mail from '../mail'
import { registerRoutes } from './register'
import { recoveryRoutes } from './recovery'
import { accountSettingsRoutes } from './account-settings'
import { sessionRoutes } from './sessions'
import { activityRoutes } from './activity'
import { adminRoutes } from './admin'
import { securityKeyRoutes } from './security-keys'
import { securityKeyLoginRoutes } from './security-key-login'
import { purgeSecurityKeyChallenges } from './service/security-keys'

/**
 * Users, roles and authentication: sessions, API keys, login with two-factor, the kernel's
 * authenticate slot, activity logs.
 */
const plugin: PluginDescriptor<UsersApi> = definePlugin<UsersApi>({
  name: 'users',
  version: '1.0.0',
  description: 'Users, roles, sessions, API keys, two-factor login and activity logs',
  tables,
  migrations: '../../migrations/users',
  dependsOn: ['mail'],
  uniqueMessages: {
    roles_name_unique: 'role with name already exists',
    user_api_keys_user_name_unique: 'api key with name already exists',
    user_security_keys_user_name_unique: 'security key with name already exists',
    user_security_keys_credential_id_unique: 'security key is already registered',
    // Registration and the account's own username/email changes word these their way (`uniqueAs`).
    users_username_lower_unique: 'user with email/username/external_id already exists',
    users_email_lower_unique: 'user with email/username/external_id already exists',
    users_external_id_unique: 'user with email/username/external_id already exists',
  },
  // Per email address, beside the per-IP `auth_password_forgot` (same default rule).
  rateLimits: { auth_password_forgot_email: { hits: 10, window_seconds: 3600 } },
  setup(ctx) {
    const api = createUsersApi(ctx)
    ctx.kernel.provideAuthenticator(createAuthenticator(ctx, api.credentials), 'users')
    provideActivityLogs(ctx)
    ctx.events.on(USER_CHANGED, ({ user }) => api.credentials.forget(user as string | undefined))
    return api
  },
  routes: {
    auth: (ctx) =>
      new Elysia()
        .use(authRoutes(ctx, ctx.api(plugin)))
        .use(securityKeyLoginRoutes(ctx, ctx.api(plugin)))
        .use(registerRoutes(ctx, ctx.api(plugin)))
        .use(recoveryRoutes(ctx, ctx.api(plugin), ctx.api(mail))),
    client: (ctx) =>
      new Elysia()
        .use(accountRoutes(ctx, ctx.api(plugin)))
        .use(twoFactorRoutes(ctx, ctx.api(plugin)))
        .use(apiKeyRoutes(ctx, ctx.api(plugin)))
        .use(accountSettingsRoutes(ctx, ctx.api(plugin)))
        .use(sessionRoutes(ctx, ctx.api(plugin)))
        .use(securityKeyRoutes(ctx))
        .use(activityRoutes(ctx)),
    admin: (ctx) => adminRoutes(ctx, ctx.api(plugin)),
  },
  cli: usersCli(),
  jobs: {
    'purge-checkpoints': {
      schedule: { everySeconds: 600 },
      description: 'Delete expired two-factor checkpoint tokens',
      run: (ctx) => purgeCheckpoints(ctx.db),
    },
    'purge-password-resets': {
      schedule: { everySeconds: 1800 },
      description: 'Delete expired password reset tokens',
      run: (ctx) => purgePasswordResets(ctx.db),
    },
    'purge-sessions': {
      schedule: { everySeconds: 300 },
      description: 'Delete sessions idle longer than app.session_duration_seconds',
      run: async (ctx) => void (await purgeIdleSessions(ctx.db, await ctx.settings.get('app.session_duration_seconds'))),
    },
    'purge-security-keys': {
      schedule: { everySeconds: 1800 },
      description: 'Delete security keys left pending past webauthn.registration_timeout_seconds and expired login challenges',
      run: async (ctx) => purgeSecurityKeyChallenges(ctx.db, await ctx.settings.get('webauthn.registration_timeout_seconds')),
    },
    'purge-api-keys': {
      schedule: { everySeconds: 1800 },
      description: 'Delete expired API keys',
      run: async (ctx) => void (await purgeExpiredApiKeys(ctx.db)),
    },
    'activity-retention': {
      schedule: '*/30 * * * *',
      description: 'Delete user and admin activity past activity.*_retention_{days,count}, in batches',
      run: async (ctx) => void (await enforceActivityRetention(ctx.db, await ctx.settings.snapshot())),
    },
  },
  async onShutdown(ctx) {
    await ctx.api(plugin).credentials.stop()
  },
})

export default plugin
export { tables }
export type { UsersApi }
export { DeletionGuards } from './service/deletion-guards'
export type { UserDeletionGuard } from './service/deletion-guards'
export { LANGUAGES, isLanguage } from './languages'
export * as model from './model'
export {
  USER_CHANGED,
  countUsers,
  lockUser,
  userTransaction,
  findUser,
  getUser,
  toFullUser,
  toAdminUser,
  toShortUser,
  toPrincipalUser,
  requiresTwoFactor,
  avatarUrl,
} from './service/users'
export type { UserRow, RoleRow, UserWithRole, NewUser } from './service/users'
export { listUserActivity, listAdminActivity } from './service/activity'
export { enforceActivityRetention, RETENTION_BATCH, deleteInBatches, oldestKept, olderThan, type ActivityTable } from './service/retention'
export { verifyPassword, hashPassword } from './service/passwords'
export { verifyCaptcha } from './service/captcha'
export {
  createPasswordReset,
  consumePasswordReset,
  hasRecentPasswordReset,
  resetLink,
  userMailContext,
  mailPasswordLink,
  RESET_TOKEN_SECONDS,
} from './service/resets'
export type { PasswordLinkOptions } from './service/resets'
// Sign-in flows of other plugins (OAuth) create users, sessions and checkpoints exactly as password login does.
export { createUser, findByLogin } from './service/users'
export { createCheckpoint } from './service/checkpoints'
export { openSession, startSession } from './service/sessions'
export type { SessionLogin } from './service/sessions'
export { sessionCookie, readCookie } from './service/cookies'
export { userAgentOf } from './service/credentials'

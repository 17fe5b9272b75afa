import { Value } from '@sinclair/typebox/value'
import { eq } from 'drizzle-orm'
import type { TSchema } from '@sinclair/typebox'
import { HttpError, NotFound, Validation, transaction, type CliCommand, type PluginContext } from 'hatchery'
import { Email, Name, Password, Username } from './model'
import { userRecoveryCodes, userSessions, users, adminActivities } from './tables'
import type { UsersApi } from './api'
import { isLanguage } from './languages'
import { createUser, findByLogin, getUser, setPassword, toAdminUser, userTransaction } from './service/users'

function check(field: string, schema: TSchema, value: unknown): string[] {
  if (Value.Check(schema, value)) return []
  return [...Value.Errors(schema, value)].slice(0, 1).map((e) => `--${field}: ${e.message.toLowerCase()}`)
}

async function userByLogin(ctx: PluginContext, login: string) {
  const found = await findByLogin(ctx.db, login)
  if (!found) throw new NotFound(`no user with username or email "${login}"`)
  return found
}

const cliAudit = (event: string, data: Record<string, unknown>) => ({ user_uuid: null, event, ip: null, data: { ...data, source: 'cli' } })

/** `panel users …` commands; they work while the server runs, on both databases. */
export function usersCli(api: (ctx: PluginContext) => UsersApi): Record<string, CliCommand> {
  return {
    'users create': {
      description: 'Create a user (with --admin, an administrator)',
      options: {
        username: { type: 'string', required: true },
        email: { type: 'string', required: true },
        'name-first': { type: 'string', required: true },
        'name-last': { type: 'string', required: true },
        password: { type: 'string', required: true },
        admin: { type: 'boolean', description: 'Grant the admin flag' },
        language: { type: 'string', description: 'Language code (default en)' },
      },
      async run(ctx, { options }, io) {
        const o = options as Record<string, string | undefined>
        const errors = [
          ...check('username', Username, o.username),
          ...check('email', Email, o.email),
          ...check('name-first', Name, o['name-first']),
          ...check('name-last', Name, o['name-last']),
          ...check('password', Password, o.password),
        ]
        if (o.language !== undefined && !isLanguage(o.language)) errors.push(`--language: invalid language: ${o.language}`)
        if (errors.length) throw new Validation(errors)
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createUser(tx, {
            username: o.username!,
            email: o.email!,
            name_first: o['name-first']!,
            name_last: o['name-last']!,
            password: o.password!,
            admin: options.admin === true,
            language: o.language,
          })
          await tx.insert(adminActivities).values(cliAudit('user:create', { uuid: row.uuid, username: row.username, email: row.email, admin: row.admin }))
          return row
        })
        const user = toAdminUser(await getUser(ctx.db, row.uuid), await ctx.settings.snapshot())
        io.result(user, `created user ${user.username} (${user.uuid})${user.admin ? ' with admin rights' : ''}`)
      },
    },
    'users reset-password': {
      description: "Set a user's password and end all of their sessions",
      options: { user: { type: 'string', required: true, description: 'Username or email' }, password: { type: 'string', required: true } },
      async run(ctx, { options }, io) {
        const errors = check('password', Password, options.password)
        if (errors.length) throw new Validation(errors)
        const { user } = await userByLogin(ctx, options.user as string)
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          await setPassword(tx, user.uuid, options.password as string)
          await tx.delete(userSessions).where(eq(userSessions.user_uuid, user.uuid))
          await tx.insert(adminActivities).values(cliAudit('user:update', { uuid: user.uuid, password: true }))
        })
        api(ctx).credentials.invalidate()
        io.result({ uuid: user.uuid, username: user.username, password_reset: true }, `password of ${user.username} reset; sessions ended`)
      },
    },
    'users disable-2fa': {
      description: "Remove a user's two-factor authentication (lost device)",
      options: { user: { type: 'string', required: true, description: 'Username or email' } },
      async run(ctx, { options }, io) {
        const { user } = await userByLogin(ctx, options.user as string)
        if (!user.totp_enabled) throw new HttpError(409, `two-factor authentication is not enabled for ${user.username}`)
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          await tx.delete(userRecoveryCodes).where(eq(userRecoveryCodes.user_uuid, user.uuid))
          await tx.update(users).set({ totp_enabled: false, totp_last_used: null, totp_secret: null }).where(eq(users.uuid, user.uuid))
          await tx.insert(adminActivities).values(cliAudit('user:two-factor.disable', { uuid: user.uuid }))
        })
        api(ctx).credentials.invalidate()
        io.result({ uuid: user.uuid, username: user.username, two_factor: false }, `two-factor disabled for ${user.username}`)
      },
    },
  }
}


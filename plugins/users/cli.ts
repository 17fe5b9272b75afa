import { t } from 'elysia'
import { HttpError, NotFound, SYSTEM_ACTOR, transaction, type CliCommand, type PluginContext, type Tx } from 'hatchery'
import { Email, Name, Password, Username } from './model'
import { LANGUAGES } from './languages'
import { createUser, findByLogin, getUser, toAdminUser, userTransaction } from './service/users'
import { changePassword, removeTwoFactor } from './service/credential-policy'

const Language = t.Union(LANGUAGES.map((l) => t.Literal(l)))

async function userByLogin(ctx: PluginContext, login: string) {
  const found = await findByLogin(ctx.db, login)
  if (!found) throw new NotFound(`no user with username or email "${login}"`)
  return found
}

/** An admin activity entry of the CLI: nobody logged in, `source: 'cli'`. */
const cliAudit = (ctx: PluginContext, tx: Tx, event: string, data: Record<string, unknown>) =>
  ctx.activity.admin(tx, SYSTEM_ACTOR, event, { ...data, source: 'cli' })

/** `panel users …` commands; they work while the server runs, on both databases. */
export function usersCli(): Record<string, CliCommand> {
  return {
    'users create': {
      description: 'Create a user (with --admin, an administrator)',
      options: {
        username: { type: 'string', required: true, schema: Username },
        email: { type: 'string', required: true, schema: Email },
        'name-first': { type: 'string', required: true, schema: Name },
        'name-last': { type: 'string', required: true, schema: Name },
        password: { type: 'string', required: true, schema: Password },
        admin: { type: 'boolean', description: 'Grant the admin flag' },
        language: { type: 'string', description: 'Language code (default en)', schema: Language },
      },
      async run(ctx, { options }, io) {
        const o = options as Record<string, string | undefined>
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
          await cliAudit(ctx, tx, 'user:create', { uuid: row.uuid, username: row.username, email: row.email, admin: row.admin })
          return row
        })
        const user = toAdminUser(await getUser(ctx.db, row.uuid), await ctx.settings.snapshot())
        io.result(user, `created user ${user.username} (${user.uuid})${user.admin ? ' with admin rights' : ''}`)
      },
    },
    'users reset-password': {
      description: "Set a user's password; their sessions, reset links and pending two-factor logins end",
      options: {
        user: { type: 'string', required: true, description: 'Username or email' },
        password: { type: 'string', required: true, schema: Password },
      },
      async run(ctx, { options }, io) {
        const { user } = await userByLogin(ctx, options.user as string)
        await userTransaction(ctx.db, user.uuid, async (tx) => {
          await changePassword(tx, user.uuid, options.password as string)
          await cliAudit(ctx, tx, 'user:update', { uuid: user.uuid, password: true })
        })
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
          await removeTwoFactor(tx, user.uuid)
          await cliAudit(ctx, tx, 'user:two-factor.disable', { uuid: user.uuid })
        })
        io.result({ uuid: user.uuid, username: user.username, two_factor: false }, `two-factor disabled for ${user.username}`)
      },
    },
  }
}

import type { PluginContext } from 'hatchery'
import { Credentials } from './service/credentials'

/** What the users plugin offers other plugins (through `ctx.api(users)`). */
export interface UsersApi {
  credentials: Credentials
}

export function createUsersApi(ctx: PluginContext): UsersApi {
  return { credentials: new Credentials(ctx.db, ctx.secrets, ctx.log) }
}

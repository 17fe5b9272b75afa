import type { PluginContext } from 'hatchery'
import { Credentials } from './service/credentials'
import { DeletionGuards } from './service/deletion-guards'

/** What the users plugin offers other plugins (through `ctx.api(users)`). */
export interface UsersApi {
  credentials: Credentials
  /** Checks other plugins add to refuse deleting a user (e.g. one who still owns servers). */
  deletionGuards: DeletionGuards
}

export function createUsersApi(ctx: PluginContext): UsersApi {
  return { credentials: new Credentials(ctx.db, ctx.secrets, ctx.log), deletionGuards: new DeletionGuards() }
}

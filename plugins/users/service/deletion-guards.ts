import { Conflict, type Tx } from 'hatchery'
import type { UserRow } from './users'

/**
 * Asked before a user is deleted, inside the deletion's transaction: a reason refuses the
 * deletion (409 with that text; the reference answers 400, issue 13 asks 409 for a resource in use), null allows it. Plugins owning rows that must outlive a user
 * (servers) register one in their `setup` through the users API.
 * @example
 * ctx.api(users).deletionGuards.add(async (tx, user) =>
 *   (await tx.$count(servers, eq(servers.owner_uuid, user.uuid))) > 0 ? 'user has servers, cannot delete' : null)
 */
export type UserDeletionGuard = (tx: Tx, user: UserRow) => Promise<string | null>

/** Told after a user was deleted (committed): clean up what lives outside the database. */
export type UserDeletedHook = (user: UserRow) => Promise<void>

/** The registered deletion guards and after-delete hooks of one panel, in registration order. */
export class DeletionGuards {
  private guards: UserDeletionGuard[] = []
  private hooks: UserDeletedHook[] = []

  add(guard: UserDeletionGuard): void {
    this.guards.push(guard)
  }

  /**
   * Runs `hook` after every committed user deletion; failures are logged, not raised.
   * @example ctx.api(users).deletionGuards.onDeleted((user) => removeFilesOf(user.uuid))
   */
  onDeleted(hook: UserDeletedHook): void {
    this.hooks.push(hook)
  }

  /** Tells every hook about a deletion that was committed. */
  async deleted(user: UserRow, log: { warn(msg: string, fields?: Record<string, unknown>): void }): Promise<void> {
    for (const hook of this.hooks) {
      await hook(user).catch((error) => log.warn('after-delete hook failed', { user: user.uuid, error }))
    }
  }

  /** Throws `Conflict` with the first refusal. */
  async check(tx: Tx, user: UserRow): Promise<void> {
    for (const guard of this.guards) {
      const reason = await guard(tx, user)
      if (reason) throw new Conflict(reason)
    }
  }
}

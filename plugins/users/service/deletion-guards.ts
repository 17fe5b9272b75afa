import { BadRequest, type Tx } from 'hatchery'
import type { UserRow } from './users'

/**
 * Asked before a user is deleted, inside the deletion's transaction: a reason refuses the
 * deletion (400 with that text), null allows it. Plugins owning rows that must outlive a user
 * (servers) register one in their `setup` through the users API.
 * @example
 * ctx.api(users).deletionGuards.add(async (tx, user) =>
 *   (await tx.$count(servers, eq(servers.owner_uuid, user.uuid))) > 0 ? 'user has servers, cannot delete' : null)
 */
export type UserDeletionGuard = (tx: Tx, user: UserRow) => Promise<string | null>

/** The registered deletion guards of one panel, asked in registration order. */
export class DeletionGuards {
  private guards: UserDeletionGuard[] = []

  add(guard: UserDeletionGuard): void {
    this.guards.push(guard)
  }

  /** Throws `BadRequest` with the first refusal. */
  async check(tx: Tx, user: UserRow): Promise<void> {
    for (const guard of this.guards) {
      const reason = await guard(tx, user)
      if (reason) throw new BadRequest(reason)
    }
  }
}

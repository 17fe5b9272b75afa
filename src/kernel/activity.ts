import type { Db, Tx } from '../db/client'
import { requestMeta } from './http'
import type { Principal } from './permissions'

/** Who did something, from where: recorded with every activity entry. */
export interface Actor {
  userUuid: string
  impersonatorUuid: string | null
  apiKeyUuid: string | null
  ip: string | null
}

/**
 * The actor of an authenticated request: the effective user, the impersonating admin, the API key.
 * @example await ctx.activity.user(tx, actorOf(principal, request), 'ssh-key:create', { name })
 */
export function actorOf(principal: Principal, request: Request): Actor {
  return {
    userUuid: principal.user.uuid,
    impersonatorUuid: principal.impersonator?.uuid ?? null,
    apiKeyUuid: principal.apiKey?.uuid ?? null,
    ip: requestMeta(request).ip,
  }
}

/**
 * An actor without a principal: a login or a password reset, on behalf of the user it concerns.
 * @example await ctx.activity.user(tx, anonymousActor(user.uuid, ip), 'auth:success', {})
 */
export function anonymousActor(userUuid: string, ip: string | null): Actor {
  return { userUuid, impersonatorUuid: null, apiKeyUuid: null, ip }
}

/** Nobody logged in: a CLI command or a job (admin log only; the user log needs a user). */
export interface SystemActor {
  userUuid: null
  impersonatorUuid: null
  apiKeyUuid: null
  ip: null
}

/** @example await ctx.activity.admin(tx, SYSTEM_ACTOR, 'user:create', { uuid, source: 'cli' }) */
export const SYSTEM_ACTOR: SystemActor = Object.freeze({ userUuid: null, impersonatorUuid: null, apiKeyUuid: null, ip: null })

/** One entry handed to a log's writer. `subject` is what a log is kept per, when not the actor (a server's uuid). */
export interface ActivityEntry {
  actor: Actor | SystemActor
  event: string
  data: Record<string, unknown>
  subject?: string
}

/** Writes one entry with `db` (the caller's transaction); throws when it cannot, so the change rolls back. */
export type ActivityWriter = (db: Db | Tx, entry: ActivityEntry) => Promise<void>

/** The slot a plugin fills with the writer of a log whose table it owns. */
export interface ActivitySlot {
  /** @example ctx.kernel.provideActivityLog('server', (db, e) => db.insert(serverActivities).values(…).then(() => {}), 'servers') */
  provideActivityLog(name: string, writer: ActivityWriter, owner: string): void
}

/**
 * The activity logs every plugin writes to, by name: `user` and `admin` (written by the users
 * plugin), and whatever a plugin adds (`server`). Entries are written in the caller's transaction.
 * @example
 * await userTransaction(ctx.db, actor.userUuid, async (tx) => {
 *   await tx.delete(sshKeys).where(eq(sshKeys.uuid, uuid))
 *   await ctx.activity.user(tx, actor, 'ssh-key:delete', { uuid })
 * })
 */
export class ActivityLogs implements ActivitySlot {
  private writers = new Map<string, ActivityWriter>()

  provideActivityLog(name: string, writer: ActivityWriter, owner: string): void {
    if (this.writers.has(name)) throw new Error(`${owner}: the ${name} activity log is already provided`)
    this.writers.set(name, writer)
  }

  /** Whether a plugin provides the log `name`. */
  has(name: string): boolean {
    return this.writers.has(name)
  }

  /** Writes to the log `name`; a log nobody provides is a programming error (thrown). */
  log(
    name: string,
    db: Db | Tx,
    actor: Actor | SystemActor,
    event: string,
    data: Record<string, unknown> = {},
    subject?: string,
  ): Promise<void> {
    const writer = this.writers.get(name)
    if (!writer) throw new Error(`no plugin provides the ${name} activity log`)
    return writer(db, { actor, event, data, subject })
  }

  /** The user's own log (`account:update`, `auth:success`, …): what the account activity page lists. */
  user(db: Db | Tx, actor: Actor, event: string, data: Record<string, unknown> = {}): Promise<void> {
    return this.log('user', db, actor, event, data)
  }

  /** The admin log (`user:create`, `role:update`, `settings:update`, …). */
  admin(db: Db | Tx, actor: Actor | SystemActor, event: string, data: Record<string, unknown> = {}): Promise<void> {
    return this.log('admin', db, actor, event, data)
  }
}

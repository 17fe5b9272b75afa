import { asc, eq } from 'drizzle-orm'
import { LimitExceeded, loadOr404, paginate, uniqueAs, type Db, type PageParams, type Tx, type ActivityLogs, type Actor } from 'hatchery'
import { userTransaction } from '../../users'
import { userSshKeys } from '../tables'
import type { ParsedKey } from './ssh-key-parse'

export type SshKeyRow = typeof userSshKeys.$inferSelect

/** A candidate from a provider: its generated name for a given collision suffix, and the key. */
export interface ImportCandidate {
  name(suffix: string): string
  key: ParsedKey
}

export const toSshKey = (row: SshKeyRow) => ({ uuid: row.uuid, name: row.name, fingerprint: row.fingerprint, created: row.created })

const ofUser = (userUuid: string) => eq(userSshKeys.user_uuid, userUuid)

export function countSshKeys(db: Db | Tx, userUuid: string): Promise<number> {
  return db.$count(userSshKeys, ofUser(userUuid))
}

/** A user's keys, oldest first; `search` matches the name. */
export function listSshKeys(db: Db | Tx, userUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: userSshKeys,
      where: ofUser(userUuid),
      search: [userSshKeys.name],
      orderBy: [asc(userSshKeys.created), asc(userSshKeys.uuid)],
      map: toSshKey,
    },
    page,
  )
}

const ownedKey = (db: Db | Tx, userUuid: string, uuid: string) =>
  loadOr404(db, userSshKeys, userSshKeys.uuid, uuid, 'ssh key', { where: ofUser(userUuid) })

/** Adds a key; 417 past `max`, 409 when the user already has the name or the key. */
export async function createSshKey(db: Db, log: ActivityLogs, actor: Actor, name: string, key: ParsedKey, max: number): Promise<SshKeyRow> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    if ((await countSshKeys(tx, actor.userUuid)) >= max) throw new LimitExceeded('maximum number of ssh keys reached')
    const [row] = await tx
      .insert(userSshKeys)
      .values({ user_uuid: actor.userUuid, name, fingerprint: key.fingerprint, public_key: key.blob })
      .returning()
      .catch(uniqueAs('ssh key with name or fingerprint already exists'))
    await log.user(tx, actor, 'ssh-key:create', { uuid: row.uuid, fingerprint: row.fingerprint, name: row.name })
    return row
  })
}

/** Renames a key (an absent name changes nothing but is still recorded). */
export async function updateSshKey(db: Db, log: ActivityLogs, actor: Actor, uuid: string, changes: { name?: string }): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    let row = await ownedKey(tx, actor.userUuid, uuid)
    if (changes.name !== undefined && changes.name !== row.name) {
      ;[row] = await tx.update(userSshKeys).set({ name: changes.name }).where(eq(userSshKeys.uuid, uuid)).returning()
    }
    await log.user(tx, actor, 'ssh-key:update', { uuid: row.uuid, fingerprint: row.fingerprint, name: row.name })
  })
}

export async function deleteSshKey(db: Db, log: ActivityLogs, actor: Actor, uuid: string): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    const row = await ownedKey(tx, actor.userUuid, uuid)
    await tx.delete(userSshKeys).where(eq(userSshKeys.uuid, row.uuid))
    await log.user(tx, actor, 'ssh-key:delete', { uuid: row.uuid, fingerprint: row.fingerprint, name: row.name })
  })
}

/**
 * Stores fetched keys: keys the user already has (same fingerprint) are skipped, at most
 * `max − current` are added, and a generated name the user already uses gets a `-2`, `-3`…
 * suffix rather than losing the key. 417 when the user has no room left at all.
 */
export async function importSshKeys(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  source: { provider: string; username: string },
  candidates: ImportCandidate[],
  max: number,
): Promise<SshKeyRow[]> {
  return userTransaction(db, actor.userUuid, async (tx) => {
    const existing = await tx
      .select({ name: userSshKeys.name, fingerprint: userSshKeys.fingerprint })
      .from(userSshKeys)
      .where(ofUser(actor.userUuid))
    let room = max - existing.length
    if (room <= 0) throw new LimitExceeded('maximum number of ssh keys reached')
    const names = new Set(existing.map((k) => k.name))
    const fingerprints = new Set(existing.map((k) => k.fingerprint))
    const created: SshKeyRow[] = []
    for (const candidate of candidates) {
      if (room === 0) break
      if (fingerprints.has(candidate.key.fingerprint)) continue
      let name = candidate.name('')
      for (let n = 2; names.has(name); n++) name = candidate.name(`-${n}`)
      const [row] = await tx
        .insert(userSshKeys)
        .values({ user_uuid: actor.userUuid, name, fingerprint: candidate.key.fingerprint, public_key: candidate.key.blob })
        .onConflictDoNothing()
        .returning()
      if (!row) continue
      names.add(name)
      fingerprints.add(row.fingerprint)
      created.push(row)
      room--
    }
    await log.user(tx, actor, 'ssh-key:import', {
      provider: source.provider,
      username: source.username,
      ssh_keys: created.map((k) => ({ uuid: k.uuid, fingerprint: k.fingerprint })),
    })
    return created
  })
}

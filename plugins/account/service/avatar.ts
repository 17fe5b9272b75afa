import { mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { BadRequest, Conflict, randomAlnum, type Db, type ActivityLogs, type Actor } from 'hatchery'
import { userTransaction, tables as userTables } from '../../users'
import type { ImageInfo } from './image'

/** File names of stored avatars: 8 random letters or digits and the format's extension. */
export const AVATAR_FILE = /^[A-Za-z0-9]{8}\.(png|jpg|webp)$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Where `avatars/<uuid>/<file>` lives on disk, or null for a path this plugin did not write. */
export function avatarFile(dataDir: string, path: string | null): string | null {
  const [root, uuid, file, ...rest] = (path ?? '').split('/')
  if (root !== 'avatars' || !UUID.test(uuid ?? '') || !AVATAR_FILE.test(file ?? '') || rest.length) return null
  return join(dataDir, 'avatars', uuid, file)
}

async function removeFile(file: string | null): Promise<void> {
  if (file) await unlink(file).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)))
}

/**
 * Stores an already inspected (and metadata-stripped) image as the user's avatar, not re-encoded,
 * and deletes the previous file. Returns the stored path `avatars/<uuid>/<file>`.
 */
export async function setAvatar(
  db: Db,
  log: ActivityLogs,
  dataDir: string,
  actor: Actor,
  bytes: Uint8Array,
  image: ImageInfo,
): Promise<string> {
  const path = `avatars/${actor.userUuid}/${randomAlnum(8)}.${image.ext}`
  const file = avatarFile(dataDir, path)!
  await mkdir(join(dataDir, 'avatars', actor.userUuid), { recursive: true, mode: 0o700 })
  await writeFile(file, bytes, { flag: 'wx', mode: 0o600 })
  let previous: string | null
  try {
    previous = await userTransaction(db, actor.userUuid, async (tx, user) => {
      if (user?.frozen) throw new Conflict('account is frozen')
      await tx.update(userTables.users).set({ avatar: path }).where(eq(userTables.users.uuid, actor.userUuid))
      await log.user(tx, actor, 'account:update-avatar', {})
      return user?.avatar ?? null
    })
  } catch (e) {
    await removeFile(file)
    throw e
  }
  if (previous !== path) await removeFile(avatarFile(dataDir, previous)).catch(() => {})
  return path
}

/** Clears the user's avatar and deletes its file; 400 when there is none. */
export async function removeAvatar(db: Db, log: ActivityLogs, dataDir: string, actor: Actor): Promise<void> {
  const previous = await userTransaction(db, actor.userUuid, async (tx, user) => {
    if (!user?.avatar) throw new BadRequest('no avatar to delete')
    await tx.update(userTables.users).set({ avatar: null }).where(eq(userTables.users.uuid, actor.userUuid))
    await log.user(tx, actor, 'account:delete-avatar', {})
    return user.avatar
  })
  await removeFile(avatarFile(dataDir, previous)).catch(() => {})
}

/** Removes every avatar file of a user (after the user was deleted). */
export async function removeAvatarFiles(dataDir: string, userUuid: string): Promise<void> {
  if (!UUID.test(userUuid)) return
  await rm(join(dataDir, 'avatars', userUuid), { recursive: true, force: true })
}

import { resolve } from 'node:path'
import type { Static } from '@sinclair/typebox'
import type { SettingsService, StorageDriver } from 'hatchery'
import { FilesystemStorage } from './filesystem'
import { S3Storage } from './s3'
import type { Storage } from './types'

export { FilesystemStorage } from './filesystem'
export { S3Storage, s3Endpoint, type S3Settings } from './s3'
export { StorageError, joinUrl, type Storage, type StorageEntry } from './types'

/**
 * The storage a `storage_driver` setting names. A relative filesystem `path` lives under
 * DATA_DIR (an absolute one is taken as is, as for the mail directory); files there are public
 * at `<app.url>/<key>`, S3 files at `<public_url>/<key>`.
 * @example const storage = openStorage(snapshot.get('storage_driver'), { dataDir: ctx.dataDir, appUrl: snapshot.get('app.url') })
 */
export function openStorage(driver: Static<typeof StorageDriver>, env: { dataDir: string; appUrl: string }): Storage {
  if (driver.type === 's3') return new S3Storage(driver)
  return new FilesystemStorage(resolve(env.dataDir, driver.path), env.appUrl)
}

/** The storage the `storage_driver` setting names now (the setting is read on every call). */
export async function currentStorage(settings: SettingsService, dataDir: string): Promise<Storage> {
  const s = await settings.snapshot()
  return openStorage(s.get('storage_driver'), { dataDir, appUrl: s.get('app.url') })
}

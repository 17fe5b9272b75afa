import { Elysia, t } from 'elysia'
import { definePlugin, type PluginSettings, type SettingsOf } from 'hatchery'
import { adminAssetRoutes, UPLOAD_CEILING } from './admin'
import { assetFileRoutes } from './files'
import { currentStorage, type Storage } from './service/storage'

const settings = {
  'assets.max_upload_size': {
    schema: t.Integer({ minimum: 1, maximum: UPLOAD_CEILING }),
    default: 100 * 1024 * 1024,
    description: 'Largest upload request to PUT /api/admin/assets, all its files together, in bytes (413 beyond; at most 1 GiB)',
  },
} satisfies PluginSettings

declare module 'hatchery' {
  interface Settings extends SettingsOf<typeof settings> {}
}

/** What other plugins get from `ctx.api(assets)`. */
export interface AssetsApi {
  /** The storage the `storage_driver` setting names now (read again on every call). */
  storage(): Promise<Storage>
}

/**
 * Admin assets (spec 02 §13): files the panel serves publicly, kept by the storage that the
 * `storage_driver` setting names (a directory under DATA_DIR, or an S3-compatible bucket). The
 * storage abstraction is exported for other plugins (backups).
 */
export default definePlugin({
  name: 'assets',
  version: '1.0.0',
  description: 'Admin assets and the file storage (filesystem or S3) behind them',
  dependsOn: ['users'],
  settings,
  setup: (ctx): AssetsApi => ({ storage: () => currentStorage(ctx.settings, ctx.dataDir) }),
  routes: {
    admin: (ctx) => new Elysia().use(adminAssetRoutes(ctx)),
    root: (ctx) => assetFileRoutes(ctx),
  },
})

export { openStorage, currentStorage, FilesystemStorage, S3Storage, StorageError, s3Endpoint, joinUrl } from './service/storage'
export type { Storage, StorageEntry, S3Settings } from './service/storage'
export { isSegment, isRelativePath } from './service/names'

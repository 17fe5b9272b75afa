import { Elysia } from 'elysia'
import { NotFound, type PluginContext } from 'hatchery'
import { ASSETS_PREFIX } from './service/assets'
import { isRelativePath, MAX_DEPTH } from './service/names'
import { currentStorage, FilesystemStorage } from './service/storage'

/**
 * Uploaded assets may be HTML or SVG: served from the panel's origin they must not run script or
 * load anything, and are never sniffed into another type.
 */
const SAFE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox",
  'cross-origin-resource-policy': 'same-site',
}

/** The wildcard as sent (percent-encoded); '' when it does not decode to UTF-8. */
function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return ''
  }
}

/** `GET /assets/<name>`: files of the filesystem storage, public (S3 assets are served by the bucket's `public_url`). */
export function assetFileRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/assets', tags: ['admin assets'] }).get(
    '/*',
    async ({ params, request }) => {
      const name = decodePath(params['*'])
      const storage = await currentStorage(ctx.settings, ctx.dataDir)
      const file =
        storage instanceof FilesystemStorage && isRelativePath(name, MAX_DEPTH + 1) ? await storage.read(`${ASSETS_PREFIX}/${name}`) : null
      if (!file) throw new NotFound('file not found')
      const modified = new Date((file as Blob & { lastModified: number }).lastModified)
      modified.setMilliseconds(0)
      const since = Date.parse(request.headers.get('if-modified-since') ?? '')
      const headers = { ...SAFE_HEADERS, 'last-modified': modified.toUTCString(), 'cache-control': 'public, no-cache' }
      if (!Number.isNaN(since) && modified.getTime() <= since) return new Response(null, { status: 304, headers })
      return new Response(file, { headers: { ...headers, 'content-type': file.type || 'application/octet-stream' } })
    },
    {
      detail: {
        summary: 'An uploaded asset',
        description:
          'Public; the URL comes from `url` in asset objects. Filesystem storage only (404 with S3 storage, whose files the bucket serves). The type follows the extension; the file is sent with `nosniff` and a sandboxing Content-Security-Policy. No directory listing: a directory is 404.',
      },
    },
  )
}

/** The file manager routes under `/api/servers/{server}/files` (spec 04 §1.6 D) over the virtual tree. */
import { joinPath, normalize, TreeError } from './files'
import { query, WingsError } from './http'
import type { Ctx, Route } from './route'
import { Bodies } from './schemas'

function tree<T>(work: () => T): T {
  try {
    return work()
  } catch (error) {
    if (error instanceof TreeError) throw new WingsError(error.status, error.message)
    throw error
  }
}

/** Disk space is enforced as Wings does with its disk limiter (`build.disk_space` MiB, 0 = unlimited). */
function allocate(ctx: Ctx, path: string, size: number) {
  const limit = ctx.target.config.settings.build.disk_space * 1024 * 1024
  const previous = ctx.target.files.get(path)?.data.byteLength ?? 0
  if (limit > 0 && ctx.target.files.size - previous + size > limit) throw new WingsError(417, 'failed to allocate space')
}

export const fileRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/servers/:server/files/list',
    handle: (ctx) => {
      const q = query(ctx.url, { directory: 'string', ignored: 'string[]', per_page: 'u64?', page: 'u64?', sort: 'string?' }) as {
        directory: string
        per_page?: number
        page?: number
      }
      const files = ctx.target.files
      const entry = files.get(q.directory)
      if (!entry) throw new WingsError(404, 'path not found')
      if (!entry.directory) throw new WingsError(417, 'path not a directory')
      const children = files.list(q.directory)
      const page = Math.max(1, q.page ?? 1)
      const shown = q.per_page ? children.slice((page - 1) * q.per_page, page * q.per_page) : children
      const dir = normalize(q.directory)
      return ctx.reply(200, {
        total: children.length,
        filesystem_primary: true,
        filesystem_writable: true,
        filesystem_fast: true,
        entries: shown.map(({ name, entry }) => files.describe(joinPath(dir, name), entry)),
      })
    },
  },
  {
    method: 'GET',
    path: '/api/servers/:server/files/contents',
    handle: (ctx) => {
      const q = query(ctx.url, { file: 'string', download: 'bool?', max_size: 'u64?' }) as {
        file: string
        download?: boolean
        max_size?: number
      }
      const entry = ctx.target.files.get(q.file)
      if (!entry || entry.directory) throw new WingsError(404, 'file not found')
      if (q.max_size !== undefined && entry.data.byteLength > q.max_size)
        throw new WingsError(413, 'file size exceeds maximum allowed size')
      const headers: Record<string, string> = { 'content-length': String(entry.data.byteLength) }
      if (q.download) {
        headers['content-disposition'] = `attachment; filename=${JSON.stringify(normalize(q.file).split('/').pop())}`
        headers['content-type'] = 'application/octet-stream'
      }
      return new Response(entry.data, { headers })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/write',
    handle: (ctx) => {
      const { file } = query(ctx.url, { file: 'string', user: 'string?' }) as { file: string }
      if (ctx.target.files.get(file)?.directory) throw new WingsError(417, 'file is not a file')
      allocate(ctx, file, ctx.raw.byteLength)
      tree(() => ctx.target.files.write(file, ctx.raw))
      return ctx.reply(200, { revision_id: null })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/create-directory',
    handle: (ctx) => {
      const body = ctx.body(Bodies.createDirectory)
      const root = ctx.target.files.get(body.root)
      if (!root) throw new WingsError(404, 'root not found')
      if (!root.directory) throw new WingsError(417, 'root is not a directory')
      tree(() => ctx.target.files.mkdirs(joinPath(body.root, body.name)))
      return ctx.reply(200, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/delete',
    handle: (ctx) => {
      const body = ctx.body(Bodies.deleteFiles)
      if (!ctx.target.files.get(body.root)?.directory) throw new WingsError(404, 'root not found')
      const deleted = body.files.filter((file) => ctx.target.files.remove(joinPath(body.root, file))).length
      return ctx.reply(200, { deleted })
    },
  },
  {
    method: 'PUT',
    path: '/api/servers/:server/files/rename',
    handle: (ctx) => {
      const body = ctx.body(Bodies.renameFiles)
      if (!ctx.target.files.get(body.root)?.directory) throw new WingsError(404, 'root not found')
      const renamed = tree(
        () => body.files.filter(({ from, to }) => ctx.target.files.rename(joinPath(body.root, from), joinPath(body.root, to))).length,
      )
      return ctx.reply(200, { renamed })
    },
  },
]

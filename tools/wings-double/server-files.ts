/** The file manager routes under `/api/servers/{server}/files` (spec 04 §1.6 D) over the virtual tree. */
import { createHash } from 'node:crypto'
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

const ALGORITHMS = ['md5', 'crc32', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'curseforge']

function fingerprint(algorithm: string, data: Uint8Array): string {
  if (algorithm === 'crc32') return Bun.hash.crc32(data).toString(16).padStart(8, '0')
  // CurseForge's murmur2 variant is not reproduced: a stand-in so the shape is right.
  if (algorithm === 'curseforge') return String(Bun.hash.murmur32v2(data))
  return createHash(algorithm).update(data).digest('hex')
}

/** `name.ext` → `name copy.ext`, then `name copy 2.ext`, … (the first free one). */
function copyName(exists: (path: string) => boolean, dir: string, name: string): string {
  const dot = name.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
  for (let n = 1; ; n++) {
    const candidate = joinPath(dir, `${stem} copy${n > 1 ? ` ${n}` : ''}${ext}`)
    if (!exists(candidate)) return candidate
  }
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
    method: 'POST',
    path: '/api/servers/:server/files/chmod',
    handle: (ctx) => {
      const body = ctx.body(Bodies.chmodFiles)
      const root = ctx.target.files.get(body.root)
      if (!root) throw new WingsError(404, 'root not found')
      if (!root.directory) throw new WingsError(417, 'root is not a directory')
      const updated = body.files.filter(({ file }) => ctx.target.files.get(joinPath(body.root, file))).length
      return ctx.reply(200, { updated })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/copy',
    handle: (ctx) => {
      const body = ctx.body(Bodies.copyFile)
      const files = ctx.target.files
      const source = files.get(body.path)
      if (!source || source.directory) throw new WingsError(404, 'file not found')
      const dir = normalize(body.path).split('/').slice(0, -1).join('/')
      const target = body.name ? joinPath(dir, body.name) : copyName((p) => !!files.get(p), dir, normalize(body.path).split('/').pop()!)
      if (files.get(target) && !body.overwrite) throw new WingsError(409, 'file already exists')
      allocate(ctx, target, source.data.byteLength)
      tree(() => files.write(target, source.data.slice()))
      return ctx.reply(200, files.describe(target, files.get(target)!))
    },
  },
  {
    method: 'GET',
    path: '/api/servers/:server/files/fingerprints',
    handle: (ctx) => {
      const q = query(ctx.url, { algorithm: 'string', files: 'string[]' }) as { algorithm: string; files: string[] }
      if (!ALGORITHMS.includes(q.algorithm))
        throw new WingsError(400, `Failed to deserialize query string: unknown variant \`${q.algorithm}\``)
      const fingerprints: Record<string, string> = {}
      for (const file of q.files) {
        const entry = ctx.target.files.get(file)
        if (entry && !entry.directory) fingerprints[file] = fingerprint(q.algorithm, entry.data)
      }
      return ctx.reply(200, { fingerprints })
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

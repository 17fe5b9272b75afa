/** The file manager routes under `/api/servers/{server}/files` (spec 04 §1.6 D) over the virtual tree. */
import { createHash, randomUUID } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { archiveTree, extractInto } from './archive'
import { joinPath, normalize, TreeError, type DirectoryEntry } from './files'
import { query, WingsError } from './http'
import type { Ctx, Route } from './route'
import { Bodies } from './schemas'

function tree<T>(work: () => T): T {
  try {
    const result = work()
    if (result instanceof Promise) return result.catch(rethrow) as T
    return result
  } catch (error) {
    return rethrow(error)
  }
}

function rethrow(error: unknown): never {
  if (error instanceof TreeError) throw new WingsError(error.status, error.message)
  throw error
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
        ignored: string[]
        per_page?: number
        page?: number
        sort?: string
      }
      const files = ctx.target.files
      const entry = files.get(q.directory)
      if (!entry) throw new WingsError(404, 'path not found')
      if (!entry.directory) throw new WingsError(417, 'path not a directory')
      const dir = normalize(q.directory)
      const ignored = globs(q.ignored)
      const children = sortEntries(
        files
          .list(dir)
          .filter(({ name }) => !matches(ignored, joinPath(dir, name)))
          .map(({ name, entry }) => files.describe(joinPath(dir, name), entry)),
        q.sort,
      )
      const page = Math.max(1, q.page ?? 1)
      const shown = q.per_page ? children.slice((page - 1) * q.per_page, page * q.per_page) : children
      return ctx.reply(200, {
        total: children.length,
        filesystem_primary: true,
        filesystem_writable: true,
        filesystem_fast: true,
        entries: shown,
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
      if (!entry || entry.directory || entry.dangling) throw new WingsError(404, 'file not found')
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
      const updated = tree(
        () =>
          body.files.filter(({ file, mode, recursive }) => {
            if (!ctx.target.files.get(joinPath(body.root, file))) return false
            ctx.target.files.chmod(joinPath(body.root, file), Number.parseInt(mode, 8) & 0o777, recursive)
            return true
          }).length,
      )
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
      if (!source) throw new WingsError(404, 'file not found')
      const dir = normalize(body.path).split('/').slice(0, -1).join('/')
      const target = body.name ? joinPath(dir, body.name) : copyName((p) => !!files.get(p), dir, normalize(body.path).split('/').pop()!)
      if (files.get(target) && !body.overwrite) throw new WingsError(409, 'file already exists')
      allocate(ctx, target, source.directory ? files.sizeUnder(normalize(body.path)) : source.data.byteLength)
      return perform(ctx, body.foreground ?? true, () => {
        files.copy(body.path, target)
        return files.describe(target, files.get(target)!)
      })
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

const Many = Type.Array(Type.Object({ from: Type.String(), to: Type.String() }))
const Foreground = Type.Optional(Type.Boolean())
const More = {
  copyMany: Type.Object({ root: Type.String(), files: Many, overwrite: Type.Optional(Type.Boolean()), foreground: Foreground }),
  compress: Type.Object({
    format: Type.Optional(Type.String()),
    name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    root: Type.String(),
    files: Type.Array(Type.String()),
    foreground: Foreground,
  }),
  decompress: Type.Object({ root: Type.String(), file: Type.String(), foreground: Foreground }),
  symlink: Type.Object({ root: Type.String(), link: Type.String({ minLength: 1 }), target: Type.String({ minLength: 1 }) }),
  search: Type.Object({
    root: Type.String(),
    path_filter: Type.Optional(
      Type.Union([
        Type.Object({ include: Type.Array(Type.String()), exclude: Type.Array(Type.String()), case_insensitive: Type.Boolean() }),
        Type.Null(),
      ]),
    ),
    size_filter: Type.Optional(Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()])),
    content_filter: Type.Optional(
      Type.Union([
        Type.Object({
          query: Type.String(),
          max_search_size: Type.Number(),
          include_unmatched: Type.Boolean(),
          case_insensitive: Type.Boolean(),
        }),
        Type.Null(),
      ]),
    ),
    per_page: Type.Optional(Type.Number()),
  }),
  pull: Type.Object({
    root: Type.String(),
    url: Type.String(),
    file_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    use_header: Type.Optional(Type.Boolean()),
    foreground: Foreground,
  }),
  pullQuery: Type.Object({ url: Type.String() }),
  copyRemote: Type.Object({
    url: Type.String(),
    token: Type.String(),
    archive_format: Type.String(),
    compression_level: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    root: Type.String(),
    files: Many,
    destination_server: Type.String(),
    destination_path: Type.String(),
    foreground: Foreground,
  }),
}

/** Background operations (`foreground: false`): run this long after the 202 unless cancelled. */
export const BACKGROUND_DELAY_MS = 200
const operations = new Map<string, ReturnType<typeof setTimeout>>()

/** Runs `work` now (200 with its answer) or as a background operation (202 `{identifier}`, extra fields merged). */
async function perform(ctx: Ctx, foreground: boolean | undefined, work: () => unknown | Promise<unknown>, extra: object = {}) {
  if (foreground !== false) return ctx.reply(200, await tree(work))
  const identifier = randomUUID()
  operations.set(
    identifier,
    setTimeout(() => {
      operations.delete(identifier)
      void Promise.resolve()
        .then(work)
        .catch(() => {})
    }, BACKGROUND_DELAY_MS),
  )
  return ctx.reply(202, { identifier, ...extra })
}

/** Wings' canonicalised root: 404 `root not found` when absent, 417 when a file. */
function rootDir(ctx: Ctx, root: string): string {
  const entry = ctx.target.files.get(root)
  if (!entry) throw new WingsError(404, 'root not found')
  if (!entry.directory) throw new WingsError(417, 'root is not a directory')
  return normalize(root)
}

const globs = (patterns: string[], insensitive = false) =>
  patterns.map((p) => new Bun.Glob((insensitive ? p.toLowerCase() : p).replace(/^\/+|\/+$/g, '')))
const matches = (list: Bun.Glob[], path: string) => list.some((g) => g.match(path) || g.match(path.split('/').pop()!))

const SORTS: Record<string, (a: DirectoryEntry, b: DirectoryEntry) => number> = {
  name_asc: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  size_asc: (a, b) => a.size - b.size,
  physical_size_asc: (a, b) => a.size_physical - b.size_physical,
  modified_asc: (a, b) => a.modified.localeCompare(b.modified),
  created_asc: (a, b) => a.created.localeCompare(b.created),
}

/** Directories first, then files, each group in the `sort` order (`name_asc` default). */
export function sortEntries(entries: DirectoryEntry[], sort = 'name_asc'): DirectoryEntry[] {
  const [key, direction] = [sort.replace(/_(asc|desc)$/, '_asc'), sort.endsWith('_desc') ? -1 : 1]
  const by = SORTS[key]
  if (!by) throw new WingsError(400, `Failed to deserialize query string: sort: unknown variant \`${sort}\``)
  return entries.sort((a, b) => Number(b.directory) - Number(a.directory) || direction * by(a, b))
}

fileRoutes.push(
  {
    method: 'POST',
    path: '/api/servers/:server/files/copy-many',
    handle: (ctx) => {
      const body = ctx.body(More.copyMany)
      const root = rootDir(ctx, body.root)
      const files = ctx.target.files
      const skipped: DirectoryEntry[] = []
      const todo = body.files.filter(({ from, to }) => {
        const target = files.get(joinPath(root, to))
        if (!files.get(joinPath(root, from))) return false
        if (target && !body.overwrite) skipped.push(files.describe(joinPath(root, to), target))
        return !target || body.overwrite
      })
      return perform(
        ctx,
        body.foreground,
        () => {
          for (const { from, to } of todo) files.copy(joinPath(root, from), joinPath(root, to))
          return { copied: todo.length, skipped }
        },
        { skipped },
      )
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/compress',
    handle: async (ctx) => {
      const body = ctx.body(More.compress)
      const root = rootDir(ctx, body.root)
      const format = body.format ?? 'tar_gz'
      if (format !== 'tar_gz') throw new WingsError(417, `archive format ${format} is not supported by the double`)
      const name = joinPath(root, body.name ?? `archive-${new Date().toISOString().replace(/[:.]/g, '')}.tar.gz`)
      for (const file of body.files) if (!ctx.target.files.get(joinPath(root, file))) throw new WingsError(404, 'file not found')
      return perform(ctx, body.foreground, async () => {
        const bytes = await archiveTree(ctx.target.files, root, body.files)
        allocate(ctx, name, bytes.byteLength)
        ctx.target.files.write(name, bytes)
        return ctx.target.files.describe(name, ctx.target.files.get(name)!)
      })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/decompress',
    handle: async (ctx) => {
      const body = ctx.body(More.decompress)
      const root = rootDir(ctx, body.root)
      const entry = ctx.target.files.get(joinPath(root, body.file))
      if (!entry || entry.directory) throw new WingsError(404, 'file not found')
      const data = entry.data
      return perform(ctx, body.foreground, async () => {
        try {
          await extractInto(ctx.target.files, root, data)
        } catch (error) {
          if (error instanceof TreeError) throw error
          throw new WingsError(417, 'unsupported or broken archive')
        }
        return {}
      })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/create-symlink',
    handle: (ctx) => {
      const body = ctx.body(More.symlink)
      const root = rootDir(ctx, body.root)
      tree(() => ctx.target.files.symlink(joinPath(root, body.link), body.target))
      return ctx.reply(200, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/search',
    handle: (ctx) => {
      const body = ctx.body(More.search)
      const root = rootDir(ctx, body.root)
      const files = ctx.target.files
      const insensitive = body.path_filter?.case_insensitive ?? false
      const include = globs(body.path_filter?.include ?? [], insensitive)
      const exclude = globs(body.path_filter?.exclude ?? [], insensitive)
      const results: DirectoryEntry[] = []
      for (const [path, entry] of files.entries) {
        if (root && !path.startsWith(`${root}/`)) continue
        const relative = root ? path.slice(root.length + 1) : path
        const probe = insensitive ? relative.toLowerCase() : relative
        const hiddenBy = (g: Bun.Glob[]) => probe.split('/').some((_, i, parts) => matches(g, parts.slice(0, i + 1).join('/')))
        if (entry.directory || hiddenBy(exclude) || (include.length && !matches(include, probe))) continue
        const size = entry.data.byteLength
        if (body.size_filter && (size < body.size_filter.min || size > body.size_filter.max)) continue
        const content = body.content_filter
        if (content && size <= content.max_search_size) {
          const text = new TextDecoder().decode(entry.data)
          const found = content.case_insensitive ? text.toLowerCase().includes(content.query.toLowerCase()) : text.includes(content.query)
          if (!found && !content.include_unmatched) continue
        } else if (content && !content.include_unmatched) continue
        results.push({ ...files.describe(path, entry), name: relative })
        if (results.length >= (body.per_page ?? 100)) break
      }
      return ctx.reply(200, { results })
    },
  },
  {
    method: 'GET',
    path: '/api/servers/:server/files/largest-directories',
    handle: (ctx) => {
      const q = query(ctx.url, { directory: 'string?', ignored: 'string[]' }) as { directory?: string; ignored: string[] }
      const root = rootDir(ctx, q.directory ?? '')
      const ignored = globs(q.ignored)
      const files = ctx.target.files
      const dirs = [...files.entries].filter(
        ([path, entry]) => entry.directory && (!root || path.startsWith(`${root}/`)) && !matches(ignored, path),
      )
      const described = dirs.map(([path, entry]) => ({ ...files.describe(path, entry), name: root ? path.slice(root.length + 1) : path }))
      return ctx.reply(200, described.sort((a, b) => b.size - a.size).slice(0, 10))
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/pull',
    handle: async (ctx) => {
      const body = ctx.body(More.pull)
      const root = rootDir(ctx, body.root)
      return perform(ctx, body.foreground, async () => {
        const res = await fetch(body.url).catch(() => null)
        if (!res?.ok) throw new WingsError(417, 'failed to download file')
        const name = body.file_name || new URL(res.url || body.url).pathname.split('/').pop() || 'download'
        const data = new Uint8Array(await res.arrayBuffer())
        allocate(ctx, joinPath(root, name), data.byteLength)
        ctx.target.files.write(joinPath(root, name), data)
        return {}
      })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/pull/query',
    handle: async (ctx) => {
      const { url } = ctx.body(More.pullQuery)
      const res = await fetch(url, { method: 'HEAD' }).catch(() => null)
      if (!res) throw new WingsError(417, 'failed to query url')
      const size = res.headers.get('content-length')
      const disposition = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1]
      return ctx.reply(200, {
        file_name: disposition ?? (new URL(res.url || url).pathname.split('/').pop() || null),
        file_size: size === null ? null : Number(size),
        final_url: res.url || url,
        headers: Object.fromEntries(res.headers),
      })
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/files/copy-remote',
    handle: (ctx) => {
      const body = ctx.body(More.copyRemote)
      const root = rootDir(ctx, body.root)
      // Only the same-node form (`url: ""`): a copy across nodes needs Wings' transfer endpoint.
      if (body.url !== '') throw new WingsError(417, 'remote copies across nodes are not supported by the double')
      const target = ctx.node.servers.get(body.destination_server)
      if (!target) throw new WingsError(404, 'destination server not found')
      const source = ctx.target.files
      for (const { from } of body.files) if (!source.get(joinPath(root, from))) throw new WingsError(404, 'file not found')
      return perform(ctx, body.foreground, () => {
        for (const { from, to } of body.files) {
          const start = joinPath(root, from)
          const dest = joinPath(body.destination_path, to)
          const entry = source.get(start)!
          if (!entry.directory) target.files.write(dest, entry.data)
          for (const [path, inner] of entry.directory ? source.entries : [])
            if (path.startsWith(`${start}/`) && !inner.directory) target.files.write(dest + path.slice(start.length), inner.data)
        }
        return {}
      })
    },
  },
  {
    method: 'DELETE',
    path: '/api/servers/:server/files/operations/:operation',
    handle: (ctx) => {
      const timer = operations.get(ctx.params.operation)
      if (!timer) throw new WingsError(404, 'operation not found')
      clearTimeout(timer)
      operations.delete(ctx.params.operation)
      return ctx.reply(200, {})
    },
  },
)

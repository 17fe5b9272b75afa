/**
 * Backups on the double (spec 04 §1.6 E, §4.1): real tar.gz archives of a server's file tree, kept in
 * memory per backup, restores that extract them back, exports into the server's files, browser
 * downloads behind the panel's JWT (§2.2), and the callbacks to the panel (`/api/remote/backups/…`).
 * An S3 backup is uploaded to the presigned part URLs the panel hands out and restored from the
 * `download_url` it sends.
 */
import { createHash } from 'node:crypto'
import { compactVerify } from 'jose'
import { query, WingsError } from './http'
import type { WingsNode } from './node'
import type { Ctx, Route } from './route'
import { Type } from '@sinclair/typebox'
import { BackupAdapter, Bodies, firstError } from './schemas'
import type { FileTree } from './files'
import { extractInto as extractTree } from './archive'
import type { DoubleBackup, DoubleServer } from './types'

/** Every file of the tree as `path → bytes`, without those an `ignore` glob (one per line) matches. */
async function filesOf(tree: FileTree, ignore: string): Promise<Record<string, Uint8Array>> {
  const globs = ignore
    .split('\n')
    .map((g) => g.trim().replace(/^\/+/, ''))
    .filter(Boolean)
    .map((g) => new Bun.Glob(g))
  const hidden = (path: string) => globs.some((g) => g.match(path) || g.match(`${path}/`))
  const out: Record<string, Uint8Array> = {}
  const walk = async (dir: string) => {
    for (const { name, entry } of await tree.list(dir)) {
      const path = dir ? `${dir}/${name}` : name
      if (hidden(path)) continue
      if (entry.directory) await walk(path)
      else out[path] = entry.data
    }
  }
  await walk('')
  return out
}

/** A tar.gz of the server's files (ignored globs left out). */
export async function archiveOf(tree: FileTree, ignore = ''): Promise<{ archive: Uint8Array; files: number }> {
  const files = await filesOf(tree, ignore)
  const archive = await new Bun.Archive(files, { compress: 'gzip' }).bytes()
  return { archive, files: Object.keys(files).length }
}

/** Writes every file of a tar(.gz) into the tree; `truncate` empties the tree first. */
export async function extractInto(tree: FileTree, archive: Uint8Array, truncate: boolean): Promise<number> {
  if (truncate) tree.clear()
  return extractTree(tree, '', archive)
}

/** Uploads an S3 backup as Wings does: part URLs from the panel, one PUT per part; the parts to report. */
async function uploadToS3(node: WingsNode, uuid: string, archive: Uint8Array): Promise<{ etag: string; part_number: number }[]> {
  const { status, data } = await node.remote('GET', `/backups/${uuid}/s3/parts?from_part=1`)
  if (status !== 200) throw new Error(`s3 parts answered ${status}`)
  const { parts: urls, part_size } = data as { parts: string[]; part_size: number }
  const size = Math.max(part_size || archive.byteLength, 5 * 1024 * 1024)
  const parts: { etag: string; part_number: number }[] = []
  for (let offset = 0, n = 0; offset < archive.byteLength || n === 0; offset += size, n++) {
    const response = await fetch(urls[n], { method: 'PUT', body: archive.subarray(offset, offset + size) })
    if (!response.ok) throw new Error(`s3 part ${n + 1} answered ${response.status}`)
    parts.push({ etag: response.headers.get('etag') ?? '', part_number: n + 1 })
  }
  return parts
}

/** A backup made after `callbackDelayMs`, reported with `POST /api/remote/backups/{uuid}`. */
export function makeBackup(node: WingsNode, server: DoubleServer, uuid: string, adapter: string, ignore: string) {
  const backup: DoubleBackup = { uuid, server: server.uuid, adapter, checksum: '', size: 0, files: 0 }
  node.backups.set(uuid, backup)
  node.broadcast(server.uuid, 'backup started', [uuid])
  node.later(node.options.callbackDelayMs, async () => {
    if (!node.backups.has(uuid)) return
    let successful = !node.faults.has('backup-fails')
    let parts: { etag: string; part_number: number }[] = []
    const { archive, files } = await archiveOf(server.files, ignore)
    Object.assign(backup, { checksum: createHash('sha1').update(archive).digest('hex'), size: archive.byteLength, files, archive })
    if (successful && adapter === 's3') {
      try {
        parts = await uploadToS3(node, uuid, archive)
      } catch (error) {
        node.problem(`s3 upload of ${uuid} failed: ${(error as Error).message}`)
        successful = false
      }
    }
    if (!successful) node.backups.delete(uuid)
    const report = {
      checksum: successful ? backup.checksum : '',
      checksum_type: 'sha1',
      size: successful ? backup.size : 0,
      files: successful ? files : 0,
      successful,
      browsable: false,
      streaming: false,
      parts,
    }
    node.broadcast(server.uuid, 'backup completed', [uuid, JSON.stringify(report)])
    const { status } = await node.remote('POST', `/backups/${uuid}`, report).catch(() => ({ status: 0 }))
    if (status !== 200) node.problem(`POST /api/remote/backups/${uuid} answered ${status || 'nothing'}`)
  })
}

/** Deletes after `callbackDelayMs` and reports `POST /api/remote/backups/{uuid}/deletion`. */
export function deleteBackup(node: WingsNode, backup: DoubleBackup) {
  node.later(node.options.callbackDelayMs, async () => {
    const successful = !node.faults.has('backup-deletion-fails')
    if (successful) node.backups.delete(backup.uuid)
    const { status } = await node.remote('POST', `/backups/${backup.uuid}/deletion`, { successful }).catch(() => ({ status: 0 }))
    if (status !== 200) node.problem(`POST /api/remote/backups/${backup.uuid}/deletion answered ${status || 'nothing'}`)
  })
}

/** A restore: the server stops, the tree is optionally truncated, the archive extracted, then `/api/remote/backups/{uuid}/restore`. */
export function restoreBackup(node: WingsNode, server: DoubleServer, backup: DoubleBackup, truncate: boolean, downloadUrl: string | null) {
  node.power(server, 'kill')
  node.broadcast(server.uuid, 'backup restore started', [])
  node.later(node.options.callbackDelayMs, async () => {
    let successful = !node.faults.has('restore-fails')
    if (successful) {
      try {
        const archive = downloadUrl ? new Uint8Array(await (await fetch(downloadUrl)).arrayBuffer()) : backup.archive
        if (!archive) throw new Error('the backup has no archive')
        await extractInto(server.files, archive, truncate)
      } catch (error) {
        node.problem(`restore of ${backup.uuid} failed: ${(error as Error).message}`)
        successful = false
      }
    }
    node.broadcast(server.uuid, 'backup restore completed', [])
    const { status } = await node
      .remote('POST', `/backups/${backup.uuid}/restore`, { server_uuid: server.uuid, successful })
      .catch(() => ({ status: 0 }))
    if (status !== 200) node.problem(`POST /api/remote/backups/${backup.uuid}/restore answered ${status || 'nothing'}`)
  })
}

function known(ctx: Ctx, adapter?: string): DoubleBackup {
  if (firstError(Bodies.createBackup.properties.uuid, ctx.params.backup)) throw new WingsError(400, 'invalid backup uuid')
  const backup = ctx.node.backups.get(ctx.params.backup.toLowerCase())
  if (!backup || (adapter !== undefined && backup.adapter !== adapter)) throw new WingsError(404, 'backup not found')
  return backup
}

/** The claims of a panel-signed download token (HS256, node token), or 401. */
async function claimsOf(node: WingsNode, token: string): Promise<Record<string, any>> {
  try {
    const { payload } = await compactVerify(token, new TextEncoder().encode(node.options.token), { algorithms: ['HS256'] })
    const claims = JSON.parse(new TextDecoder().decode(payload))
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.exp !== 'number' || claims.exp < now || typeof claims.iat !== 'number' || claims.iat < node.bootedAt)
      throw new Error()
    return claims
  } catch {
    throw new WingsError(401, 'invalid token')
  }
}

const ExportBody = Type.Object({
  adapter: BackupAdapter,
  server: Bodies.createBackup.properties.uuid,
  path: Type.String(),
  archive_format: Type.String(),
  foreground: Type.Boolean(),
})

export const backupRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/servers/:server/backup',
    handle: (ctx) => {
      const body = ctx.body(Bodies.createBackup)
      const uuid = body.uuid.toLowerCase()
      if (ctx.node.backups.has(uuid)) throw new WingsError(409, 'backup already exists')
      makeBackup(ctx.node, ctx.target, uuid, body.adapter, body.ignore)
      return ctx.reply(202, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/backup/:backup/restore',
    handle: (ctx) => {
      const body = ctx.body(Bodies.restoreBackup)
      if (body.adapter === 's3' && !body.download_url) throw new WingsError(400, 'unable to restore s3 backup without download_url')
      const backup =
        body.adapter === 's3' ? (ctx.node.backups.get(ctx.params.backup.toLowerCase()) ?? fromUrl(ctx)) : known(ctx, body.adapter)
      restoreBackup(ctx.node, ctx.target, backup, body.truncate_directory, body.download_url ?? null)
      return ctx.reply(202, {})
    },
  },
  {
    method: 'DELETE',
    path: '/api/backups/:backup',
    handle: (ctx) => {
      known(ctx)
      const body = ctx.body(Bodies.deleteBackup)
      deleteBackup(ctx.node, known(ctx, body.adapter))
      return ctx.reply(202, {})
    },
  },
  {
    method: 'GET',
    path: '/api/backups/:backup/query',
    handle: (ctx) => {
      const { adapter } = query(ctx.url, { adapter: 'string' }) as { adapter: string }
      const backup = known(ctx, adapter)
      return ctx.reply(200, { archive_format: backup.archive ? 'tar_gz' : null, size: backup.archive ? backup.size : null })
    },
  },
  {
    method: 'POST',
    path: '/api/backups/:backup/export',
    handle: (ctx) => {
      const body = ctx.body(ExportBody)
      const backup = known(ctx, body.adapter)
      const server = ctx.node.server(body.server)
      if (!backup.archive) throw new WingsError(417, 'backup has no archive')
      const path = `${body.path.replace(/\/+$/, '')}/${backup.uuid}.tar.gz`.replace(/^\/+/, '')
      server.files.write(path, backup.archive)
      const name = path.split('/').pop()!
      return ctx.reply(200, server.files.describe(name, server.files.get(path)!))
    },
  },
  {
    method: 'GET',
    path: '/download/backup',
    auth: false,
    handle: async (ctx) => {
      const { token } = query(ctx.url, { token: 'string', archive_format: 'string?' }) as { token: string }
      const claims = await claimsOf(ctx.node, token)
      const backup = ctx.node.backups.get(String(claims.backup_uuid).toLowerCase())
      if (!backup?.archive) throw new WingsError(404, 'backup not found')
      return new Response(backup.archive, {
        headers: { 'content-type': 'application/gzip', 'content-disposition': `attachment; filename="${backup.uuid}.tar.gz"` },
      })
    },
  },
]

/** An S3 backup this node did not make (another node's, or before a restart): restored from the URL alone. */
function fromUrl(ctx: Ctx): DoubleBackup {
  return { uuid: ctx.params.backup.toLowerCase(), server: ctx.target.uuid, adapter: 's3', checksum: '', size: 0, files: 0 }
}

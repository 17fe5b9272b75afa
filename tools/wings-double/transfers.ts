/**
 * Server transfers between two doubles (spec 04 §1.6 F): the source streams a gzipped tar of the
 * server's files to the destination's `POST /api/transfers` (multipart `archive` + `checksum`,
 * `Authorization: Bearer <transfer JWT>` signed with the destination's token), the destination
 * fetches the server's configuration, unpacks the archive and reports
 * `POST /api/remote/servers/{uuid}/transfer/success` (or `/failure`). A source that cannot deliver
 * reports `/failure` itself, as Wings does. The `transfer-fails` fault makes a destination fail
 * midway: half the files written, then the failure reported and the partial server dropped.
 *
 * Backups go along as Wings sends them: each requested backup the source stores itself (adapter
 * `wings`, finished) as a `backup-<uuid>` part (`backup/wings`) followed by its
 * `backup-checksum-<uuid>` (sha256); others are skipped. The destination keeps those whose
 * checksum matches and lists them in its success report (`{backups: [uuid]}`); with
 * `delete_backups` the source deletes its copies once the destination has them.
 */
import { createHash } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { compactVerify } from 'jose'
import type { FileTree } from './files'
import { extractInto } from './archive'
import { WingsError } from './http'
import type { WingsNode } from './node'
import type { Route } from './route'
import type { DoubleServer, OutgoingTransfer } from './types'

const TransferBody = Type.Object({
  url: Type.String({ minLength: 1 }),
  token: Type.String({ minLength: 1 }),
  archive_format: Type.String(),
  compression_level: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  backups: Type.Array(Type.String()),
  delete_backups: Type.Boolean(),
  multiplex_streams: Type.Integer({ minimum: 0, maximum: 16 }),
})

/** The server's files as a gzipped tar (directories are implied by the paths). */
export async function archiveOf(files: FileTree): Promise<{ bytes: Uint8Array; count: number }> {
  const input: Record<string, Uint8Array> = {}
  for (const [path, entry] of files.entries) if (!entry.directory) input[path] = entry.data
  const bytes = await new Bun.Archive(input, { compress: 'gzip' }).bytes()
  return { bytes, count: Object.keys(input).length }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The transfer JWT: HS256 with this node's token, unexpired, `sub` the server uuid (Wings answers 401 `invalid token`). */
async function transferSubject(node: WingsNode, header: string | null): Promise<string> {
  const [type, token] = (header ?? '').split(' ')
  if (type !== 'Bearer' || !token) throw new WingsError(401, 'invalid authorization header')
  try {
    const { payload } = await compactVerify(token, new TextEncoder().encode(node.options.token))
    const claims = JSON.parse(new TextDecoder().decode(payload)) as { sub?: unknown; exp?: unknown }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) throw new Error('expired')
    if (typeof claims.sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(claims.sub)) throw new Error('no subject')
    return claims.sub.toLowerCase()
  } catch {
    throw new WingsError(401, 'invalid token')
  }
}

/** A transfer callback to the panel; anything but 200 is a problem. */
async function report(node: WingsNode, uuid: string, outcome: 'success' | 'failure', backups: string[] = []) {
  const { status } = await node.remote('POST', `/servers/${uuid}/transfer/${outcome}`, { backups }).catch(() => ({ status: 0 }))
  if (status !== 200) node.problem(`POST /api/remote/servers/${uuid}/transfer/${outcome} answered ${status || 'nothing'}`)
  return status
}

/** The source's side: stop the server, archive it, post it to the destination; report a failure it sees. */
function push(node: WingsNode, server: DoubleServer, body: typeof TransferBody.static) {
  const transfer: OutgoingTransfer = {
    server: server.uuid,
    destination: body.url,
    abort: new AbortController(),
    archive_bytes_processed: 0,
    network_bytes_processed: 0,
    bytes_total: server.files.size,
    files_processed: 0,
  }
  node.transfers.set(server.uuid, transfer)
  node.later(0, async () => {
    let delivered = false
    try {
      node.power(server, 'kill')
      const { bytes, count } = await archiveOf(server.files)
      Object.assign(transfer, { archive_bytes_processed: server.files.size, files_processed: count })
      const form = new FormData()
      form.append('archive', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/gzip' }), 'archive.tar.gz')
      form.append('checksum', sha256(bytes))
      const sent: string[] = []
      for (const uuid of body.backups) {
        const backup = node.backups.get(uuid.toLowerCase())
        if (!backup?.archive || backup.server !== server.uuid || backup.adapter !== 'wings') continue
        const archive = backup.archive as Uint8Array<ArrayBuffer>
        form.append(`backup-${backup.uuid}`, new Blob([archive], { type: 'backup/wings' }), `${backup.uuid}.tar.gz`)
        form.append(`backup-checksum-${backup.uuid}`, sha256(archive))
        sent.push(backup.uuid)
      }
      const response = await fetch(body.url, {
        method: 'POST',
        headers: { authorization: body.token },
        body: form,
        signal: AbortSignal.any([transfer.abort.signal, AbortSignal.timeout(node.options.remoteTimeoutMs * 4)]),
      })
      transfer.network_bytes_processed = bytes.byteLength
      await response.arrayBuffer()
      delivered = response.ok
      if (delivered && body.delete_backups) for (const uuid of sent) node.backups.delete(uuid)
      // A destination that failed after accepting the stream has reported the failure itself.
      if (!response.ok && response.status !== 417) await report(node, server.uuid, 'failure')
    } catch (error) {
      if (!transfer.abort.signal.aborted) {
        node.problem(`outgoing transfer of ${server.uuid} failed: ${(error as Error).message}`)
        await report(node, server.uuid, 'failure')
      }
    } finally {
      if (node.transfers.get(server.uuid) === transfer) node.transfers.delete(server.uuid)
      if (!delivered) server.transferring = false
    }
  })
}

/** The destination's side of `POST /api/transfers`. */
async function receive(node: WingsNode, request: Request, raw: Uint8Array): Promise<Response> {
  const uuid = await transferSubject(node, request.headers.get('authorization'))
  if (node.servers.has(uuid)) throw new WingsError(409, 'server with this uuid already exists')
  const config = await node.fetchConfiguration(uuid)
  if (node.servers.has(uuid)) throw new WingsError(409, 'server with this uuid already exists')
  const server = node.addServer(uuid, config)
  server.transferring = true
  const received = new Map<string, Uint8Array>()
  try {
    const form = await new Response(raw as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': request.headers.get('content-type') ?? '' },
    }).formData()
    const archive = form.get('archive')
    if (!(archive instanceof Blob)) throw new Error('no archive part')
    const bytes = new Uint8Array(await archive.arrayBuffer())
    if (form.get('checksum') !== sha256(bytes)) throw new Error('archive checksum does not match multipart checksum')
    if (node.faults.has('transfer-fails')) {
      const total = (await new Bun.Archive(bytes).files()).size
      await extractInto(server.files, '', bytes, Math.floor(total / 2))
      throw new Error('no space left on device (injected)')
    }
    await extractInto(server.files, '', bytes)
    for (const [name, part] of form.entries()) {
      const backup = /^backup-([0-9a-f-]{36})$/i.exec(name)?.[1]?.toLowerCase()
      if (!backup || !(part instanceof Blob)) continue
      const archive = new Uint8Array(await part.arrayBuffer())
      if (form.get(`backup-checksum-${backup}`) !== sha256(archive))
        throw new Error(`backup ${backup} checksum does not match multipart checksum`)
      received.set(backup, archive)
    }
  } catch (error) {
    node.servers.delete(uuid)
    await report(node, uuid, 'failure')
    throw new WingsError(417, `failed to complete server transfer: ${(error as Error).message}`)
  }
  for (const [backup, archive] of received) {
    const files = (await new Bun.Archive(archive).files()).size
    const checksum = createHash('sha1').update(archive).digest('hex')
    node.backups.set(backup, { uuid: backup, server: uuid, adapter: 'wings', checksum, size: archive.byteLength, files, archive })
  }
  server.transferring = false
  await report(node, uuid, 'success', [...received.keys()])
  return Response.json({})
}

export const transferRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/servers/:server/transfer',
    handle: (ctx) => {
      const body = ctx.body(TransferBody)
      const server = ctx.target
      if (server.installing || server.transferring || ctx.node.transfers.has(server.uuid)) throw new WingsError(409, 'server is locked')
      server.transferring = true
      push(ctx.node, server, body)
      return ctx.reply(202, {})
    },
  },
  {
    method: 'DELETE',
    path: '/api/servers/:server/transfer',
    handle: (ctx) => {
      const transfer = ctx.node.transfers.get(ctx.target.uuid)
      if (!transfer) throw new WingsError(417, 'server is not transferring')
      transfer.abort.abort()
      ctx.node.transfers.delete(ctx.target.uuid)
      ctx.target.transferring = false
      return ctx.reply(200, {})
    },
  },
  {
    method: 'GET',
    path: '/api/transfers',
    handle: (ctx) =>
      ctx.reply(
        200,
        Object.fromEntries(
          [...ctx.node.transfers.values()].map(
            ({ server, archive_bytes_processed, network_bytes_processed, bytes_total, files_processed }) => [
              server,
              { archive_bytes_processed, network_bytes_processed, bytes_total, files_processed },
            ],
          ),
        ),
      ),
  },
  { method: 'POST', path: '/api/transfers', auth: false, handle: (ctx) => receive(ctx.node, ctx.request, ctx.raw) },
]

import { Empty, type PluginContext } from 'hatchery'
import type { ServersApi } from '../servers'
import { TransferSuccess } from './model'
import { completeTransfer, failTransfer } from './service/transfers'

const detail = (summary: string, description: string) => ({ tags: ['remote'], summary, description })

/** `/api/remote/servers/{server}/transfer/…` (spec 04 §3): what the nodes report about a transfer. */
export function remoteTransferRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('remote:server')
    .post(
      '/transfer/success',
      async ({ resource, access, body }) => {
        await completeTransfer(ctx, api, resource.uuid, access.node, body)
        return {}
      },
      {
        remote: true,
        body: TransferSuccess,
        response: { 200: Empty },
        detail: detail(
          'The destination node has the server',
          "The server moves to the calling node (its primary the reserved one), allocations elsewhere are released; the source deletes its copy in the background. 409 `server is not being transferred`; 417 `server is not being transferred to this node`. The backups the destination received (`backups`) and the server's shared backups move to the destination, with what `backup_migrations` says changed about them (checksum stored as `<checksum_type>:<checksum>`, `browsable`, `streaming`, the adapter's disk).",
        ),
      },
    )
    .post(
      '/transfer/failure',
      async ({ resource }) => {
        await failTransfer(ctx, api, resource.uuid)
        return {}
      },
      {
        remote: true,
        detail: detail(
          'A node reports the transfer failed',
          "The source or the destination. The server stays on its source, the destination allocations are released and the destination's copy deleted in the background; it may be transferred again. 409 `server is not being transferred`. The body is ignored.",
        ),
        response: { 200: Empty },
      },
    )
}

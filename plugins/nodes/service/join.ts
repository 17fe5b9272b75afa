import type { Static } from 'elysia'
import type { JoinDocument } from '../model'
import type { NodeRow } from './nodes'

/**
 * The join document of spec 02 §6.8(a), what the reference's frontend builds for
 * `wings configure --join-data`: the API port is the port of `node.url` (8080 when the URL names
 * none), SFTP binds the node's `sftp_port`, `remote` is the origin of the panel's `app.url`.
 */
export function joinDocument(node: NodeRow, token: { token_id: string; token: string }, appUrl: string): Static<typeof JoinDocument> {
  let port = 8080
  try {
    const explicit = new URL(node.url).port
    if (explicit) port = Number(explicit)
  } catch {
    // a stored URL always parsed when it was written; keep the default otherwise
  }
  let remote = appUrl
  try {
    remote = new URL(appUrl).origin
  } catch {
    // the `app.url` setting is checked as a URI when written
  }
  return {
    uuid: node.uuid,
    token_id: token.token_id,
    token: token.token,
    api: { port, disable_openapi_docs: true, upload_limit: 0 },
    system: { sftp: { bind_port: node.sftp_port } },
    remote,
  }
}

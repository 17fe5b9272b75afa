/** Test support for `/api/remote` (test files only): nodes with their Wings credentials, servers on them. */
import type { AdminCaller, TestApp, TestResponse } from 'hatchery/testing'
import { insertServer, makeNode } from '../test-fixtures'

export interface RemoteNode {
  uuid: string
  name: string
  tokenId: string
  token: string
  /** `<token_id>.<token>`, what Wings sends after `Bearer `. */
  credential: string
}

/** A node made through the admin API (`makeNode`), with the credential Wings would send. */
export async function remoteNode(t: TestApp, admin: AdminCaller): Promise<RemoteNode> {
  const { node, tokenId, token } = await makeNode(t, admin)
  return { ...node, tokenId, token, credential: `${tokenId}.${token}` }
}

/** A request as Wings makes it: `Bearer <token_id>.<token>`, Wings' vendor `Accept`. */
export function asNode(t: TestApp, node: RemoteNode | null, method: string, path: string, body?: unknown): Promise<TestResponse> {
  return t.request(method, path, {
    body,
    token: node?.credential,
    headers: { accept: 'application/vnd.pterodactyl.v1+json' },
  })
}

/** A server row on `node` (no Wings call). */
export const serverOn = (
  t: TestApp,
  node: RemoteNode,
  refs: { owner: string; egg: string },
  over: Parameters<typeof insertServer>[2] = {},
) => insertServer(t, { node: node.uuid, owner: refs.owner, egg: refs.egg }, over)

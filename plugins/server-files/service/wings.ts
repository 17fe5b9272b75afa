import { HttpError, type SettingsSnapshot } from 'hatchery'
import type { TSchema, Static } from '@sinclair/typebox'
import { endpoint, PASSED_THROUGH, sendToWings, WingsUnreachable, type WingsClient, type WingsCall } from '../../servers'

const server = (uuid: string) => `/api/servers/${encodeURIComponent(uuid)}/files`

/**
 * One JSON call to the file endpoints of a server's Wings (spec 04 §1.6 D) through the servers
 * plugin's transport: deadlines, 502 for a node that is down or answers garbage, Wings'
 * 404/409/413/417 passed through as `{"errors":[…]}`.
 */
export function filesCall<S extends TSchema>(
  wings: WingsClient,
  uuid: string,
  call: Omit<WingsCall<S>, 'path'> & { path: string },
): Promise<Static<S>> {
  return sendToWings(wings.target, { ...call, path: server(uuid) + call.path }, wings.options) as Promise<Static<S>>
}

/**
 * A raw exchange (file contents, a write): the body is bytes both ways, so it bypasses the JSON
 * transport; Wings' passed-through statuses are mapped the same way, anything else is a 502.
 */
export async function rawCall(
  wings: WingsClient,
  uuid: string,
  call: { method: 'GET' | 'POST'; path: string; query: Record<string, string | number | string[]>; body?: Uint8Array; timeoutMs?: number },
): Promise<Response> {
  const url = endpoint(wings.target.url, server(uuid) + call.path, call.query)
  const fail = (detail: string) => new WingsUnreachable(wings.target.name, 'network', `${call.method} ${url.pathname}: ${detail}`)
  let response: Response
  try {
    response = await (wings.options.fetch ?? fetch)(url, {
      method: call.method,
      headers: {
        authorization: `Bearer ${wings.target.token}`,
        accept: 'application/json',
        ...(call.body ? { 'content-type': 'application/octet-stream', 'content-length': String(call.body.byteLength) } : {}),
      },
      body: call.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(call.timeoutMs ?? wings.options.timeoutMs ?? 15_000),
    })
  } catch (error) {
    throw fail((error as Error).message)
  }
  if (response.ok) return response
  const text = await response.text().catch(() => '')
  let message: unknown
  try {
    message = (JSON.parse(text) as { error?: unknown }).error
  } catch {
    message = undefined
  }
  if ((PASSED_THROUGH as readonly number[]).includes(response.status) && typeof message === 'string')
    throw new HttpError(response.status, message)
  throw new WingsUnreachable(wings.target.name, 'status', `${call.method} ${url.pathname}: status ${response.status}`)
}

/** The file viewer's size cap (`server.max_file_manager_view_size`, default 10 MiB). */
export const viewLimit = (settings: SettingsSnapshot) => settings.get('server.max_file_manager_view_size')

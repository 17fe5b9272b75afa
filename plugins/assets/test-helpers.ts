import { decode, type TestApp, type TestResponse } from 'hatchery/testing'

export interface Part {
  /** The part's `filename`, sent as is (quotes and backslashes escaped); absent: a plain field. */
  filename?: string
  data: string | Uint8Array
  type?: string
  field?: string
}

const BOUNDARY = '----hatchery-assets-test'

/** A multipart/form-data body written by hand, so that any file name can be sent. */
export function multipartBody(parts: Part[]): Uint8Array {
  const chunks: Uint8Array[] = []
  const text = (s: string) => chunks.push(new TextEncoder().encode(s))
  for (const p of parts) {
    const name = `name="${p.field ?? 'files'}"`
    const filename = p.filename === undefined ? '' : `; filename="${p.filename.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
    text(`--${BOUNDARY}\r\nContent-Disposition: form-data; ${name}${filename}\r\n`)
    if (p.filename !== undefined) text(`Content-Type: ${p.type ?? 'application/octet-stream'}\r\n`)
    text('\r\n')
    chunks.push(typeof p.data === 'string' ? new TextEncoder().encode(p.data) : p.data)
    text('\r\n')
  }
  text(`--${BOUNDARY}--\r\n`)
  return Buffer.concat(chunks)
}

/** `PUT /api/admin/assets` with these parts. */
export async function upload(
  t: TestApp,
  parts: Part[],
  who: { cookie?: string; token?: string },
  directory?: string,
): Promise<TestResponse> {
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, accept: 'application/json' }
  if (who.cookie) headers.cookie = who.cookie
  if (who.token) headers.authorization = `Bearer ${who.token}`
  const query = directory === undefined ? '' : `?directory=${encodeURIComponent(directory)}`
  const res = await t.handle(
    new Request(`http://localhost/api/admin/assets${query}`, { method: 'PUT', headers, body: multipartBody(parts) }),
  )
  const { body, text } = await decode(res)
  return { status: res.status, headers: res.headers, body, text }
}

export const file = (filename: string, data: string | Uint8Array = 'x', type?: string): Part => ({ filename, data, type })

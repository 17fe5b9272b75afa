import { BadRequest, readRawBody } from 'hatchery'

const HEADER_END = Buffer.from('\r\n\r\n')

/** Whether the header block of some part holds a control character other than CR and LF. */
function controlInPartHeaders(body: Buffer, boundary: string): boolean {
  const marker = Buffer.from(`--${boundary}`)
  for (let at = body.indexOf(marker); at !== -1; at = body.indexOf(marker, at + marker.length)) {
    const end = body.indexOf(HEADER_END, at)
    if (end === -1) break
    for (let i = at + marker.length; i < end; i++) {
      const c = body[i]
      if ((c < 0x20 && c !== 0x0d && c !== 0x0a) || c === 0x7f) return true
    }
  }
  return false
}

/**
 * The parts of a `multipart/form-data` request body of at most `limit` bytes (413 beyond): a
 * `File` per file part, a string per plain field. 400 for another content type, a malformed
 * body, or a control character in a part's headers (Bun's parser would cut a file name at a NUL
 * and store what precedes it).
 */
export async function readMultipart(request: Request, limit: number): Promise<(File | string)[]> {
  const type = request.headers.get('content-type') ?? ''
  const boundary = /^multipart\/form-data\s*;.*\bboundary="?([^";]+)"?/i.exec(type)?.[1]
  if (!boundary) throw new BadRequest('invalid payload: expected multipart/form-data')
  const bytes = await readRawBody(request, limit)
  if (controlInPartHeaders(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), boundary))
    throw new BadRequest('invalid file name')
  try {
    const form = await new Response(bytes, { headers: { 'content-type': type } }).formData()
    return [...form.values()] as (File | string)[]
  } catch {
    throw new BadRequest('invalid payload: malformed multipart body')
  }
}

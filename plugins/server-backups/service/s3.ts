import { createHash, createHmac } from 'node:crypto'
import type { StoredConfigs } from '../../backup-configurations'

export type S3Settings = NonNullable<StoredConfigs['s3']>

const enc = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()

/** The object's URL: `<endpoint>/<bucket>/<key>` with `path_style`, else `<bucket>.<endpoint host>/<key>`. */
function objectUrl(s3: S3Settings, key: string): URL {
  const base = new URL(s3.endpoint)
  const path = key.split('/').map(enc).join('/')
  if (s3.path_style) return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}/${enc(s3.bucket)}/${path}`)
  return new URL(`${base.protocol}//${s3.bucket}.${base.host}${base.pathname.replace(/\/+$/, '')}/${path}`)
}

/**
 * A presigned URL (AWS Signature Version 4, query authentication) for `method` on `key`, valid
 * `seconds`; `query` adds parameters (`uploadId`, `partNumber`, `uploads`) to the signed request.
 * @example const url = presign(s3, 'GET', 'backups/x.tar.gz', 900)
 */
export function presign(
  s3: S3Settings,
  method: string,
  key: string,
  seconds: number,
  query: Record<string, string> = {},
  now = new Date(),
): string {
  const url = objectUrl(s3, key)
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = stamp.slice(0, 8)
  const scope = `${day}/${s3.region}/s3/aws4_request`
  const params: Record<string, string> = {
    ...query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${s3.access_key}/${scope}`,
    'X-Amz-Date': stamp,
    'X-Amz-Expires': String(seconds),
    'X-Amz-SignedHeaders': 'host',
  }
  const canonicalQuery = Object.keys(params)
    .sort()
    .map((k) => `${enc(k)}=${enc(params[k])}`)
    .join('&')
  const canonical = [method, url.pathname, canonicalQuery, `host:${url.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  const key4 = hmac(hmac(hmac(hmac(`AWS4${s3.secret_key}`, day), s3.region), 's3'), 'aws4_request')
  const signature = createHmac('sha256', key4).update(toSign).digest('hex')
  return `${url.origin}${url.pathname}?${canonicalQuery}&X-Amz-Signature=${signature}`
}

async function signed(s3: S3Settings, method: string, key: string, query: Record<string, string>, body?: string): Promise<string> {
  const response = await fetch(presign(s3, method, key, 300, query), { method, body, signal: AbortSignal.timeout(15_000) })
  const text = await response.text()
  if (!response.ok) throw new Error(`S3 ${method} answered ${response.status}: ${text.slice(0, 200)}`)
  return text
}

/** Starts a multipart upload of `key`; its upload id. */
export async function createMultipartUpload(s3: S3Settings, key: string): Promise<string> {
  const text = await signed(s3, 'POST', key, { uploads: '' })
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(text)?.[1]
  if (!id) throw new Error('S3 answered no UploadId')
  return id
}

/** Completes the upload from the parts Wings reports. */
export async function completeMultipartUpload(
  s3: S3Settings,
  key: string,
  uploadId: string,
  parts: { etag: string; part_number: number }[],
) {
  const xml = parts
    .sort((a, b) => a.part_number - b.part_number)
    .map((p) => `<Part><PartNumber>${p.part_number}</PartNumber><ETag>${p.etag.replace(/[<&>]/g, '')}</ETag></Part>`)
    .join('')
  await signed(s3, 'POST', key, { uploadId }, `<CompleteMultipartUpload>${xml}</CompleteMultipartUpload>`)
}

export const abortMultipartUpload = (s3: S3Settings, key: string, uploadId: string) => signed(s3, 'DELETE', key, { uploadId })

export const deleteObject = (s3: S3Settings, key: string) => signed(s3, 'DELETE', key, {})

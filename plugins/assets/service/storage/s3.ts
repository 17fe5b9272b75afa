import { S3Client } from 'bun'
import { assertKey, byKey, joinUrl, StorageError, type Storage, type StorageEntry } from './types'

/** The `s3` variant of the `storage_driver` setting, secrets decrypted. */
export interface S3Settings {
  public_url: string
  access_key?: string | null
  secret_key?: string | null
  bucket: string
  region: string
  endpoint: string
  path_style: boolean
}

/**
 * The endpoint Bun's client is given: path style keeps it (`https://host/bucket/key`); virtual
 * hosted style puts the bucket in the host name (`https://bucket.host/key`), as AWS does.
 */
export function s3Endpoint(settings: Pick<S3Settings, 'endpoint' | 'bucket' | 'path_style'>): string {
  if (settings.path_style) return settings.endpoint
  const url = new URL(settings.endpoint)
  url.hostname = `${settings.bucket}.${url.hostname}`
  return url.toString().replace(/\/+$/, '')
}

/** What a failed S3 call says to the caller: the service's error code, never its credentials. */
function failure(e: unknown): StorageError {
  const err = e as { name?: string; code?: string }
  if (err?.name === 'S3Error' && err.code) return new StorageError(err.code)
  return new StorageError(
    err?.code === 'ConnectionRefused' || err?.code === 'ECONNREFUSED' ? 'connection refused' : 'the storage service cannot be reached',
  )
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    throw failure(e)
  }
}

/**
 * An S3-compatible bucket through Bun's built-in client (AWS, R2, MinIO, …). Directories are
 * key prefixes: they exist while a file is beneath them.
 */
export class S3Storage implements Storage {
  readonly driver = 's3' as const
  private client: S3Client

  constructor(
    private readonly settings: S3Settings,
    private readonly pageSize = 1000,
  ) {
    this.client = new S3Client({
      accessKeyId: settings.access_key ?? undefined,
      secretAccessKey: settings.secret_key ?? undefined,
      bucket: settings.bucket,
      region: settings.region,
      endpoint: s3Endpoint(settings),
      virtualHostedStyle: !settings.path_style,
    })
  }

  async write(key: string, data: Blob | Uint8Array | string, options: { contentType?: string } = {}): Promise<number> {
    assertKey(key)
    return call(() => this.client.write(key, data, { type: options.contentType }))
  }

  async read(key: string): Promise<Blob | null> {
    assertKey(key)
    return (await call(() => this.client.exists(key))) ? this.client.file(key) : null
  }

  async stat(key: string): Promise<StorageEntry | null> {
    assertKey(key)
    if (!(await call(() => this.client.exists(key)))) return null
    const info = await call(() => this.client.stat(key))
    return { key, directory: false, size: info.size, modified: info.lastModified }
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key)
    if (!(await call(() => this.client.exists(key)))) return false
    await call(() => this.client.delete(key))
    return true
  }

  async blocked(key: string): Promise<string | null> {
    assertKey(key)
    return null
  }

  /** Every page of a listing, following continuation tokens. */
  private async *pages(prefix: string, delimiter?: string) {
    let continuationToken: string | undefined
    do {
      const page = await call(() => this.client.list({ prefix, delimiter, maxKeys: this.pageSize, continuationToken }))
      yield page
      continuationToken = page.isTruncated ? page.nextContinuationToken : undefined
    } while (continuationToken)
  }

  async list(directory: string): Promise<StorageEntry[]> {
    const prefix = directory ? `${assertKey(directory)}/` : ''
    const dirs: StorageEntry[] = []
    const files: StorageEntry[] = []
    for await (const page of this.pages(prefix, '/')) {
      for (const p of page.commonPrefixes ?? []) dirs.push({ key: p.prefix.replace(/\/+$/, ''), directory: true, size: 0, modified: null })
      for (const o of page.contents ?? []) {
        if (o.key === prefix || o.key.endsWith('/')) continue
        files.push({ key: o.key, directory: false, size: o.size ?? 0, modified: o.lastModified ? new Date(o.lastModified) : null })
      }
    }
    return [...dirs.sort(byKey), ...files.sort(byKey)]
  }

  async *walk(directory: string, limit: number): AsyncGenerator<StorageEntry> {
    const prefix = directory ? `${assertKey(directory)}/` : ''
    const seenDirs = new Set<string>()
    let seen = 0
    for await (const page of this.pages(prefix)) {
      for (const o of page.contents ?? []) {
        if (o.key.endsWith('/')) continue
        // Directories are the prefixes of the keys found beneath `directory`.
        const parts = o.key.slice(prefix.length).split('/')
        for (let i = 1; i < parts.length; i++) {
          const key = prefix + parts.slice(0, i).join('/')
          if (seenDirs.has(key)) continue
          seenDirs.add(key)
          if (++seen > limit) return
          yield { key, directory: true, size: 0, modified: null }
        }
        if (++seen > limit) return
        yield { key: o.key, directory: false, size: o.size ?? 0, modified: o.lastModified ? new Date(o.lastModified) : null }
      }
    }
  }

  url(key: string): string {
    return joinUrl(this.settings.public_url, key)
  }
}

import { BadRequest } from 'hatchery'

/** Longest name of one file or directory, in UTF-8 bytes (the usual file-system limit). */
export const MAX_SEGMENT_BYTES = 255
/** Deepest directory an asset may live in. */
export const MAX_DEPTH = 16
/** Longest asset name (`dir/sub/file`), in UTF-8 bytes: S3 keys stop at 1024 with their prefix. */
export const MAX_NAME_BYTES = 1000

const CONTROL = /[\u0000-\u001f\u007f]/
const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

/**
 * One path segment as stored: not empty, not `.` or `..`, no `/` or `\`, no control character
 * (NUL included), well-formed Unicode, at most 255 bytes.
 */
export function isSegment(segment: string): boolean {
  return (
    segment !== '' &&
    segment !== '.' &&
    segment !== '..' &&
    !segment.includes('/') &&
    !segment.includes('\\') &&
    !CONTROL.test(segment) &&
    segment.isWellFormed() &&
    bytes(segment) <= MAX_SEGMENT_BYTES
  )
}

/** A relative `a/b/c` path whose every segment is valid, `maxSegments` deep at most; never absolute. */
export function isRelativePath(path: string, maxSegments: number): boolean {
  if (path === '' || path.startsWith('/') || bytes(path) > MAX_NAME_BYTES) return false
  const segments = path.split('/')
  return segments.length <= maxSegments && segments.every(isSegment)
}

/**
 * The `directory` of a request: '' is the assets root; trailing slashes are ignored, a leading
 * one (an absolute path) is not accepted. 400 `invalid directory path` otherwise.
 */
export function parseDirectory(raw: string | undefined): string {
  const directory = (raw ?? '').replace(/\/+$/, '')
  if ((raw ?? '').startsWith('/') || (directory !== '' && !isRelativePath(directory, MAX_DEPTH)))
    throw new BadRequest('invalid directory path')
  return directory
}

/**
 * The stored name of an uploaded file: the last segment of the name the client sent (a browser
 * sends `folder/file.png` for a folder upload; the file lands in the current directory, as in
 * the reference). A name with a backslash, a control character, `.` or `..`, or one too long
 * is 400 `invalid file name`.
 */
export function uploadName(directory: string, filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1)
  if (filename.includes('\\') || !isSegment(base)) throw new BadRequest('invalid file name')
  const name = directory ? `${directory}/${base}` : base
  if (bytes(name) > MAX_NAME_BYTES) throw new BadRequest('invalid file name')
  return name
}

/** An asset's full name (`dir/file`) as the delete route takes it; 400 `invalid file name` otherwise. */
export function parseAssetName(raw: string): string {
  if (!isRelativePath(raw, MAX_DEPTH + 1)) throw new BadRequest('invalid file name')
  return raw
}

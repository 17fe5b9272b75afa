/**
 * Recognises an avatar image by its bytes and reads its size from the headers (no decoding,
 * no re-encoding): PNG (IHDR), JPEG (the first SOF marker), WebP (VP8, VP8L or VP8X).
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp'

export interface ImageInfo {
  format: ImageFormat
  /** File extension to store under. */
  ext: 'png' | 'jpg' | 'webp'
  contentType: string
  width: number
  height: number
}

/** Why an image was refused; the message reads well after `image: `. */
export class ImageError extends Error {}

export const MIN_SIDE = 64
export const MAX_SIDE = 4096

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v)
const ascii = (b: Uint8Array, at: number, len: number) => (b.length >= at + len ? String.fromCharCode(...b.subarray(at, at + len)) : '')

/** Formats we recognise but do not take, so the answer can say which ones we do. */
function otherFormat(b: Uint8Array): string | null {
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'gif'
  if (ascii(b, 0, 2) === 'BM' && b.length >= 14) return 'bmp'
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff'
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00])) return 'ico'
  if (ascii(b, 4, 4) === 'ftyp') return 'avif/heif'
  if (startsWith(b, [0xff, 0x0a]) || ascii(b, 4, 8) === 'JXL \r\n\x87\n') return 'jpeg xl'
  if (ascii(b, 0, 4) === 'qoif') return 'qoi'
  if (/^\s*(<\?xml|<svg)/i.test(ascii(b, 0, Math.min(b.length, 64)))) return 'svg'
  return null
}

function png(b: Uint8Array): { width: number; height: number } {
  // Signature, then the first chunk must be IHDR with 13 bytes of data.
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (b.length < 33 || view.getUint32(8) !== 13 || ascii(b, 12, 4) !== 'IHDR') throw new ImageError('unable to decode')
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

// SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc

function jpeg(b: Uint8Array): { width: number; height: number } {
  let i = 2
  while (i < b.length) {
    if (b[i] !== 0xff) throw new ImageError('unable to decode')
    while (b[i] === 0xff) i++ // fill bytes
    const marker = b[i++]
    if (marker === undefined) break
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue // no length
    if (marker === 0xd9 || marker === 0xda) break // end of image or start of scan before any frame
    if (i + 2 > b.length) break
    const length = (b[i] << 8) | b[i + 1]
    if (length < 2) break
    if (isSof(marker)) {
      if (length < 8 || i + 7 > b.length) break
      const height = (b[i + 3] << 8) | b[i + 4]
      const width = (b[i + 5] << 8) | b[i + 6]
      if (height === 0) break // height given later by DNL: not supported
      return { width, height }
    }
    i += length
  }
  throw new ImageError('unable to decode')
}

function webp(b: Uint8Array): { width: number; height: number } {
  const chunk = ascii(b, 12, 4)
  const d = 20 // chunk data
  if (chunk === 'VP8 ') {
    // Frame tag (3 bytes, bit 0 = 0 for a key frame), start code 9d 01 2a, then 14-bit sizes.
    if (b.length < d + 10 || (b[d] & 1) !== 0 || !startsWith(b, [0x9d, 0x01, 0x2a], d + 3)) throw new ImageError('unable to decode')
    return { width: ((b[d + 7] << 8) | b[d + 6]) & 0x3fff, height: ((b[d + 9] << 8) | b[d + 8]) & 0x3fff }
  }
  if (chunk === 'VP8L') {
    // Signature 0x2f, then width−1 and height−1 in 14 bits each, little-endian bit order.
    if (b.length < d + 5 || b[d] !== 0x2f) throw new ImageError('unable to decode')
    const bits = b[d + 1] | (b[d + 2] << 8) | (b[d + 3] << 16) | (b[d + 4] << 24)
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === 'VP8X') {
    // Flags (1), reserved (3), canvas width−1 and height−1 in 24 bits each.
    if (b.length < d + 10) throw new ImageError('unable to decode')
    const u24 = (at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)
    return { width: u24(d + 4) + 1, height: u24(d + 7) + 1 }
  }
  throw new ImageError('unable to decode')
}

/**
 * Identifies an avatar upload and checks its size (64..4096 px on each side).
 * @example inspectImage(bytes) // { format: 'png', ext: 'png', contentType: 'image/png', width: 256, height: 256 }
 */
export function inspectImage(bytes: Uint8Array): ImageInfo {
  if (bytes.length === 0) throw new ImageError('payload cannot be empty')
  let info: ImageInfo
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    info = { format: 'png', ext: 'png', contentType: 'image/png', ...png(bytes) }
  } else if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    info = { format: 'jpeg', ext: 'jpg', contentType: 'image/jpeg', ...jpeg(bytes) }
  } else if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    info = { format: 'webp', ext: 'webp', contentType: 'image/webp', ...webp(bytes) }
  } else if (otherFormat(bytes)) {
    throw new ImageError('only PNG, JPEG, and WebP formats are allowed')
  } else {
    throw new ImageError('unrecognized image format')
  }
  const ok = (n: number) => n >= MIN_SIDE && n <= MAX_SIDE
  if (!ok(info.width) || !ok(info.height)) {
    throw new ImageError(`invalid resolution, dimensions must not be smaller than ${MIN_SIDE}px and must not exceed ${MAX_SIDE}px`)
  }
  return info
}

/** Content type of a stored avatar by its extension. */
export const CONTENT_TYPES: Record<ImageInfo['ext'], string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' }

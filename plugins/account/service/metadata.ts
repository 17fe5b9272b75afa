import { ImageError, type ImageFormat } from './image'

/**
 * Removes metadata an avatar must not publish (EXIF with GPS position and camera serials, XMP,
 * IPTC, comments, text chunks) without touching the pixels: avatars are served to anyone.
 * Structure errors are `ImageError('unable to decode')`.
 */
export function stripMetadata(bytes: Uint8Array, format: ImageFormat): Uint8Array {
  switch (format) {
    case 'jpeg':
      return stripJpeg(bytes)
    case 'png':
      return stripPng(bytes)
    case 'webp':
      return stripWebp(bytes)
  }
}

const broken = () => new ImageError('unable to decode')

// APP1 (Exif, XMP), APP13 (Photoshop/IPTC), COM (comments). APP0 (JFIF), APP2 (ICC), APP14 (Adobe) stay.
const JPEG_DROP = new Set([0xe1, 0xed, 0xfe])

function stripJpeg(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [b.subarray(0, 2)]
  let i = 2
  for (;;) {
    if (i + 4 > b.length || b[i] !== 0xff) throw broken()
    let m = i + 1
    while (b[m] === 0xff) m++
    const marker = b[m]
    if (marker === 0xda || marker === 0xd9) {
      // Start of scan (or end): the entropy-coded rest is copied as is.
      parts.push(b.subarray(i))
      break
    }
    if (m + 3 > b.length) throw broken()
    const length = (b[m + 1] << 8) | b[m + 2]
    const end = m + 1 + length
    if (length < 2 || end > b.length) throw broken()
    if (!JPEG_DROP.has(marker)) parts.push(b.subarray(i, end))
    i = end
  }
  return Buffer.concat(parts)
}

const PNG_DROP = new Set(['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME'])

function stripPng(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const parts: Uint8Array[] = [b.subarray(0, 8)]
  let i = 8
  for (;;) {
    if (i + 12 > b.length) throw broken()
    const length = view.getUint32(i)
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7])
    const end = i + 12 + length
    if (end > b.length) throw broken()
    if (!PNG_DROP.has(type)) parts.push(b.subarray(i, end))
    i = end
    if (type === 'IEND') break
  }
  return Buffer.concat(parts)
}

const WEBP_DROP = new Set(['EXIF', 'XMP '])
const VP8X_EXIF = 0x08
const VP8X_XMP = 0x04

function stripWebp(b: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const parts: Uint8Array[] = []
  let i = 12
  while (i < b.length) {
    if (i + 8 > b.length) throw broken()
    const type = String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3])
    const size = view.getUint32(i + 4, true)
    const end = i + 8 + size + (size & 1)
    if (end > b.length + (size & 1)) throw broken()
    if (type === 'VP8X') {
      const chunk = new Uint8Array(b.subarray(i, Math.min(end, b.length)))
      chunk[8] &= ~(VP8X_EXIF | VP8X_XMP)
      parts.push(chunk)
    } else if (!WEBP_DROP.has(type)) parts.push(b.subarray(i, Math.min(end, b.length)))
    i = end
  }
  const body = Buffer.concat(parts)
  const header = new Uint8Array(12)
  header.set(b.subarray(0, 12))
  new DataView(header.buffer).setUint32(4, body.length + 4, true)
  return Buffer.concat([header, body])
}

import { describe, expect, test } from 'bun:test'
import { inspectImage } from './image'
import { stripMetadata } from './metadata'
import { jpeg, png, webp } from '../test-helpers'

const SECRET = 'GPS 48.8584N 2.2945E serial 0042'
const bytesOf = (s: string) => [...s].map((c) => c.charCodeAt(0))
const contains = (b: Uint8Array, s: string) => Buffer.from(b).includes(Buffer.from(s))
const u32be = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const u32le = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]

function withJpegSegments(image: Uint8Array, segments: number[][]): Uint8Array {
  // After SOI: insert segments, then the rest (APP0, tables, frame, scan).
  return new Uint8Array([...image.subarray(0, 2), ...segments.flat(), ...image.subarray(2)])
}
const jpegSegment = (marker: number, data: number[]) => [0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 255, ...data]

function withPngChunks(image: Uint8Array, chunks: [string, number[]][]): Uint8Array {
  const encoded = chunks.flatMap(([type, data]) => [...u32be(data.length), ...bytesOf(type), ...data, 0, 0, 0, 0])
  // After the signature and IHDR (8 + 25 bytes).
  return new Uint8Array([...image.subarray(0, 33), ...encoded, ...image.subarray(33)])
}

function withWebpChunks(image: Uint8Array, chunks: [string, number[]][], flags: number): Uint8Array {
  const copy = new Uint8Array(image)
  copy[20] |= flags
  const encoded = chunks.flatMap(([type, data]) => [...bytesOf(type), ...u32le(data.length), ...data, ...(data.length & 1 ? [0] : [])])
  const body = [...copy.subarray(8), ...encoded]
  return new Uint8Array([...bytesOf('RIFF'), ...u32le(body.length), ...body])
}

describe('stripMetadata', () => {
  test('JPEG: EXIF, XMP, IPTC and comments go; JFIF, tables, frame and scan stay', () => {
    const original = jpeg(320, 200)
    const tagged = withJpegSegments(original, [
      jpegSegment(0xe1, [...bytesOf('Exif\0\0'), ...bytesOf(SECRET)]),
      jpegSegment(0xe1, [...bytesOf('http://ns.adobe.com/xap/1.0/\0'), ...bytesOf(SECRET)]),
      jpegSegment(0xed, bytesOf(`Photoshop 3.0\0${SECRET}`)),
      jpegSegment(0xfe, bytesOf(SECRET)),
    ])
    const clean = stripMetadata(tagged, 'jpeg')
    expect(contains(tagged, SECRET)).toBe(true)
    expect(contains(clean, SECRET)).toBe(false)
    expect(Buffer.from(clean).equals(Buffer.from(original))).toBe(true)
    expect(inspectImage(clean)).toMatchObject({ format: 'jpeg', width: 320, height: 200 })
  })

  test('PNG: text, EXIF and time chunks go; the image chunks stay', () => {
    const original = png(100, 80)
    const tagged = withPngChunks(original, [
      ['tEXt', bytesOf(`Comment\0${SECRET}`)],
      ['eXIf', bytesOf(SECRET)],
      ['iTXt', bytesOf(`XML:com.adobe.xmp\0\0\0\0\0${SECRET}`)],
      ['tIME', [7, 234, 1, 1, 0, 0, 0]],
    ])
    const clean = stripMetadata(tagged, 'png')
    expect(contains(clean, SECRET)).toBe(false)
    expect(Buffer.from(clean).equals(Buffer.from(original))).toBe(true)
    expect(inspectImage(clean)).toMatchObject({ format: 'png', width: 100, height: 80 })
  })

  test('WebP: EXIF and XMP chunks go, their VP8X flags are cleared, the RIFF size is fixed', () => {
    const tagged = withWebpChunks(
      webp(128, 96, 'VP8X'),
      [
        ['EXIF', bytesOf(SECRET)],
        ['XMP ', bytesOf(SECRET + '!')],
      ],
      0x08 | 0x04,
    )
    const clean = stripMetadata(tagged, 'webp')
    expect(contains(clean, SECRET)).toBe(false)
    expect(clean[20] & 0x0c).toBe(0)
    expect(new DataView(clean.buffer, clean.byteOffset).getUint32(4, true)).toBe(clean.length - 8)
    expect(inspectImage(clean)).toMatchObject({ format: 'webp', width: 128, height: 96 })
  })

  test('truncated structures are refused', () => {
    const tagged = withJpegSegments(jpeg(100, 100), [jpegSegment(0xe1, bytesOf(SECRET))])
    expect(() => stripMetadata(tagged.subarray(0, 10), 'jpeg')).toThrow('unable to decode')
    expect(() => stripMetadata(png(100, 100).subarray(0, 40), 'png')).toThrow('unable to decode')
  })
})

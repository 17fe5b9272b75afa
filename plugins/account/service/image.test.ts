import { describe, expect, test } from 'bun:test'
import { ImageError, inspectImage } from './image'
import { jpeg, png, webp } from '../test-helpers'

const refused = (bytes: Uint8Array) => {
  try {
    inspectImage(bytes)
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError)
    return (e as Error).message
  }
  throw new Error('expected the image to be refused')
}
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)))

describe('inspectImage', () => {
  test('reads PNG sizes from IHDR', () => {
    expect(inspectImage(png(64, 4096))).toEqual({ format: 'png', ext: 'png', contentType: 'image/png', width: 64, height: 4096 })
  })

  test('reads JPEG sizes from baseline and progressive frame headers, past fill bytes', () => {
    expect(inspectImage(jpeg(300, 200))).toMatchObject({ format: 'jpeg', ext: 'jpg', contentType: 'image/jpeg', width: 300, height: 200 })
    expect(inspectImage(jpeg(128, 96, { sof: 0xc2 }))).toMatchObject({ width: 128, height: 96 })
    expect(inspectImage(jpeg(100, 100, { fill: true }))).toMatchObject({ width: 100, height: 100 })
  })

  test('reads WebP sizes from VP8, VP8L and VP8X', () => {
    expect(inspectImage(webp(320, 240, 'VP8 '))).toEqual({
      format: 'webp',
      ext: 'webp',
      contentType: 'image/webp',
      width: 320,
      height: 240,
    })
    expect(inspectImage(webp(4096, 64, 'VP8L'))).toMatchObject({ width: 4096, height: 64 })
    expect(inspectImage(webp(1000, 999, 'VP8X'))).toMatchObject({ width: 1000, height: 999 })
  })

  test('refuses sides under 64 or over 4096 pixels', () => {
    const message = 'invalid resolution, dimensions must not be smaller than 64px and must not exceed 4096px'
    for (const image of [png(63, 100), png(100, 4097), jpeg(64, 63), webp(4097, 100, 'VP8X'), webp(10, 10, 'VP8L'), png(0, 0)])
      expect(refused(image)).toBe(message)
  })

  test('names the formats it takes when given another known one', () => {
    const gif = bytes('GIF89a', [64, 0, 64, 0, 0, 0, 0])
    const bmp = bytes('BM', new Array(40).fill(0))
    const tiff = bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0])
    const avif = bytes([0, 0, 0, 0x1c], 'ftypavif', new Array(8).fill(0))
    const svg = bytes('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"></svg>')
    for (const image of [gif, bmp, tiff, avif, svg]) expect(refused(image)).toBe('only PNG, JPEG, and WebP formats are allowed')
  })

  test('refuses empty bodies, unknown bytes and headers that cannot be read', () => {
    expect(refused(new Uint8Array())).toBe('payload cannot be empty')
    expect(refused(bytes('hello, world'))).toBe('unrecognized image format')
    expect(refused(png(100, 100).subarray(0, 20))).toBe('unable to decode')
    expect(refused(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IDAT', new Array(20).fill(0)))).toBe(
      'unable to decode',
    )
    expect(refused(jpeg(100, 100, { frame: false }))).toBe('unable to decode') // scan before any frame header
    expect(refused(jpeg(100, 100).subarray(0, 30))).toBe('unable to decode')
    expect(refused(jpeg(100, 0))).toBe('unable to decode') // height deferred to a DNL marker
    expect(refused(bytes([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toBe('unable to decode')
    expect(refused(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8Z', new Array(20).fill(0)))).toBe('unable to decode')
    expect(refused(webp(100, 100, 'VP8 ').subarray(0, 24))).toBe('unable to decode')
    const interframe = webp(100, 100, 'VP8 ')
    interframe[20] |= 1
    expect(refused(interframe)).toBe('unable to decode')
  })
})

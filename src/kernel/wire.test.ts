import { describe, expect, test } from 'bun:test'
import { Packr, addExtension } from 'msgpackr'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { CONTENT_TYPES } from './negotiate'
import {
  FieldError,
  MAX_DEPTH,
  PayloadError,
  decodeJson,
  decodeMsgpack,
  decodeXml,
  encode,
  encodeAnswer,
  isCleanText,
  stamped,
  msgpackStringsAreUtf8,
  timestamp,
  toWire,
  toXml,
  wireReady,
} from './wire'

function payloadError(fn: () => unknown): PayloadError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(PayloadError)
    return e as PayloadError
  }
  throw new Error('expected a PayloadError')
}

const wellFormed = (xml: string) => expect(XMLValidator.validate(xml)).toBe(true)
const packr = new Packr({ useRecords: false })
const nested = (depth: number, leaf: unknown = 1): unknown => {
  let v = leaf
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

describe('timestamp / toWire', () => {
  test('dates are RFC 3339 UTC without .000, with milliseconds when present', () => {
    expect(timestamp(new Date('2025-08-22T12:04:05.000Z'))).toBe('2025-08-22T12:04:05Z')
    expect(timestamp(new Date('2025-08-22T12:04:05.120Z'))).toBe('2025-08-22T12:04:05.120Z')
    expect(toWire({ at: new Date('2025-08-22T14:04:05+02:00') })).toEqual({ at: '2025-08-22T12:04:05Z' })
  })

  test('wireReady converts once, freezes, and is answered as is (also inside a new object)', () => {
    const doc = wireReady({ app: { at: new Date(0), n: 1n, skip: undefined }, list: [{ x: 1 }] })
    expect(doc).toEqual({ app: { at: '1970-01-01T00:00:00Z', n: 1 }, list: [{ x: 1 }] } as never)
    expect(Object.isFrozen(doc) && Object.isFrozen(doc.app) && Object.isFrozen(doc.list[0])).toBe(true)
    expect(toWire(doc)).toBe(doc)
    const answer = toWire({ ...doc, time: new Date(1000) }) as Record<string, unknown>
    expect(answer.app).toBe(doc.app)
    expect(answer.time).toBe('1970-01-01T00:00:01Z')
  })

  test('bigints become numbers, or strings past 2^53', () => {
    expect(toWire({ a: 42n, b: 2n ** 64n, c: -(2n ** 60n) })).toEqual({ a: 42, b: '18446744073709551616', c: '-1152921504606846976' })
  })

  test('undefined fields are dropped; null stays; undefined in an array is null', () => {
    const out = toWire({ a: undefined, b: null, c: [undefined, 1], d: { e: undefined } }) as Record<string, unknown>
    expect(out).toEqual({ b: null, c: [null, 1], d: {} })
    expect('a' in out).toBe(false)
  })

  test('nested values are converted and binary becomes base64', () => {
    expect(toWire({ list: [{ at: new Date(0), n: 1n }], bytes: new Uint8Array([1, 2, 255]), s: 'x', t: true })).toEqual({
      list: [{ at: '1970-01-01T00:00:00Z', n: 1 }],
      bytes: 'AQL/',
      s: 'x',
      t: true,
    })
  })
})

describe('toXml', () => {
  test('one <Response> root, fields as children, no declaration', () => {
    expect(toXml({ a: 1, b: 'x', c: true })).toBe('<Response><a>1</a><b>x</b><c>true</c></Response>')
  })

  test('arrays repeat their element; an empty array writes nothing', () => {
    expect(toXml({ languages: ['en', 'de'], none: [] })).toBe('<Response><languages>en</languages><languages>de</languages></Response>')
  })

  test('null and empty string are empty elements', () => {
    expect(toXml({ a: null, b: '' })).toBe('<Response><a/><b/></Response>')
  })

  test('objects nest', () => {
    expect(toXml({ user: { name: 'x', roles: [{ id: 1 }, { id: 2 }] } })).toBe(
      '<Response><user><name>x</name><roles><id>1</id></roles><roles><id>2</id></roles></user></Response>',
    )
  })

  test('text is escaped', () => {
    const xml = toXml({ a: `<b> & "c" 'd'` })
    expect(xml).toBe(`<Response><a>&lt;b&gt; &amp; &quot;c&quot; 'd'</a></Response>`)
    wellFormed(xml)
  })

  test('keys that are not XML names become <entry key="…"> and stay well-formed', () => {
    const value = { 'Java 21': 'a', '1abc': 1, 'a:b': 2, xmlfoo: 3, XMLbar: 4, '': 5, 'q"<&>': 6, '-x': 7, é: 8 }
    const xml = toXml(value)
    wellFormed(xml)
    expect(xml).toContain('<entry key="Java 21">a</entry>')
    expect(xml).toContain('<entry key="1abc">1</entry>')
    expect(xml).toContain('<entry key="a:b">2</entry>')
    expect(xml).toContain('<entry key="xmlfoo">3</entry>')
    expect(xml).toContain('<entry key="XMLbar">4</entry>')
    expect(xml).toContain('<entry key="">5</entry>')
    expect(xml).toContain('<entry key="q&quot;&lt;&amp;&gt;">6</entry>')
    const parsed = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml)
    expect(parsed.Response.entry).toHaveLength(9)
  })

  test('non-name keys inside arrays, nulls and nested objects', () => {
    const xml = toXml({ images: { 'Java 21': ['a', 'b'], 'Java 8': null, 'x y': { 'z w': 1 } } })
    wellFormed(xml)
    expect(xml).toBe(
      '<Response><images><entry key="Java 21">a</entry><entry key="Java 21">b</entry><entry key="Java 8"/>' +
        '<entry key="x y"><entry key="z w">1</entry></entry></images></Response>',
    )
  })

  test('characters XML cannot carry become U+FFFD', () => {
    const xml = toXml({ a: 'x\u0000y\u0008z\u001f\uFFFE\uD800!', b: 'tab\tnewline\n' })
    wellFormed(xml)
    expect(xml).toBe('<Response><a>x\uFFFDy\uFFFDz\uFFFD\uFFFD\uFFFD!</a><b>tab\tnewline\n</b></Response>')
  })

  test('a surrogate pair is kept', () => {
    expect(toXml({ a: '🔑' })).toBe('<Response><a>🔑</a></Response>')
  })

  test('a top-level array or scalar still has one root', () => {
    expect(toXml([1, 2])).toBe('<Response><item>1</item><item>2</item></Response>')
    expect(toXml('a<b')).toBe('<Response>a&lt;b</Response>')
    expect(toXml(null)).toBe('<Response></Response>')
  })
})

describe('encode', () => {
  test('picks the body and Content-Type per format', () => {
    expect(encode({ a: 1 }, 'json')).toEqual({ body: '{"a":1}', type: CONTENT_TYPES.json })
    expect(encode({ a: 1 }, 'xml')).toEqual({ body: '<Response><a>1</a></Response>', type: CONTENT_TYPES.xml })
    const mp = encode({ a: 1, n: null }, 'msgpack')
    expect(mp.type).toBe(CONTENT_TYPES.msgpack)
    expect(packr.unpack(mp.body as Uint8Array)).toEqual({ a: 1, n: null })
  })
})

describe('encodeAnswer', () => {
  const unpack = (body: string | Uint8Array) => new Packr({ useRecords: false }).unpack(body as Uint8Array)

  test('a wire-ready document is encoded once per format and the same body served again', () => {
    const doc = wireReady({ user: { name: 'a', created: new Date('2026-01-02T03:04:05Z') } })
    const first = encodeAnswer(doc, 'json')
    expect(JSON.parse(first.body as string)).toEqual({ user: { name: 'a', created: '2026-01-02T03:04:05Z' } })
    expect(encodeAnswer(doc, 'json')).toBe(first)
    const packed = encodeAnswer(doc, 'msgpack')
    expect(unpack(packed.body)).toEqual({ user: { name: 'a', created: '2026-01-02T03:04:05Z' } })
    expect(encodeAnswer(doc, 'msgpack')).toBe(packed)
    expect(encodeAnswer(doc, 'xml').body).toContain('<name>a</name>')
  })

  test('other values are encoded on every call', () => {
    const value = { n: 1 }
    const first = encodeAnswer(value, 'json')
    value.n = 2
    expect(encodeAnswer(value, 'json').body).toBe('{"n":2}')
    expect(first.body).toBe('{"n":1}')
  })

  test('a stamped answer is its fields then its document, in every format', () => {
    const doc = wireReady({ a: 1, nested: { b: [1, 2] } })
    const json = encodeAnswer(stamped(doc, { time: 't1', n: null }), 'json')
    expect(json.type).toBe(CONTENT_TYPES.json)
    expect(json.body).toBe('{"time":"t1","n":null,"a":1,"nested":{"b":[1,2]}}')
    expect(JSON.parse(encodeAnswer(stamped(doc, { time: 't2' }), 'json').body as string)).toEqual({
      time: 't2',
      a: 1,
      nested: { b: [1, 2] },
    })
    expect(unpack(encodeAnswer(stamped(doc, { time: 't3' }), 'msgpack').body)).toEqual({ time: 't3', a: 1, nested: { b: [1, 2] } })
    expect(encodeAnswer(stamped(doc, { time: 't4' }), 'xml').body).toContain('<time>t4</time>')
    expect(encodeAnswer(stamped(wireReady({}), { time: 't5' }), 'json').body).toBe('{"time":"t5"}')
    expect(encodeAnswer(stamped(doc, {}), 'json').body).toBe('{"a":1,"nested":{"b":[1,2]}}')
  })

  test('a stamped field the document also has replaces it, never a duplicate key', () => {
    const doc = wireReady({ time: 'built', a: 1 })
    const body = encodeAnswer(stamped(doc, { time: 'now' }), 'json').body as string
    expect(body.match(/"time"/g)).toHaveLength(1)
    expect(JSON.parse(body)).toEqual({ time: 'now', a: 1 })
  })

  test('stamped refuses a document not made by wireReady', () => {
    expect(() => stamped({ a: 1 }, { time: 'x' })).toThrow('wireReady')
  })
})

describe('decodeXml', () => {
  test('the root name is ignored and children become string fields', () => {
    expect(decodeXml('<anything><name>bob</name><port>25565</port><on>true</on></anything>')).toEqual({
      name: 'bob',
      port: '25565',
      on: 'true',
    })
  })

  test('an empty body or an empty root is {}', () => {
    expect(decodeXml('')).toEqual({})
    expect(decodeXml('  \n')).toEqual({})
    expect(decodeXml('<root></root>')).toEqual({})
    expect(decodeXml('<root/>')).toEqual({})
  })

  test('repeated elements become arrays; empty elements are empty strings', () => {
    expect(decodeXml('<r><a>1</a><a>2</a><b/><c></c></r>')).toEqual({ a: ['1', '2'], b: '', c: '' })
  })

  test('nested elements become objects; text is trimmed; comments and declarations are skipped', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<r>\n  <!-- a & b -->\n  <user>\n    <name>  bob  </name>\n  </user>\n</r>'
    expect(decodeXml(xml)).toEqual({ user: { name: 'bob' } })
  })

  test('the five predefined entities and character references are decoded', () => {
    expect(decodeXml('<r><a>&lt;&gt;&amp;&quot;&apos;</a><b>&#65;&#x42;&#x1F511;&#00000067;</b><c attr="&amp;">x</c></r>')).toEqual({
      a: `<>&"'`,
      b: 'AB🔑C',
      c: 'x',
    })
  })

  test('entities are decoded once', () => {
    expect(decodeXml('<r><a>&amp;lt;</a></r>')).toEqual({ a: '&lt;' })
  })

  test('CDATA is literal text', () => {
    expect(decodeXml('<r><a><![CDATA[a &amp; <b>]]></a></r>')).toEqual({ a: 'a &amp; <b>' })
    expect(decodeXml('<r><a>x <![CDATA[&]]> y</a></r>')).toEqual({ a: 'x & y' })
    expect(decodeXml('<r><!-- <![CDATA[ --><a>&lt;</a><!-- ]]> --></r>')).toEqual({ a: '<' })
  })

  test.each([
    ['billion laughs', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'],
    ['an external entity', '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r><a>&xxe;</a></r>'],
    ['a bare DOCTYPE', '<!doctype r><r/>'],
    ['an ENTITY without DOCTYPE', '<r><!ENTITY x "y"></r>'],
  ])('%s is refused', (_, xml) => {
    expect(payloadError(() => decodeXml(xml)).message).toBe('DOCTYPE and ENTITY declarations are not allowed')
  })

  test.each(['&nbsp;', '&AMP;', '&lt1;', '&xxe;'])('undefined entity %s is refused', (entity) => {
    expect(payloadError(() => decodeXml(`<r><a>${entity}</a></r>`)).message).toStartWith('undefined entity')
  })

  test.each(['&#0;', '&#x1;', '&#xD800;', '&#xFFFE;', '&#x110000;', '&#99999999;'])(
    'character reference %s to a non-character is refused',
    (ref) => {
      expect(() => decodeXml(`<r><a>${ref}</a></r>`)).toThrow(PayloadError)
    },
  )

  test('a bare & is refused', () => {
    expect(() => decodeXml('<r><a>a & b</a></r>')).toThrow(PayloadError)
    expect(() => decodeXml('<r><a>a &amp b</a></r>')).toThrow(PayloadError)
  })

  test.each([
    ['unclosed', '<r><a>1</r>'],
    ['two roots', '<r/><s/>'],
    ['text only', 'hello'],
    ['bad attribute', '<r a=1></r>'],
  ])('malformed (%s) is refused', (_, xml) => {
    expect(() => decodeXml(xml)).toThrow(PayloadError)
  })

  test(`nesting deeper than ${MAX_DEPTH} levels is refused, even very deep`, () => {
    const deep = (n: number) => '<r>' + '<a>'.repeat(n) + 'x' + '</a>'.repeat(n) + '</r>'
    expect(() => decodeXml(deep(MAX_DEPTH))).not.toThrow()
    expect(payloadError(() => decodeXml(deep(MAX_DEPTH + 2))).message).toBe(`nesting deeper than ${MAX_DEPTH} levels`)
    expect(() => decodeXml(deep(100_000))).toThrow(PayloadError)
  })

  test('prototype keys are refused, as elements or entry keys', () => {
    expect(() => decodeXml('<r><__proto__><a>1</a></__proto__></r>')).toThrow(PayloadError)
    expect(payloadError(() => decodeXml('<r><entry key="__proto__"><a>1</a></entry></r>')).message).toBe('forbidden key "__proto__"')
    expect(() => decodeXml('<r><constructor>1</constructor></r>')).toThrow(PayloadError)
    expect(({} as any).a).toBeUndefined()
  })

  test('<entry key="…"> round trips keys that are not XML names', () => {
    const value = {
      'Java 21': 'ghcr.io/java:21',
      '1abc': 'x',
      'a:b': 'y',
      xmlfoo: 'z',
      ' padded ': 'p',
      'q"<&>': 'q',
      nested: { 'x y': ['1', '2'] },
    }
    expect(decodeXml(toXml(value))).toEqual(value)
  })

  test('an <entry> without a key is an ordinary field', () => {
    expect(decodeXml('<r><entry>1</entry></r>')).toEqual({ entry: '1' })
  })
})

describe('decodeMsgpack', () => {
  test('plain maps, arrays and scalars decode', () => {
    const value = { name: 'bob', port: 25565, ratio: 0.5, on: false, none: null, list: [1, 'two', { three: 3 }] }
    expect(decodeMsgpack(packr.pack(value))).toEqual(value)
  })

  test('an empty body is {}', () => {
    expect(decodeMsgpack(new Uint8Array())).toEqual({})
  })

  test('64-bit integers decode as numbers when safe, and are refused otherwise', () => {
    // 0xcf = uint64
    expect(decodeMsgpack(new Uint8Array([0xcf, 0, 0, 0, 1, 0, 0, 0, 0]))).toBe(2 ** 32)
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).message).toBe(
      'integer out of range',
    )
  })

  test('a standard timestamp becomes an RFC 3339 string', () => {
    expect(decodeMsgpack(packr.pack({ at: new Date('2024-01-02T03:04:05Z'), ms: new Date('2024-01-02T03:04:05.123Z') }))).toEqual({
      at: '2024-01-02T03:04:05Z',
      ms: '2024-01-02T03:04:05.123Z',
    })
    // timestamp 32: fixext4, type -1, seconds since the epoch
    expect(decodeMsgpack(new Uint8Array([0xd6, 0xff, 0x00, 0x00, 0x00, 0x3c]))).toBe('1970-01-01T00:01:00Z')
  })

  test('an unknown extension type is refused', () => {
    // fixext1, type 1, one data byte
    expect(() => decodeMsgpack(new Uint8Array([0xd4, 0x01, 0x00]))).toThrow(PayloadError)
    expect(() => decodeMsgpack(new Uint8Array([0x81, 0xa1, 0x61, 0xd4, 0x01, 0x00]))).toThrow(PayloadError)
  })

  test('a registered extension type is refused', () => {
    class Point {
      constructor(public x: number) {}
    }
    addExtension({ Class: Point, type: 0x5a, write: (p: Point) => p.x, read: (x: number) => new Point(x) })
    const bytes = new Packr({ useRecords: false }).pack({ p: new Point(1) })
    expect(payloadError(() => decodeMsgpack(bytes)).message).toBe('unsupported extension or binary value')
  })

  test("msgpackr's own extensions (Set, Error, RegExp) are refused", () => {
    const more = new Packr({ useRecords: false, moreTypes: true })
    for (const v of [new Set([1]), new Error('x'), /x/]) {
      expect(() => decodeMsgpack(more.pack({ v }))).toThrow(PayloadError)
    }
  })

  test('binary is refused', () => {
    expect(() => decodeMsgpack(packr.pack({ b: Buffer.from('hi') }))).toThrow(PayloadError)
  })

  test('a depth bomb is refused', () => {
    expect(decodeMsgpack(packr.pack(nested(MAX_DEPTH)))).toEqual(nested(MAX_DEPTH))
    expect(payloadError(() => decodeMsgpack(packr.pack(nested(MAX_DEPTH + 1)))).message).toBe(`nesting deeper than ${MAX_DEPTH} levels`)
    // 200 000 nested fixarray headers (0x91) around one int
    const bomb = new Uint8Array(200_001).fill(0x91)
    bomb[200_000] = 0x01
    expect(() => decodeMsgpack(bomb)).toThrow(PayloadError)
  })

  test('__proto__ and other prototype keys are refused, not renamed', () => {
    const key = [...Buffer.from('__proto__')]
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0x81, 0xa9, ...key, 0x81, 0xa1, 0x61, 0x01]))).message).toBe(
      'forbidden key "__proto__"',
    )
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0x81, 0xa9, ...key, 0x01]))).message).toBe('forbidden key "__proto__"')
    expect(() => decodeMsgpack(packr.pack({ a: { constructor: 1 } }))).toThrow(PayloadError)
    expect(({} as any).a).toBeUndefined()
  })

  test('integer keys become strings; other key types are refused', () => {
    expect(decodeMsgpack(new Uint8Array([0x81, 0x01, 0xa1, 0x61]))).toEqual({ '1': 'a' })
    expect(() => decodeMsgpack(new Uint8Array([0x81, 0xc3, 0x01]))).toThrow(PayloadError) // {true: 1}
    expect(() => decodeMsgpack(new Uint8Array([0x81, 0x80, 0x01]))).toThrow(PayloadError) // {{}: 1}
  })

  test('truncated or invalid bytes are refused', () => {
    expect(() => decodeMsgpack(new Uint8Array([0x92, 0x01]))).toThrow(PayloadError)
    expect(() => decodeMsgpack(new Uint8Array([0xc1]))).toThrow(PayloadError)
  })
})

describe('decodeJson', () => {
  test('an empty or blank body is {}', () => {
    expect(decodeJson('')).toEqual({})
    expect(decodeJson(' \n\t')).toEqual({})
  })

  test('documents decode as written', () => {
    expect(decodeJson('{"a":[1,{"b":null}],"c":"d"}')).toEqual({ a: [1, { b: null }], c: 'd' })
  })

  test('malformed JSON is a PayloadError', () => {
    expect(() => decodeJson('{"a":')).toThrow(PayloadError)
  })

  test('numbers out of range are refused', () => {
    expect(payloadError(() => decodeJson('{"a":1e400}')).message).toBe('number out of range')
    expect((payloadError(() => decodeJson('{"a":{"port":[1,-1e999]}}')) as FieldError).text).toBe('a.port[1]: number out of range')
  })

  test(`nesting deeper than ${MAX_DEPTH} levels is refused, even very deep`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
    expect(() => decodeJson(deep(MAX_DEPTH))).not.toThrow()
    expect(payloadError(() => decodeJson(deep(MAX_DEPTH + 2))).message).toBe(`nesting deeper than ${MAX_DEPTH} levels`)
    expect(() => decodeJson(deep(200_000))).toThrow(PayloadError)
  })

  test('prototype keys are refused at any depth', () => {
    expect(payloadError(() => decodeJson('{"__proto__":{"polluted":1}}')).message).toBe('forbidden key "__proto__"')
    expect(() => decodeJson('{"a":[{"constructor":{"prototype":1}}]}')).toThrow(PayloadError)
    expect(({} as any).polluted).toBeUndefined()
  })
})

const fieldError = (fn: () => unknown) => {
  const e = payloadError(fn)
  expect(e).toBeInstanceOf(FieldError)
  return (e as FieldError).text
}

describe('hostile strings', () => {
  test('isCleanText refuses NUL and unpaired surrogates, keeps pairs', () => {
    expect(isCleanText('plain é 🔑')).toBe(true)
    for (const bad of ['a\u0000b', '\uD800', 'x\uDC00', '\uDC00\uD800', '🔑'.slice(0, 1)]) expect(isCleanText(bad)).toBe(false)
  })

  test('a NUL or unpaired surrogate in a JSON value names the field, nested as validation does', () => {
    expect(fieldError(() => decodeJson('{"name":"a\\u0000b"}'))).toBe('name: must not contain NUL bytes or invalid unicode')
    expect(fieldError(() => decodeJson('{"a":{"b":[1,"\\ud800"]}}'))).toBe('a.b[1]: must not contain NUL bytes or invalid unicode')
    expect(fieldError(() => decodeJson('"\\udc00"'))).toBe('body: must not contain NUL bytes or invalid unicode')
  })

  test('a hostile key is refused without being echoed', () => {
    expect(fieldError(() => decodeJson('{"a":{"x\\u0000":1}}'))).toBe('a: field names must not contain NUL bytes or invalid unicode')
    expect(fieldError(() => decodeJson('{"\\ud800":1}'))).toBe('body: field names must not contain NUL bytes or invalid unicode')
  })

  test('MessagePack values and keys are checked the same way', () => {
    expect(fieldError(() => decodeMsgpack(packr.pack({ list: ['ok', 'a\u0000'] })))).toBe(
      'list[1]: must not contain NUL bytes or invalid unicode',
    )
    expect(fieldError(() => decodeMsgpack(packr.pack({ ['k\u0000']: 1 })))).toBe(
      'body: field names must not contain NUL bytes or invalid unicode',
    )
  })

  test('a raw NUL in XML text or in an entry key names the field', () => {
    expect(fieldError(() => decodeXml('<r><name>a\u0000b</name></r>'))).toBe('name: must not contain NUL bytes or invalid unicode')
    expect(fieldError(() => decodeXml('<r><entry key="a\u0000">1</entry></r>'))).toBe(
      'body: field names must not contain NUL bytes or invalid unicode',
    )
  })
})

describe('msgpack strings must be UTF-8', () => {
  // fixstr of 2 bytes, then str8 of 3 bytes; 0xed 0xa0 0x80 is an encoded surrogate
  const str = (...bytes: number[]) => new Uint8Array([0x81, 0xa1, 0x61, 0xd9, bytes.length, ...bytes])

  test('valid text in every str size passes; bad bytes are refused like in JSON', () => {
    expect(decodeMsgpack(str(0xc3, 0xa9))).toEqual({ a: 'é' })
    expect(decodeMsgpack(packr.pack({ long: 'é'.repeat(40_000), clé: ['🔑'] }))).toEqual({ long: 'é'.repeat(40_000), clé: ['🔑'] })
    for (const bad of [str(0xff), str(0xc3), str(0xed, 0xa0, 0x80), str(0x61, 0xc0, 0x80), str(...new Array(100).fill(0x61), 0xfe)]) {
      expect(payloadError(() => decodeMsgpack(bad)).message).toBe('body is not valid UTF-8')
    }
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0x81, 0xa2, 0xff, 0xfe, 0x01]))).message).toBe('body is not valid UTF-8')
  })

  test('binary, extensions and numbers are skipped, not read as text', () => {
    const bytes = new Uint8Array([
      0x94, 0xc4, 0x01, 0xff, 0xd6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xcb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61,
    ])
    expect(msgpackStringsAreUtf8(bytes)).toBe(true)
    expect(msgpackStringsAreUtf8(packr.pack({ at: new Date(), n: -1.5, big: 2 ** 40, s: 'ü' }))).toBe(true)
  })
})

describe('parser messages carry no engine text', () => {
  test('malformed MessagePack is a fixed message', () => {
    // fixext4 of msgpackr's reference type 0x70: the engine says `referenceMap.get` on null
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0xd6, 0x70, 0, 0, 0, 0]))).message).toBe('malformed msgpack')
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0xd6, 0x69, 0, 0, 0, 0]))).message).toBe('malformed msgpack')
    expect(payloadError(() => decodeMsgpack(new Uint8Array([0xd4, 0x70, 0x00]))).message).toBe('document too deep or truncated')
  })

  test('malformed JSON and XML say what failed without quoting the parser', () => {
    expect(payloadError(() => decodeJson('{"a":')).message).toBe('malformed json')
    expect(payloadError(() => decodeJson('{"a":1,}')).message).toBe('malformed json')
    expect(payloadError(() => decodeXml('<r>\n<a>1</b></r>')).message).toBe('malformed xml (line 2)')
  })
})

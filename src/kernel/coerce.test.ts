import { describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { Value } from '@sinclair/typebox/value'
import { coerceXml } from './coerce'
import { decodeXml } from './wire'

/** What a route sees: the XML decoded, shaped after the schema, then checked and decoded by TypeBox. */
function viaXml(schema: any, xml: string): unknown {
  const value = coerceXml(schema, decodeXml(xml))
  expect(Value.Check(schema, value)).toBe(true)
  return Value.Decode(schema, value)
}

describe('coerceXml: scalars', () => {
  test('numbers from their text', () => {
    const S = t.Object({ ratio: t.Number(), neg: t.Number(), exp: t.Number(), frac: t.Number() })
    expect(coerceXml(S, { ratio: '1.5', neg: '-2', exp: '1e3', frac: '.25' })).toEqual({ ratio: 1.5, neg: -2, exp: 1000, frac: 0.25 })
  })

  test('text that is not a decimal number stays text (and fails validation)', () => {
    const S = t.Object({ a: t.Number(), b: t.Number(), c: t.Number(), d: t.Number(), e: t.Number(), f: t.Number() })
    const out = coerceXml(S, { a: 'abc', b: '', c: '0x10', d: '  ', e: 'Infinity', f: '0b1' })
    expect(out).toEqual({ a: 'abc', b: '', c: '0x10', d: '  ', e: 'Infinity', f: '0b1' })
    expect(Value.Check(S, out)).toBe(false)
  })

  test("Elysia's t.Integer (string-or-integer) ends as an integer", () => {
    const S = t.Object({ port: t.Integer({ minimum: 1 }) })
    expect(viaXml(S, '<r><port>25565</port></r>')).toEqual({ port: 25565 })
    expect(Value.Check(S, coerceXml(S, decodeXml('<r><port>1.5</port></r>')))).toBe(false)
  })

  test.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('boolean %p → %p', (text, value) => {
    expect(coerceXml(t.Object({ on: t.Boolean() }), { on: text })).toEqual({ on: value })
  })

  test('other boolean text stays text', () => {
    expect(coerceXml(t.Object({ on: t.Boolean() }), { on: 'yes' })).toEqual({ on: 'yes' })
  })

  test('strings are never converted', () => {
    expect(coerceXml(t.Object({ s: t.String(), e: t.String() }), { s: '12', e: '' })).toEqual({ s: '12', e: '' })
  })
})

describe('coerceXml: empty elements', () => {
  test('a nullable field gets null', () => {
    const S = t.Object({ s: t.Nullable(t.String()), n: t.Nullable(t.Integer()), o: t.Optional(t.Nullable(t.Object({ a: t.String() }))) })
    expect(coerceXml(S, { s: '', n: '', o: '' })).toEqual({ s: null, n: null, o: null })
  })

  test('an array gets [] and an object {}', () => {
    const S = t.Object({ list: t.Array(t.String()), obj: t.Object({ a: t.Optional(t.String()) }) })
    expect(coerceXml(S, { list: '', obj: '' })).toEqual({ list: [], obj: {} })
  })

  test('a non-nullable number stays empty text (and fails validation)', () => {
    const S = t.Object({ n: t.Number() })
    expect(coerceXml(S, { n: '' })).toEqual({ n: '' })
  })
})

describe('coerceXml: arrays', () => {
  test('a lone element becomes a one-item array', () => {
    expect(coerceXml(t.Object({ tags: t.Array(t.String()) }), { tags: 'a' })).toEqual({ tags: ['a'] })
  })

  test('repeated elements are coerced item by item', () => {
    expect(coerceXml(t.Object({ n: t.Array(t.Number()) }), { n: ['1', '2.5'] })).toEqual({ n: [1, 2.5] })
    expect(viaXml(t.Object({ ids: t.Array(t.Integer()) }), '<r><ids>1</ids><ids>2</ids></r>')).toEqual({ ids: [1, 2] })
  })

  test('a lone object becomes a one-item array of coerced objects', () => {
    const S = t.Object({ rules: t.Array(t.Object({ hits: t.Number(), on: t.Boolean() })) })
    expect(coerceXml(S, { rules: { hits: '3', on: 'false' } })).toEqual({ rules: [{ hits: 3, on: false }] })
  })
})

describe('coerceXml: objects and unions', () => {
  test('nested objects are coerced; unknown fields are left alone', () => {
    const S = t.Object({ limits: t.Object({ memory: t.Number(), swap: t.Optional(t.Number()) }) })
    expect(coerceXml(S, { limits: { memory: '512', other: '1' }, extra: '2' })).toEqual({ limits: { memory: 512, other: '1' }, extra: '2' })
  })

  test('record values are coerced', () => {
    const S = t.Record(t.String(), t.Boolean())
    expect(coerceXml(S, { a: 'true', b: '0' })).toEqual({ a: true, b: false })
  })

  test('a union takes the first branch the value fits', () => {
    const S = t.Object({ v: t.Union([t.Number(), t.String()]) })
    expect(coerceXml(S, { v: '7' })).toEqual({ v: 7 })
    expect(coerceXml(S, { v: 'seven' })).toEqual({ v: 'seven' })
  })

  test('literal unions of numbers match from text', () => {
    const S = t.Object({ level: t.Union([t.Literal(1), t.Literal(2)]) })
    expect(coerceXml(S, { level: '2' })).toEqual({ level: 2 })
  })

  test('JSON-shaped values already of the right type are unchanged', () => {
    const S = t.Object({ n: t.Number(), b: t.Boolean(), l: t.Array(t.Number()) })
    expect(coerceXml(S, { n: 1, b: true, l: [1] })).toEqual({ n: 1, b: true, l: [1] })
  })

  test('a whole body, end to end', () => {
    const S = t.Object({
      name: t.String({ minLength: 1 }),
      memory: t.Integer(),
      oom_killer: t.Boolean(),
      description: t.Nullable(t.String()),
      ports: t.Array(t.Integer()),
      env: t.Record(t.String(), t.String()),
    })
    const xml =
      '<body><name>mc</name><memory>1024</memory><oom_killer>false</oom_killer><description/><ports>25565</ports>' +
      '<env><entry key="JAVA OPTS">-Xmx1G</entry><EULA>true</EULA></env></body>'
    expect(viaXml(S, xml)).toEqual({
      name: 'mc',
      memory: 1024,
      oom_killer: false,
      description: null,
      ports: [25565],
      env: { 'JAVA OPTS': '-Xmx1G', EULA: 'true' },
    })
  })
})

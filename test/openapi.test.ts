import { describe, expect, test } from 'bun:test'
import Ajv2020 from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { Validator } from '@seriousme/openapi-schema-validator'
import { useTestApp } from 'hatchery/testing'

/** Every schema object of an OpenAPI document: components, parameters, bodies, responses. */
function schemasOf(doc: any): [string, unknown][] {
  const found: [string, unknown][] = Object.entries<unknown>(doc.components?.schemas ?? {}).map(([name, s]) => [
    `components.schemas.${name}`,
    s,
  ])
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      const at = `${method.toUpperCase()} ${path}`
      for (const p of op.parameters ?? []) if (p.schema) found.push([`${at} parameter ${p.name}`, p.schema])
      for (const [media, c] of Object.entries<any>(op.requestBody?.content ?? {})) found.push([`${at} body ${media}`, c.schema])
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        for (const [media, c] of Object.entries<any>(r.content ?? {})) found.push([`${at} ${status} ${media}`, c.schema])
      }
    }
  }
  return found
}

describe('GET /openapi.json with every bundled plugin', () => {
  const t = useTestApp()

  test('is a valid OpenAPI 3.1 document', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body
    const result = await new Validator().validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  test('every schema compiles as strict JSON Schema 2020-12; dates are RFC 3339 strings', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true })
    addFormats(ajv)
    // OpenAPI's own additions to the dialect.
    ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs'])
    ajv.addSchema({ $id: 'components', $defs: doc.components.schemas })
    const problems: string[] = []
    // The same schema recurs per media type and across routes (params, `{}`, pages): compile each once.
    const unique = new Map<string, string>()
    for (const [where, schema] of schemasOf(doc)) {
      const text = JSON.stringify(schema)
      if (!unique.has(text)) unique.set(text, where)
    }
    for (const [text, where] of unique) {
      const local = JSON.parse(text.replaceAll('"#/components/schemas/', '"components#/$defs/'))
      try {
        ajv.compile(local)
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`)
      }
    }
    expect(problems).toEqual([])
    expect(JSON.stringify(doc)).not.toContain('"type":"Date"')
    const created = doc.paths['/api/client/account/ssh-keys'].get.responses['200'].content['application/json'].schema
    expect(JSON.stringify(created)).toContain('"created":{"type":"string","format":"date-time"}')
  }, 120_000)
})

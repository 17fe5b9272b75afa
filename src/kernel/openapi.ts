import { Elysia, type AnyElysia } from 'elysia'
import swaggerCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import type { RouteRegistry } from './routes'
import pkg from '../../package.json'

const MEDIA = ['application/json', 'application/msgpack', 'text/xml'] as const

const ERROR_SCHEMA = {
  type: 'object',
  required: ['errors'],
  properties: { errors: { type: 'array', items: { type: 'string' }, description: 'Human-readable messages.' } },
}

const STANDARD_ERRORS: Record<string, string> = {
  '400': 'Invalid input or payload',
  '401': 'Missing or invalid credentials',
  '403': 'Credentials lack the permission',
  '404': 'Not found',
  '409': 'Conflicts with existing state',
  '417': 'A business limit was reached',
  '429': 'Rate limited',
  '500': 'Unexpected error',
}

function errorResponse(description: string) {
  return { description, content: Object.fromEntries(MEDIA.map((m) => [m, { schema: { $ref: '#/components/schemas/Error' } }])) }
}

const COERCED = new Set(['integer', 'numeric', 'boolean', 'ObjectString', 'ArrayString'])

/**
 * Turns what TypeBox and Elysia put in a schema into plain JSON Schema (2020-12, as OpenAPI 3.1
 * reads it), for every schema of the document:
 * - Elysia's number and boolean types accept their text form and show up as
 *   `anyOf: [string, integer]`: document the type itself;
 * - `t.Date()` (drizzle-typebox timestamps) is `type: 'Date'`, which no JSON Schema knows: dates
 *   travel as RFC 3339 strings;
 * - `nullable: true` is OpenAPI 3.0; the `anyOf` with `type: 'null'` beside it already says it;
 * - Elysia's `error` (a schema's custom validation message) is dropped.
 */
function jsonSchema(node: any): any {
  if (Array.isArray(node)) return node.map(jsonSchema)
  if (!node || typeof node !== 'object') return node
  if (node.type === 'Date') {
    const { type, ...rest } = node
    return { ...rest, type: 'string', format: 'date-time' }
  }
  if (Array.isArray(node.anyOf) && node.anyOf.length === 2 && node.anyOf[0]?.type === 'string' && COERCED.has(node.anyOf[0]?.format)) {
    const { anyOf, ...rest } = node
    return jsonSchema({ ...rest, ...anyOf[1] })
  }
  const out = Object.fromEntries(
    Object.entries(node)
      // Elysia's custom validation message (`error: '…'`) is no JSON Schema keyword; a property named `error` is an object.
      .filter(([k, v]) => !(k === 'error' && (typeof v === 'string' || typeof v === 'function')))
      .map(([k, v]) => [k, jsonSchema(v)]),
  )
  if (out.nullable === true && Array.isArray(out.anyOf) && out.anyOf.some((b: any) => b?.type === 'null')) delete out.nullable
  return out
}

/** Offers every JSON body and response in all three encodings and adds the error responses. */
function decorate(doc: any, routes: RouteRegistry) {
  doc.paths = jsonSchema(doc.paths)
  doc.components = jsonSchema(doc.components ?? {})
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!op || typeof op !== 'object' || !('responses' in op || 'operationId' in op)) continue
      const info = routes.get(method.toUpperCase(), path.replace(/\{([^}]+)\}/g, ':$1'))
      const json = op.requestBody?.content?.['application/json']
      if (op.requestBody?.content) {
        // A custom parser hides the content types from the generator; the route's schema is still ours.
        const schema =
          json?.schema ??
          Object.values<any>(op.requestBody.content)[0]?.schema ??
          (info?.bodySchema ? jsonSchema(JSON.parse(JSON.stringify(info.bodySchema))) : undefined)
        // A raw body is bytes, unless the route declares its own media type (a multipart upload).
        op.requestBody.content = info?.rawBody
          ? json
            ? { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }
            : op.requestBody.content
          : Object.fromEntries(MEDIA.map((m) => [m, { schema }]))
      }
      op.responses ??= {}
      for (const [status, res] of Object.entries<any>(op.responses)) {
        const schema = res?.content?.['application/json']?.schema ?? (res?.content && Object.values<any>(res.content)[0]?.schema)
        if (schema) res.content = Object.fromEntries(MEDIA.map((m) => [m, { schema }]))
        if (!res.description) res.description = status === '200' ? 'Success' : (STANDARD_ERRORS[status] ?? '')
      }
      // A scope's path parameter is read by its resolver, not declared by the routes under it.
      for (const name of path.match(/\{[^}]+\}/g) ?? []) {
        const param = name.slice(1, -1)
        op.parameters ??= []
        if (!op.parameters.some((x: any) => x.in === 'path' && x.name === param)) {
          op.parameters.push({ name: param, in: 'path', required: true, schema: { type: 'string' } })
        }
      }
      const remote = path.startsWith('/api/remote')
      const guarded = path.startsWith('/api/client') || path.startsWith('/api/admin') || remote
      const codes = ['400', '404', '429', '500']
      if (guarded && !info?.public) codes.push('401', '403')
      if (info?.public || !guarded) op.security ??= []
      else if (remote) op.security = [{ remote: [] }]
      for (const code of codes) op.responses[code] ??= errorResponse(STANDARD_ERRORS[code])
      if (info?.permissions.length) op['x-permission'] = info.permissions
      if (info?.scope) op['x-scope'] = info.scope
    }
  }
  doc.components.schemas = { ...(doc.components.schemas ?? {}), Error: ERROR_SCHEMA }
  doc.components.securitySchemes = {
    session: {
      type: 'apiKey',
      in: 'cookie',
      name: 'hatchery_session',
      description: 'Session cookie (name from the app.session_cookie setting)',
    },
    apiKey: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer c7sp_…' },
    remote: {
      type: 'http',
      scheme: 'bearer',
      description: '/api/remote: the token the plugin filling the remote authenticate slot checks',
    },
  }
  doc.security = [{ session: [] }, { apiKey: [] }]
  return doc
}

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hatchery API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>`

const init = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true })`

/**
 * `GET /openapi.json` (OpenAPI 3.1 built from every mounted route's schemas) and the reference
 * page `GET /api`, whose assets the panel serves itself so it works offline.
 */
export function docsRoutes(getApp: () => AnyElysia, routes: RouteRegistry) {
  let cached: string | undefined
  const asset = (file: string, type: string) => () =>
    new Response(Bun.file(file), { headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' } })
  return new Elysia({ name: 'hatchery.docs' })
    .get(
      '/openapi.json',
      async () => {
        if (!cached) {
          // Imported on first use: the generator carries a schema library that costs boot time and memory.
          const { toOpenAPISchema } = await import('@elysiajs/openapi')
          const { paths, components } = toOpenAPISchema(
            getApp(),
            { paths: [/^\/api\/docs\//, '/openapi.json', '/api'] },
            undefined,
            undefined,
            '3.1.0',
          )
          cached = JSON.stringify(
            decorate(
              {
                openapi: '3.1.0',
                info: {
                  title: 'Hatchery panel API',
                  version: pkg.version,
                  description:
                    'Calagopus-compatible game-server panel API. Bodies and responses in JSON, MessagePack or XML (by Content-Type / Accept).',
                },
                paths,
                components,
              },
              routes,
            ),
          )
        }
        return new Response(cached, { headers: { 'content-type': 'application/json' } })
      },
      { detail: { hide: true } },
    )
    .get('/api', () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }), { detail: { hide: true } })
    .get('/api/docs/init.js', () => new Response(init, { headers: { 'content-type': 'text/javascript' } }), { detail: { hide: true } })
    .get('/api/docs/swagger-ui.css', asset(swaggerCss, 'text/css'), { detail: { hide: true } })
    .get('/api/docs/swagger-ui-bundle.js', asset(swaggerJs, 'text/javascript'), { detail: { hide: true } })
}

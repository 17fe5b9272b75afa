import { Kind, TransformKind, Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { beginRequest, handOver, type Handover, type RequestMeta } from './http'
import { readyPrincipal, type GuardState } from './guard'
import { guardedNamespaceOf } from './plugin'
import { scopeOf } from './scope'
import { Memoirist } from 'memoirist'
import type { Cidr } from './net'
import type { RouteInfo, RouteRegistry } from './routes'
import type { Principal } from './permissions'
import { encodeAnswer } from './wire'

export interface ReadyLaneOptions {
  routes: RouteRegistry
  guard: GuardState
  trustedProxies: Cidr[]
  /** The namespace rate limit the full pipeline applies first (the same function). */
  limit(request: Request, meta: RequestMeta, path: string): Promise<void> | void
}

/**
 * The ready lane: a `GET` of a route that declares `ready` is answered without Elysia's pipeline
 * when everything it needs is at hand synchronously — the rate limit counted, the
 * caller's credentials cached (and passing the gates and the route's permissions), and the
 * route's `ready` function returning its answer. The answer is the full pipeline's to the byte:
 * the same encoding per `Accept`, `X-Request-Id`, `Vary` and the authenticator's headers.
 *
 * A query string is taken only in its plain form, and only by a route whose query schema is an
 * object of optional integers, numbers, booleans and strings (see {@link QueryReader}): each key
 * once, no percent-escape or `+`, integers in their shortest digits, booleans `true`/`false`, the
 * whole passing the schema. `ready` then gets it typed as the handler would.
 *
 * Path parameters are taken only on a route under a scope, and only the scope's own: the scope's
 * filler resolves them with its synchronous `ready` (a cache), then the scope's permissions are
 * checked, and `ready` gets `params`, `resource` and `access`. The full router must pick the same
 * route for the path (a static route beside a parameter wins there).
 *
 * When the namespace rate limit counts in Redis, the lane waits for the count (a promise) and then
 * goes on as above.
 *
 * Anything else leaves the request to the full pipeline, which then gives every error and every
 * other answer: any other query, a percent-escape, a body, `HEAD`, a trailing slash, any other path
 * parameters, a switched-off plugin, credentials or a scope to load, a refusal of any kind, a
 * `ready` that returns `undefined` or throws. What the lane did by then (the request id, the rate
 * limit's count) is handed over and not done twice; authentication (cached) and the scope's
 * resolution are done again.
 *
 * Why: on the hottest reads the pipeline's hooks, promises and deadline bookkeeping cost more
 * than the answer (bench/README.md, *Ready lane*).
 */
export class ReadyLane {
  private paths = new Map<string, RouteInfo>()
  private queries = new Map<RouteInfo, QueryReader>()
  /** Requests answered by the lane (tests use it to tell the two paths apart). */
  answered = 0

  // Routes with path parameters: those of their scope only (the scope's filler checks them).
  private withParams = new Memoirist<RouteInfo>()
  private paramNames = new Map<RouteInfo, string[]>()

  constructor(private o: ReadyLaneOptions) {
    for (const info of o.routes.all()) {
      if (info.method !== 'GET' || !info.ready || info.path.includes('*')) continue
      const names = paramsOf(info.path)
      const scopePath = info.scope ? o.guard.scopes.get(info.scope)?.provider.path : undefined
      if (info.scope && (!scopePath || paramsOf(scopePath).length !== names.length)) continue
      if (!info.scope && names.length) continue
      if (info.querySchema) {
        const reader = QueryReader.of(info.querySchema)
        if (!reader) continue
        this.queries.set(info, reader)
      }
      if (!names.length) this.paths.set(info.path, info)
      else {
        try {
          this.withParams.add('GET', info.path, info)
        } catch {
          continue // a parameter named otherwise at the same place: left to the pipeline
        }
        this.paramNames.set(info, names)
      }
    }
  }

  /** Whether any route can be answered here (else the app skips the lane). */
  get size(): number {
    return this.paths.size + this.paramNames.size
  }

  /**
   * The lane's route of a path and its parameters. A parameter route only when the full
   * pipeline's router picks the same route (a static route beside it wins there).
   */
  private route(path: string): { info: RouteInfo; params: Record<string, string> } | undefined {
    const info = this.paths.get(path)
    if (info) return { info, params: NO_PARAMS }
    if (this.paramNames.size === 0 || path.endsWith('/')) return undefined
    const found = this.withParams.find('GET', path)
    if (!found || this.o.routes.match('GET', path) !== found.store) return undefined
    for (const name of this.paramNames.get(found.store)!) if (!found.params[name]) return undefined
    return { info: found.store, params: found.params }
  }

  /**
   * The response when the lane can give it now; `undefined` leaves the request to the pipeline.
   * A promise when the rate limit counts in Redis: of the response, or `undefined` (the pipeline's).
   */
  answer(request: Request): Response | Promise<Response | undefined> | undefined {
    if (request.method !== 'GET') return undefined
    const url = request.url
    const pathStart = url.indexOf('/', url.indexOf('//') + 2)
    // A percent-escape is decoded (and may be refused) by the pipeline.
    if (url.indexOf('%', pathStart) !== -1) return undefined
    const queryStart = url.indexOf('?', pathStart)
    const path = queryStart === -1 ? url.slice(pathStart) : url.slice(pathStart, queryStart)
    const routed = this.route(path)
    if (!routed || this.o.routes.isHidden(routed.info)) return undefined
    const { info, params } = routed
    let query: Record<string, unknown> = {}
    if (queryStart !== -1 || info.querySchema) {
      const reader = this.queries.get(info)
      const read = reader ? reader.read(queryStart === -1 ? '' : url.slice(queryStart + 1)) : undefined
      if (!read) return undefined
      query = read
    }
    const headers = request.headers
    if (headers.has('content-length') || headers.has('transfer-encoding')) return undefined

    const meta = beginRequest(request, this.o.trustedProxies)
    const handover: Handover = { meta, limited: false }
    try {
      const pending = this.o.limit(request, meta, path)
      handover.limited = true
      // Counted in Redis: the rest once it has counted (bounded by the client's command timeout,
      // and in memory while Redis is down); a 429 or any failure goes to the pipeline to answer.
      if (pending)
        return pending.then(
          () => this.finish(request, info, path, params, query, handover),
          (e) => {
            handover.outcome = e
            return this.leave(request, handover)
          },
        )
    } catch (e) {
      handover.limited = true
      handover.outcome = e
      return this.leave(request, handover)
    }
    return this.finish(request, info, path, params, query, handover)
  }

  /** After the rate limit: the caller, the route's permissions, and `ready`'s answer. */
  private finish(
    request: Request,
    info: RouteInfo,
    path: string,
    params: Record<string, string>,
    query: Record<string, unknown>,
    handover: Handover,
  ): Response | undefined {
    const meta = handover.meta
    let principal: Principal | undefined
    const out: Record<string, string> = { 'x-request-id': meta.id, vary: 'Accept' }
    const kind = info.public ? null : guardedNamespaceOf(path)
    // Nodes' routes (`/api/remote`) are authenticated otherwise: not answered here.
    if (kind === 'remote') return this.leave(request, handover)
    if (kind) {
      principal = readyPrincipal(
        this.o.guard,
        kind,
        info,
        {
          request,
          ip: meta.ip,
          method: 'GET',
          route: info.path,
          setHeader: (name, value) => void (out[name.toLowerCase()] = value),
        },
        { params, hidden: this.o.routes.hidden },
      )
      if (!principal) return this.leave(request, handover)
    }
    const scoped = info.scope ? scopeOf(request) : undefined

    let body: string | Uint8Array
    let type: string
    try {
      const value = info.ready!({ request, principal, params, query, resource: scoped?.resource, access: scoped?.access })
      if (value === undefined || value instanceof Response) return this.leave(request, handover)
      ;({ body, type } = encodeAnswer(value, meta.format))
    } catch {
      return this.leave(request, handover)
    }
    out['content-type'] = type
    this.answered++
    return new Response(body as ConstructorParameters<typeof Response>[0], { status: 200, headers: out })
  }

  private leave(request: Request, handover: Handover): undefined {
    handOver(request, handover)
    return undefined
  }
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>
const paramsOf = (path: string) => [...path.matchAll(/:([^/]+)/g)].map((m) => m[1])

type Field = 'integer' | 'number' | 'boolean' | 'string'

/**
 * Reads a query string the way the pipeline would for the plain queries it sees most, and
 * declines (`undefined`) the rest, which the pipeline then validates and answers. Only for a query
 * schema that is an object of optional integer, number, boolean and string fields without
 * transforms; `of` gives no reader for any other schema, and its route's queries are left to the
 * pipeline. A value is taken only in its canonical text (an integer's shortest digits, `true` or
 * `false`, a string without `%`, `+` or `=`), each key once; the result must pass the schema.
 */
export class QueryReader {
  private constructor(
    private readonly fields: ReadonlyMap<string, Field>,
    private readonly check: TypeCheck<TSchema>,
  ) {}

  static of(schema: TSchema): QueryReader | undefined {
    if (schema[Kind] !== 'Object' || TransformKind in schema) return undefined
    const required = new Set((schema as TObject).required ?? [])
    const fields = new Map<string, Field>()
    const plain: Record<string, TSchema> = {}
    for (const [key, declared] of Object.entries((schema as TObject).properties)) {
      const field = plainField(declared)
      const kind = field && FIELD_KINDS[String(field[Kind])]
      if (!field || !kind || required.has(key)) return undefined
      fields.set(key, kind)
      plain[key] = Type.Optional(field)
    }
    return new QueryReader(fields, TypeCompiler.Compile(Type.Object(plain)))
  }

  /** The typed query, or `undefined` to leave the request to the pipeline. */
  read(text: string): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {}
    if (text === '') return this.check.Check(out) ? out : undefined
    if (text.includes('+')) return undefined
    for (const pair of text.split('&')) {
      const eq = pair.indexOf('=')
      if (eq <= 0) return undefined
      const key = pair.slice(0, eq)
      const raw = pair.slice(eq + 1)
      const field = this.fields.get(key)
      if (!field || Object.hasOwn(out, key) || raw.includes('=')) return undefined
      if (field === 'string') out[key] = raw
      else if (field === 'boolean') {
        if (raw !== 'true' && raw !== 'false') return undefined
        out[key] = raw === 'true'
      } else {
        if (!CANONICAL_INTEGER.test(raw)) return undefined
        out[key] = Number(raw)
      }
    }
    return this.check.Check(out) ? out : undefined
  }
}

const FIELD_KINDS: Record<string, Field | undefined> = { Integer: 'integer', Number: 'number', Boolean: 'boolean', String: 'string' }

/**
 * A query field as declared. Elysia turns a number field of a query schema into a union of a
 * numeric string (with the transform that decodes it) and the number: its number member is taken.
 */
function plainField(field: TSchema): TSchema | undefined {
  if (!(TransformKind in field)) return field
  if (field[Kind] !== 'Union') return undefined
  const member = (field.anyOf as TSchema[]).find((m) => (m[Kind] === 'Integer' || m[Kind] === 'Number') && !(TransformKind in m))
  return member
}

/** An integer as `String(n)` writes it, and safe: `0`, `7`, `-12`; not `007`, `1e3`, `+1`, `1.0`. */
const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]{0,14})$/

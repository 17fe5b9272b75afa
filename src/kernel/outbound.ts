import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { cidrContains, parseCidr, type Cidr } from './net'

/**
 * Networks an outbound request never reaches unless private addresses are allowed: private,
 * loopback, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254 included), CGNAT
 * (100.100.100.200 too), multicast, unspecified, reserved and documentation ranges. IPv4-mapped
 * IPv6 addresses are judged as the IPv4 address they map (`cidrContains` unmaps them); NAT64 and
 * 6to4 addresses are judged by the IPv4 address they embed.
 */
const BLOCKED: Cidr[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/96',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
].map((text) => parseCidr(text)!)

const NAT64 = parseCidr('64:ff9b::/96')!
const SIX_TO_FOUR = parseCidr('2002::/16')!

function embeddedV4(ip: string): string | null {
  const c = parseCidr(ip)
  if (!c || c.family !== 6) return null
  let v4: bigint | null = null
  if (cidrContains(NAT64, ip)) v4 = c.bits & 0xffffffffn
  else if (cidrContains(SIX_TO_FOUR, ip)) v4 = (c.bits >> 80n) & 0xffffffffn
  if (v4 === null) return null
  return [24n, 16n, 8n, 0n].map((s) => String((v4! >> s) & 0xffn)).join('.')
}

/** True when `ip` is an address outbound requests must not reach (see `BLOCKED`). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip.replace(/%.*$/, '')) === 0) return true
  if (BLOCKED.some((net) => cidrContains(net, ip))) return true
  const inner = embeddedV4(ip)
  return inner !== null && isPrivateAddress(inner)
}

/** Why an outbound request was refused or failed; `message` is safe to log, not meant for end users. */
export class OutboundError extends Error {
  constructor(
    readonly reason: 'url' | 'scheme' | 'dns' | 'address' | 'redirect' | 'size' | 'timeout' | 'network',
    message: string,
  ) {
    super(message)
    this.name = 'OutboundError'
  }
}

export type Resolver = (host: string) => Promise<string[]>

export interface OutboundOptions {
  /**
   * Lets requests reach private and loopback addresses and use plain `http:` (tests, a LAN
   * identity provider). Callers pass the `outbound.allow_private_addresses` setting; default false.
   */
  allowPrivate?: boolean
  /** Whole-request budget, every redirect included (default 10 s). */
  timeoutMs?: number
  /** Largest response body accepted (default 2 MiB). */
  maxBytes?: number
  /** Redirects followed (default 5); each hop is checked like the first URL. */
  maxRedirects?: number
  /** Aborts the request early (joined with the timeout). */
  signal?: AbortSignal
  /** Name resolution (default: the system resolver, every address). Tests inject one. */
  resolve?: Resolver
  /** The transport (default: global `fetch`). Tests inject one. */
  fetch?: typeof fetch
  /** Extra TLS options for the connection (e.g. a test CA); the server name is always set here. */
  tls?: Record<string, unknown>
}

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)

/** Resolves `url`'s host once and returns the address to connect to, refusing disallowed ones. */
async function pin(url: URL, opts: OutboundOptions): Promise<string> {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.allowPrivate)) {
    throw new OutboundError('scheme', `${url.protocol} URLs are not allowed (https only)`)
  }
  if (url.username || url.password) throw new OutboundError('url', 'URLs with credentials are not allowed')
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      addresses = await (opts.resolve ?? systemResolver)(host)
    } catch (e) {
      throw new OutboundError('dns', `cannot resolve ${host}: ${(e as Error).message}`)
    }
    if (addresses.length === 0) throw new OutboundError('dns', `cannot resolve ${host}`)
  }
  // Every answer must pass: a name that also points inside is refused as a whole.
  if (!opts.allowPrivate) {
    const bad = addresses.find(isPrivateAddress)
    if (bad) throw new OutboundError('address', `${host} resolves to a private or reserved address (${bad})`)
  }
  return addresses[0]
}

async function readCapped(res: Response, max: number, signal: AbortSignal): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => {})
    throw new OutboundError('size', `response larger than ${max} bytes`)
  }
  if (!res.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    if (signal.aborted) throw new OutboundError('timeout', 'request timed out')
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      throw new OutboundError('size', `response larger than ${max} bytes`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) out.set(c, (at += c.byteLength) - c.byteLength)
  return out
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/**
 * `fetch` for URLs that come from users or admins (OAuth token endpoints, git remotes, egg
 * imports): https only; the host is resolved here and every address it resolves to must be
 * public (private, loopback, link-local, CGNAT, multicast, unspecified, reserved and cloud
 * metadata ranges are refused, IPv4-mapped IPv6 included); the connection goes to the address
 * that was checked (the URL's host travels as `Host` and TLS server name), so a DNS answer that
 * changes between the check and the connection (rebinding) cannot move it inside. Redirects are
 * followed by hand, at most `maxRedirects`, each hop checked again (`Authorization` is dropped
 * when the origin changes). The whole exchange is bounded by `timeoutMs`, the body by `maxBytes`:
 * the answer is fully read, so its body can be consumed without further limits.
 * Refusals and failures throw `OutboundError` (`reason` says which).
 * @example
 * const res = await fetchOutbound('https://id.example.com/token', { method: 'POST', body }, {
 *   allowPrivate: await ctx.settings.get('outbound.allow_private_addresses'),
 *   timeoutMs: 10_000,
 * })
 * const token = await res.json()
 */
export async function fetchOutbound(input: string | URL, init: RequestInit = {}, opts: OutboundOptions = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000)
  const extra = [opts.signal, init.signal].filter((s): s is AbortSignal => !!s)
  const signal = extra.length ? AbortSignal.any([timeout, ...extra]) : timeout
  const transport = opts.fetch ?? fetch
  const maxRedirects = opts.maxRedirects ?? 5
  let url: URL
  try {
    url = new URL(input)
  } catch {
    throw new OutboundError('url', 'invalid URL')
  }
  let method = (init.method ?? 'GET').toUpperCase()
  let body = init.body
  const headers = new Headers(init.headers)
  for (let hop = 0; ; hop++) {
    const address = await pin(url, opts)
    const target = new URL(url)
    target.hostname = isIP(address) === 6 ? `[${address}]` : address
    headers.set('host', url.host)
    let res: Response
    try {
      res = await transport(target, {
        ...init,
        method,
        body,
        headers: new Headers(headers),
        redirect: 'manual',
        signal,
        // The certificate is checked against the URL's name (an IP literal has none to send as SNI).
        tls: isIP(url.hostname.replace(/^\[|\]$/g, '')) ? { ...opts.tls } : { ...opts.tls, serverName: url.hostname },
      } as RequestInit)
    } catch (e) {
      if (timeout.aborted) throw new OutboundError('timeout', 'request timed out')
      if (signal.aborted) throw e
      throw new OutboundError('network', `request to ${url.host} failed: ${(e as Error).message}`)
    }
    const location = res.headers.get('location')
    if (REDIRECTS.has(res.status) && location) {
      await res.body?.cancel().catch(() => {})
      if (hop >= maxRedirects) throw new OutboundError('redirect', `more than ${maxRedirects} redirects`)
      let next: URL
      try {
        next = new URL(location, url)
      } catch {
        throw new OutboundError('redirect', 'redirect to an invalid URL')
      }
      if (next.origin !== url.origin) headers.delete('authorization')
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET'
        body = undefined
        headers.delete('content-type')
        headers.delete('content-length')
      }
      url = next
      continue
    }
    let bytes: Uint8Array
    try {
      bytes = await readCapped(res, opts.maxBytes ?? 2 * 1024 * 1024, signal)
    } catch (e) {
      if (e instanceof OutboundError) throw e
      if (timeout.aborted) throw new OutboundError('timeout', 'request timed out')
      throw new OutboundError('network', `reading the answer of ${url.host} failed: ${(e as Error).message}`)
    }
    const out = new Headers(res.headers)
    out.delete('content-encoding')
    out.delete('content-length')
    const answer = new Response(res.status === 204 || res.status === 304 ? null : bytes, {
      status: res.status,
      statusText: res.statusText,
      headers: out,
    })
    Object.defineProperty(answer, 'url', { value: url.href })
    return answer
  }
}

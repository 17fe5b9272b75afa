import { isIP } from 'node:net'

/** An IP network parsed from CIDR text (`10.0.0.0/8`, `::1/128`, or a bare address). */
export interface Cidr {
  family: 4 | 6
  bits: bigint
  prefix: number
  text: string
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/** Normalises an address: strips IPv4-mapped IPv6 (`::ffff:1.2.3.4` → `1.2.3.4`) and zone ids. */
export function normalizeIp(ip: string): string {
  const m = V4_MAPPED.exec(ip)
  return m ? m[1] : stripZone(ip)
}

function stripZone(ip: string): string {
  const zone = ip.indexOf('%')
  return zone === -1 ? ip : ip.slice(0, zone)
}

type Parsed = { family: 4 | 6; bits: bigint }

// `::ffff:a.b.c.d` in any spelling (`::ffff:7f00:1` too) is the IPv4 address it maps.
function unmap(p: Parsed): Parsed {
  return p.family === 6 && p.bits >> 32n === 0xffffn ? { family: 4, bits: p.bits & 0xffffffffn } : p
}

function parseIp(ip: string): Parsed | null {
  const parsed = ipToBigInt(normalizeIp(ip))
  return parsed && unmap(parsed)
}

function ipToBigInt(ip: string): Parsed | null {
  const family = isIP(ip)
  if (family === 4) {
    const parts = ip.split('.').map(Number)
    return { family: 4, bits: BigInt(((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3]) }
  }
  if (family === 6) {
    let [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined]
    const toGroups = (s: string | undefined): number[] => {
      if (!s) return []
      const out: number[] = []
      for (const part of s.split(':')) {
        if (part.includes('.')) {
          const v4 = ipToBigInt(part)
          if (!v4) return []
          out.push(Number(v4.bits >> 16n), Number(v4.bits & 0xffffn))
        } else out.push(parseInt(part, 16))
      }
      return out
    }
    const h = toGroups(head)
    const t = toGroups(tail)
    const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t]
    if (groups.length !== 8) return null
    let bits = 0n
    for (const g of groups) bits = (bits << 16n) | BigInt(g)
    return { family: 6, bits }
  }
  return null
}

const canonicalCache = new Map<string, string | null>()

/** Formats an address in its canonical text form (`::1`, `2001:db8::1`, `10.0.0.1`). Cached: peers repeat. */
export function canonicalIp(ip: string): string | null {
  const hit = canonicalCache.get(ip)
  if (hit !== undefined) return hit
  const parsed = parseIp(ip)
  const text = parsed ? formatIp(parsed.family, parsed.bits) : null
  if (canonicalCache.size > 10_000) canonicalCache.clear()
  canonicalCache.set(ip, text)
  return text
}

function formatIp(family: 4 | 6, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.')
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((bits >> BigInt(i * 16)) & 0xffffn))
  let bestStart = -1,
    bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i > 1) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart === -1) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/**
 * Parses CIDR text; a bare address gets the host prefix. Returns null when malformed.
 * @example parseCidr('10.0.0.0/8') // { family: 4, prefix: 8, text: '10.0.0.0/8', ... }
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  let parsed = ipToBigInt(stripZone(addr.trim()))
  if (!parsed) return null
  let prefix = parsed.family === 4 ? 32 : 128
  if (slash !== -1) {
    const p = text.slice(slash + 1).trim()
    if (!/^\d{1,3}$/.test(p) || Number(p) > prefix) return null
    prefix = Number(p)
  }
  // A network inside `::ffff:0:0/96` holds IPv4-mapped addresses, which are matched as IPv4.
  const mapped = unmap(parsed)
  if (mapped !== parsed && prefix >= 96) {
    parsed = mapped
    prefix -= 96
  }
  const max = parsed.family === 4 ? 32 : 128
  const shift = BigInt(max - prefix)
  const bits = (parsed.bits >> shift) << shift
  return { family: parsed.family, bits, prefix, text: `${formatIp(parsed.family, bits)}/${prefix}` }
}

/** True when `ip` lies inside `cidr` (IPv4 and IPv6 never match each other). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const parsed = parseIp(ip)
  if (!parsed || parsed.family !== cidr.family) return false
  const shift = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix)
  return parsed.bits >> shift === cidr.bits >> shift
}

/**
 * Resolves the client address: the peer, unless the peer is a trusted proxy; then
 * `X-Forwarded-For` walked from the right to the first untrusted hop, or `X-Real-IP`.
 */
export function resolveClientIp(peer: string, headers: Headers, trusted: Cidr[]): string {
  const peerIp = canonicalIp(peer) ?? peer
  if (trusted.length === 0 || !trusted.some((c) => cidrContains(c, peerIp))) return peerIp
  const xff = headers.get('x-forwarded-for')
  if (xff) {
    const hops = xff
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean)
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = canonicalIp(hops[i])
      if (!hop) return peerIp
      if (!trusted.some((c) => cidrContains(c, hop))) return hop
    }
    const first = canonicalIp(hops[0] ?? '')
    return first ?? peerIp
  }
  const real = headers.get('x-real-ip')
  if (real) return canonicalIp(real.trim()) ?? peerIp
  return peerIp
}

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { BadRequest, isPrivateAddress } from 'hatchery'

export type Resolve = (host: string) => Promise<string[]>
const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)

/**
 * Checks a URL a client asks Wings to download (spec 03 §5.4 `pull`): http or https, no
 * credentials, and every address the host resolves to public by the kernel's `isPrivateAddress`
 * (private, loopback, link-local and metadata, CGNAT, multicast, reserved; v4-mapped IPv6 as IPv4).
 * `allowPrivate` is the `outbound.allow_private_addresses` setting. Wings resolves the name again
 * when it downloads, so its own `api.remote_download_blocked_cidrs` stays the last line (a panel
 * never clears it: `FORBIDDEN_CONFIG_PATHS`).
 * @example await checkPullUrl('https://example.com/pack.zip', { allowPrivate: false })
 */
export async function checkPullUrl(raw: string, opts: { allowPrivate: boolean; resolve?: Resolve }): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new BadRequest('url: invalid url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadRequest('url: only http and https urls can be pulled')
  if (url.username || url.password) throw new BadRequest('url: urls with credentials cannot be pulled')
  if (opts.allowPrivate) return url.toString()
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : await (opts.resolve ?? systemResolve)(host)
  } catch {
    addresses = []
  }
  if (addresses.length === 0) throw new BadRequest(`url: cannot resolve ${host}`)
  if (addresses.some(isPrivateAddress)) throw new BadRequest('url: points to a private or reserved address')
  return url.toString()
}

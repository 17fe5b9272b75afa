import { connect as tcpConnect } from 'node:net'

/** Opens (and closes) a TCP connection to `host:port`, rejecting after `timeoutMs`. */
export type Connector = (host: string, port: number, timeoutMs: number) => Promise<void>

/**
 * Bun's `fetch` has no connect timeout of its own, so the client checks the node accepts a
 * connection within the connect deadline before sending the request: a black-holed node fails
 * after 5 s instead of the whole 15 s. A node that answered lately is not probed again.
 */
export const tcpProbe: Connector = (host, port, timeoutMs) =>
  new Promise<void>((resolve, reject) => {
    const socket = tcpConnect({ host, port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no connection within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve()
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    })
  })

const FRESH_MS = 30_000
const answered = new Map<string, number>()

/** Whether `origin` answered within the last 30 s (then it is not probed). */
export const recentlyAnswered = (origin: string) => (answered.get(origin) ?? 0) > performance.now()
export const noteAnswered = (origin: string) => void answered.set(origin, performance.now() + FRESH_MS)

/** `host` and port of a node URL as a socket wants them (IPv6 brackets removed, default ports filled). */
export function endpointOf(url: URL): { host: string; port: number } {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  return { host, port }
}

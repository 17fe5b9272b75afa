import net from 'node:net'

/**
 * A TCP proxy in front of a real server, to make it fail on demand: `cut()` drops every
 * connection and refuses new ones (a database gone), `hang()` accepts connections and sends
 * nothing on (a host that stopped answering), `restore()` forwards again.
 * @example const proxy = await startTcpProxy(5432); proxy.cut(); …; proxy.restore(); await proxy.close()
 */
export interface TcpProxy {
  port: number
  /** Open connections stop carrying data either way (a network that went quiet); new ones hang. */
  freeze(): void
  cut(): void
  hang(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'forward' | 'cut' | 'hang' = 'forward'
  const pairs = new Set<[net.Socket, net.Socket]>()
  const sockets = new Set<net.Socket>()
  const track = (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
  }
  const server = net.createServer((client) => {
    track(client)
    if (mode === 'cut') return void client.destroy()
    if (mode === 'hang') return
    const upstream = net.connect(targetPort, targetHost)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    const pair: [net.Socket, net.Socket] = [client, upstream]
    pairs.add(pair)
    client.on('close', () => pairs.delete(pair))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const dropAll = () => {
    for (const s of sockets) s.destroy()
  }
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      mode = 'hang'
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.pause()
        upstream.pause()
      }
    },
    cut() {
      mode = 'cut'
      dropAll()
    },
    hang() {
      mode = 'hang'
      dropAll()
    },
    restore() {
      mode = 'forward'
      dropAll()
    },
    close() {
      mode = 'cut'
      dropAll()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

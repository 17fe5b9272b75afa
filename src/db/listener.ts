import type { Client, Notification } from 'pg'
import { CHANGES_CHANNEL, type ChangeFeed, type Listener } from './changes'

/**
 * How often the listening connection is checked (a notification sent to itself): a peer gone
 * without a word, or notifications that stopped arriving, are noticed within this plus `PING_TIMEOUT_MS`.
 */
const PING_EVERY_MS = 5_000
const PING_TIMEOUT_MS = 3_000
const MAX_RETRY_MS = 5_000

/** `application_name` of the listening connection (what an operator sees in `pg_stat_activity`). */
export const LISTENER_APPLICATION_NAME = 'hatchery-changes'

/**
 * The other processes' changes for `feed`: one connection of its own (not from a pool: a LISTEN
 * belongs to a session), `LISTEN hatchery_changes`, each notification bumping the table it names.
 * The feed is live only once a notification the connection sent itself has come back (behind a
 * pooler in transaction mode it never does: nothing is then cached), and while its pings keep
 * coming back; a lost connection (an error, its end, a ping unanswered) makes it not live and is
 * made again after a growing wait.
 */
export function postgresListener(url: string, connectTimeoutMs: number): (feed: ChangeFeed) => Listener {
  return (feed) => {
    let client: Client | undefined
    let closed = false
    let failures = 0
    let retry: ReturnType<typeof setTimeout> | undefined
    let ping: ReturnType<typeof setInterval> | undefined

    const lost = (c: Client) => {
      if (client !== c) return
      client = undefined
      clearInterval(ping)
      feed.setLive(false)
      // A socket that stopped answering is not waited for.
      ;(c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
      c.end().catch(() => {})
      if (closed) return
      const wait = Math.min(MAX_RETRY_MS, feed.retryMs * 2 ** failures++)
      retry = setTimeout(connect, wait)
      retry.unref?.()
    }

    const connect = async () => {
      retry = undefined
      if (closed) return
      const { default: pg } = await import('pg')
      const c = new pg.Client({
        connectionString: url,
        application_name: LISTENER_APPLICATION_NAME,
        connectionTimeoutMillis: connectTimeoutMs,
        keepAlive: true,
      })
      client = c
      // A round trip through the channel itself (a listening session hears its own notifications):
      // the proof that notifications arrive, which a pooler in transaction mode would break.
      let echo: (() => void) | undefined
      const echoed = () =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)
          timer.unref?.()
          echo = () => (clearTimeout(timer), resolve(true))
          c.query(`select pg_notify('${CHANGES_CHANNEL}', '')`).catch(() => (clearTimeout(timer), resolve(false)))
        })
      c.on('error', () => lost(c))
      c.on('end', () => lost(c))
      c.on('notification', (n: Notification) => {
        if (n.channel !== CHANGES_CHANNEL) return
        if (n.payload) feed.bump(n.payload)
        else echo?.()
      })
      try {
        await c.connect()
        await c.query(`LISTEN ${CHANGES_CHANNEL}`)
      } catch {
        return lost(c)
      }
      if (!(await echoed())) return lost(c)
      if (client !== c) return
      if (closed) return void c.end().catch(() => {})
      failures = 0
      feed.setLive(true)
      ping = setInterval(() => void echoed().then((ok) => ok || lost(c)), PING_EVERY_MS)
      ping.unref?.()
    }

    void connect()
    return {
      async close() {
        closed = true
        clearTimeout(retry)
        clearInterval(ping)
        const c = client
        client = undefined
        await c?.end().catch(() => {})
      },
    }
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const SPECIAL = '!@#$%^&*()<>-_'

/** A uniform random integer in [0, n) from the system's cryptographic source. */
function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n
  const buf = new Uint32Array(1)
  do crypto.getRandomValues(buf)
  while (buf[0] >= limit)
  return buf[0] % n
}

const randomFrom = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[randomBelow(alphabet.length)]).join('')

/** The first 32 bits of the server uuid in hex: the prefix of every real name of its databases. */
const serverId = (serverUuid: string) => serverUuid.replace(/-/g, '').slice(0, 8).toLowerCase()

/** The database's real name on the host: `s<8 hex>_<name>` (spec 03 §5.3). */
export const databaseName = (serverUuid: string, name: string) => `s${serverId(serverUuid)}_${name}`

/** A new database user: `u<8 hex>_<10 random alphanumerics>`. */
export const databaseUsername = (serverUuid: string) => `u${serverId(serverUuid)}_${randomFrom(ALPHANUMERIC, 10)}`

/** 24 random alphanumerics with 1–5 positions replaced by one of `!@#$%^&*()<>-_`. */
export function databasePassword(): string {
  const chars = randomFrom(ALPHANUMERIC, 24).split('')
  for (let i = 1 + randomBelow(5); i > 0; i--) chars[randomBelow(chars.length)] = SPECIAL[randomBelow(SPECIAL.length)]
  return chars.join('')
}

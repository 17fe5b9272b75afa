export { cookieOf, login, makeApiKey, makeUser, totp } from '../../src/testing'
export type { TestUser } from '../../src/testing'

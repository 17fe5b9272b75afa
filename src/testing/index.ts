/**
 * The testing kit for plugin authors, imported as `hatchery/testing` (test files only: it
 * registers `bun:test` hooks). A panel per test file on its own database (embedded PGlite, or a
 * copy of a migrated template on PostgreSQL when `DATABASE_URL` is set), callers of every kind,
 * the activity they left, CLI commands and jobs run in-process, and a sweep of a namespace's guards.
 * @example
 * import { useTestApp, expectRoutesGuarded } from 'hatchery/testing'
 * const t = useTestApp({ pluginsDir: '/srv/panel-plugins' })
 * test('admin routes are guarded', () => expectRoutesGuarded(t, { namespace: 'admin', plugin: 'greeter' }))
 */
export { testApp, useTestApp, decode, SETUP_TIMEOUT, TEST_KEY } from './app'
export type { Encoding, RequestOptions, TestApp, TestAppOptions, TestResponse } from './app'
export { bundledPlugins, bundledPluginsWithout, inlinePlugin, withPlugins } from './plugins'
export { freshDatabase, dropTemplates, RUN_ID } from './db'
export type { TestDatabase } from './db'
export {
  makeUser,
  login,
  cookieOf,
  makeApiKey,
  totp,
  relaxRateLimits,
  prepareAdminTests,
  adminCaller,
  adminCallers,
  roleCaller,
  plainCaller,
  narrowedAdminKey,
  adminEvents,
  expectGuarded,
  expectModel,
  fromWire,
} from './callers'
export type { TestUser, AdminCaller, AdminCallers } from './callers'
export { activitiesOf, lastActivity } from './activity'
export type { ActivityRow } from './activity'
export { expectRoutesGuarded } from './sweep'
export type { SweepOptions } from './sweep'
export { runCli, runJob } from './run'
export type { CliResult } from './run'
export { startSmtpSink, parseMail } from './mail'
export type { CapturedMail, SmtpSink, SmtpSinkOptions } from './mail'

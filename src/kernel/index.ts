/**
 * The kernel's public surface: what plugins import as `hatchery`.
 * @example import { definePlugin, NotFound, PaginationQuery, pageParams } from 'hatchery'
 */
export { definePlugin, NAMESPACE_PREFIX } from './plugin'
export type { PluginDescriptor, PluginContext, Namespace, CliCommand, CliArgs, CliIO, CliOption, CliPositional, JobDef } from './plugin'
export * from './errors'
export {
  PaginationQuery,
  PaginationQueryNoSearch,
  PageOf,
  pageParams,
  paginate,
  toPage,
  toCountedPage,
  windowTotal,
  searchFilter,
  escapeLike,
  DEFAULT_PER_PAGE,
} from './pagination'
export { uuidParam, parseUuid, loadOr404 } from './params'
export { ProvidedLists } from './provided-lists'
export type { ProvidedList } from './provided-lists'
export { Uuid, Empty, WireInteger } from './models'
export type { Page, PageParams, ListOptions, ListSource, SelectBuilder, TotalField } from './pagination'
export type { Principal, PrincipalUser, ApiKeyScope, PermissionGroups, CatalogName } from './permissions'
export { hasAdminPermission, hasUserPermission, hasServerPermission, canEnterAdmin, denied, PermissionCatalog } from './permissions'
export { principalOf, remoteOf } from './guard'
export type { Guard, Authenticator, AuthInput, RemoteAuthenticator, RemoteAuthInput, KernelHooks, PermissionSpec } from './guard'
export type { ReadyContext, ReadyAnswer } from './routes'
export { scopeOf } from './scope'
export type {
  Scopes,
  ScopeKey,
  ScopeNamespace,
  ScopeProvider,
  ScopeRequest,
  ScopeResolution,
  ScopeResource,
  ScopeAccess,
  ScopeOptions,
  ScopeCaller,
  ScopedRoutes,
  ResolvedScope,
  RemotePrincipal,
} from './scope'
export { requestMeta, readRawBody, BODY_LIMIT } from './http'
export type { RequestMeta } from './http'
export type { SettingDef, Settings, SettingsOf, SettingKey, SettingValue, PluginSettings } from './settings/types'
export { RouteOrderItem, MailMode, CaptchaProvider, StorageDriver } from './settings/core'
export type { SettingsService, SettingsSnapshot } from './settings/service'
export type { RateLimitRule } from './ratelimit'
export type { Logger } from './logger'
export { isoNow } from './logger'
export type { Secrets } from './secrets'
export { SECRET_MASK, writeSecret } from './secrets'
export { timestamp, wireReady, stamped } from './wire'
export { randomAlnum, randomHex } from './random'
export { parseCidr, cidrContains, canonicalIp } from './net'
export type { Cidr } from './net'
export { fetchOutbound, isPrivateAddress, OutboundError } from './outbound'
export type { OutboundOptions, Resolver } from './outbound'
export type { Db, Tx, Database } from '../db/client'
export { rowsOf } from '../db/client'
export { transaction, afterCommit } from '../db/transaction'
export { watch } from '../db/changes'
export type { Watch } from '../db/changes'
export { emit, EventBus } from './events'
export type { EventHandler } from './events'
export { actorOf, anonymousActor, ActivityLogs, SYSTEM_ACTOR } from './activity'
export type { Actor, SystemActor, ActivityEntry, ActivityWriter, ActivitySlot } from './activity'
export { DebugMode } from './system'
export type { DebugSource, SystemSlot } from './system'
export { DISABLED_EXTENSIONS } from './extensions'
export type { ExtensionSwitch, ExtensionSlot, InstalledPlugin } from './extensions'
export { readMigrations } from '../db/migrate'
export type { MigrationSource } from '../db/migrate'
export { isRetryableConflict, isDatabaseUnavailable } from '../db/errors'
export type { TransactionOptions } from '../db/transaction'

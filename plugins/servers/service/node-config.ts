import type { WingsConfig } from '../wings/model'

/** Paths of the Wings configuration a panel never changes (spec 02 §6.8 c): removed from every patch. */
export const FORBIDDEN_CONFIG_PATHS = [
  'uuid',
  'token',
  'token_id',
  'remote',
  'remote_headers',
  'system.root_directory',
  'system.log_directory',
  'system.data',
  'system.diffs_directory',
  'system.vmount_directory',
  'system.archive_directory',
  'system.backup_directory',
  'system.tmp_directory',
  'system.passwd.directory',
  'system.backups.restic.repository',
  'system.backups.restic.password_file',
  'system.backups.mounting.path',
  'system.username',
  'system.user',
  'system.passwd',
  'docker.socket',
  'allowed_mounts',
  'ignore_panel_config_updates',
  'ignore_panel_wings_upgrades',
  'api.host',
  'api.port',
  'api.ssl',
  'api.trusted_proxies',
  'api.disable_remote_download',
  'api.remote_download_blocked_cidrs',
  'api.schedule.steps.http_request',
]

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A copy of `patch` without the forbidden paths. As the reference: where a path's intermediate key
 * holds something other than an object, that key goes (it would replace the protected section).
 * @example stripConfigPatch({ api: { port: 1, upload_limit: 5 }, system: 'x' }) // { api: { upload_limit: 5 } }
 */
export function stripConfigPatch(patch: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(patch)
  for (const path of FORBIDDEN_CONFIG_PATHS) {
    const keys = path.split('.')
    let at: Record<string, unknown> = copy
    for (const [i, key] of keys.entries()) {
      if (!(key in at)) break
      if (i === keys.length - 1 || !isObject(at[key])) {
        delete at[key]
        break
      }
      at = at[key] as Record<string, unknown>
    }
  }
  return copy
}

/** The configuration as answered to an admin without `nodes.read-token`. */
export const redactConfig = (config: WingsConfig): WingsConfig => ({ ...config, token_id: 'redacted', token: 'redacted' })
